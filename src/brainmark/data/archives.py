"""Safe, atomic extraction of zip archives: corrupt archives and members escaping the target folder are refused."""
from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from brainmark.data.fetch_errors import CorruptArchiveError, UnsafeArchiveError


def safe_extract(archive: Path, target: Path, *, name: str | None = None) -> Path:
    """Extract a zip into ``target`` atomically, rejecting corrupt archives and members escaping ``target``."""
    name = name or archive.name
    target = Path(target)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        try:
            with zipfile.ZipFile(archive) as zf:
                members = zf.infolist()
                for info in members:
                    _check_member(info, name)
                bad = zf.testzip()
                if bad is not None:
                    raise CorruptArchiveError(f"{name}: member {bad!r} fails its CRC check; the archive is corrupt")
                zf.extractall(tmp)
        except zipfile.BadZipFile as exc:
            raise CorruptArchiveError(
                f"{name}: not a readable zip archive ({exc}); delete it from the cache or fix the mirror copy"
            ) from None
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _check_member(info: zipfile.ZipInfo, name: str) -> None:
    member = info.filename
    pure = PurePosixPath(member.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or (len(member) > 1 and member[1] == ":"):
        raise UnsafeArchiveError(f"{name}: member {member!r} would be written outside the extraction folder (zip-slip)")
    mode = (info.external_attr >> 16) & 0o170000
    if mode == 0o120000:
        raise UnsafeArchiveError(f"{name}: member {member!r} is a symbolic link; links are not extracted")
