"""Validation and safe extraction of uploaded model packages.

A package is a zip holding a Python module that exposes a factory and ``metadata.json``::

    {"identifier": "my-net", "factory": "model.py:build", "public": false, ...any other metadata}

Every member is read through a bounded reader: the sizes a zip's headers declare are never trusted, so a member
that inflates past its declared size, past ``MAX_MEMBER_BYTES`` or the archive past ``MAX_UNPACKED_BYTES`` is
refused after reading at most one chunk more. Only stored and deflated members are accepted; encrypted members,
other compression methods, duplicate names, absolute paths, ``..`` (zip-slip), control characters and symbolic
links are refused, and so is anything that is not a zip. Every failure is an :class:`UploadError` with a message
saying what is wrong (a 400 for the web layer, never a 500). ``public`` must be a JSON boolean (private is the
default).
"""
from __future__ import annotations

import io
import json
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, Iterator

from brainmark.leaderboard.store import LeaderboardError

MAX_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_MEMBER_BYTES = 100 * 1024 * 1024
MAX_METADATA_BYTES = 64 * 1024
MAX_FILES = 200
CHUNK = 1 << 16
METADATA_FILE = "metadata.json"
ALLOWED_COMPRESSION = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
IDENTIFIER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
FACTORY_RE = re.compile(r"^([A-Za-z0-9_\-/]+\.py):([A-Za-z_][A-Za-z0-9_]*)$")
NAME_RE = re.compile(r"^[^\x00-\x1f\x7f\\:]{1,255}$")


class UploadError(LeaderboardError, ValueError):
    """An uploaded model package was rejected."""


@dataclass
class ModelPackage:
    """What a valid package declares: its identifier, factory, visibility (None: not said) and other metadata."""

    identifier: str
    factory: str
    public: bool | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def check_identifier(identifier: str) -> str:
    """The identifier if it is 1-100 safe characters, else :class:`UploadError`."""
    if not IDENTIFIER_RE.match(identifier or ""):
        raise UploadError(
            f"bad model identifier {identifier!r}: use 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return identifier


def _safe_name(info: zipfile.ZipInfo) -> PurePosixPath:
    name = info.filename
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UploadError(f"upload rejected: {name!r} is a symbolic link; packages may only hold regular files")
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", name) or "\\" in name:
        raise UploadError(f"upload rejected: {name!r} points outside the package (zip-slip)")
    if not NAME_RE.match(name.rstrip("/") or "x"):
        raise UploadError(f"upload rejected: the member name {name!r} has control or reserved characters")
    return path


def _check_entry(info: zipfile.ZipInfo) -> None:
    if info.flag_bits & 0x1:
        raise UploadError(f"upload rejected: {info.filename!r} is encrypted; upload an unencrypted zip")
    if info.compress_type not in ALLOWED_COMPRESSION:
        raise UploadError(f"upload rejected: {info.filename!r} uses compression method {info.compress_type}; "
                          "only stored and deflate are accepted (zip it with the standard `zip` tool)")


def _chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> Iterator[bytes]:
    """The member's bytes, refusing more than ``limit`` or more than its header declares (read, not trusted)."""
    total = 0
    allowed = min(limit, info.file_size)
    with archive.open(info) as member:
        while chunk := member.read(CHUNK):
            total += len(chunk)
            if total > allowed:
                what = "its header declares" if info.file_size < limit else "the limit allows"
                raise UploadError(f"upload rejected: {info.filename!r} inflates to more than {what} "
                                  f"({allowed} bytes); a zip bomb or a corrupt archive")
            yield chunk


def _open(data: bytes) -> zipfile.ZipFile:
    if len(data) > MAX_BYTES:
        raise UploadError(f"upload rejected: {len(data)} bytes exceeds the {MAX_BYTES} byte limit")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise UploadError("upload rejected: not a zip file; zip your model module and metadata.json") from exc


def _members(archive: zipfile.ZipFile) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    infos = archive.infolist()
    if len(infos) > MAX_FILES:
        raise UploadError(f"upload rejected: {len(infos)} entries exceeds the {MAX_FILES} file limit")
    seen: set[str] = set()
    members = []
    for info in infos:
        path = _safe_name(info)
        _check_entry(info)
        key = str(path).rstrip("/").lower()
        if key in seen:
            raise UploadError(f"upload rejected: {info.filename!r} appears twice in the zip")
        seen.add(key)
        members.append((info, path))
    return members


def _walk(data: bytes, sink: Any = None) -> tuple[dict[str, bytes], set[str]]:
    """Read every member through the bounded reader (``sink(info, path, chunks)`` may consume them instead).

    Returns the metadata file's bytes (under its name) and the set of file names.
    """
    found: dict[str, bytes] = {}
    names: set[str] = set()
    unpacked = 0
    try:
        with _open(data) as archive:
            for info, path in _members(archive):
                if info.is_dir():
                    if sink is not None:
                        sink(info, path, None)
                    continue
                names.add(str(path))
                limit = MAX_METADATA_BYTES if str(path) == METADATA_FILE else MAX_MEMBER_BYTES
                chunks = _counted(_chunks(archive, info, limit), unpacked)
                if str(path) == METADATA_FILE:
                    found[METADATA_FILE] = b"".join(chunks)
                    unpacked += len(found[METADATA_FILE])
                elif sink is not None:
                    unpacked += sink(info, path, chunks)
                else:
                    unpacked += sum(len(c) for c in chunks)
    except UploadError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError) as exc:
        raise UploadError(f"upload rejected: the zip is corrupt or unsupported ({type(exc).__name__}: {exc})") from exc
    return found, names


def _counted(chunks: Iterator[bytes], before: int) -> Iterator[bytes]:
    total = before
    for chunk in chunks:
        total += len(chunk)
        if total > MAX_UNPACKED_BYTES:
            raise UploadError(f"upload rejected: more than the {MAX_UNPACKED_BYTES} byte limit unpacked")
        yield chunk


def _metadata(raw: bytes | None, names: set[str]) -> ModelPackage:
    if raw is None:
        raise UploadError(f"upload rejected: no {METADATA_FILE} at the top of the zip")
    try:
        metadata = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UploadError(f"upload rejected: {METADATA_FILE} is not valid JSON: {exc}") from exc
    if not isinstance(metadata, dict):
        raise UploadError(f"upload rejected: {METADATA_FILE} must hold a JSON object")
    identifier = check_identifier(str(metadata.get("identifier", "")))
    factory = str(metadata.get("factory", ""))
    match = FACTORY_RE.match(factory)
    if not match:
        raise UploadError(f"upload rejected: metadata 'factory' must look like 'model.py:build', got {factory!r}")
    if match.group(1) not in names or ".." in match.group(1):
        raise UploadError(f"upload rejected: the factory's module {match.group(1)!r} is not in the zip")
    public = metadata.get("public")
    if public is not None and not isinstance(public, bool):
        raise UploadError(f"upload rejected: metadata 'public' must be true or false (a JSON boolean), got {public!r}")
    return ModelPackage(identifier=identifier, factory=factory, public=public, metadata=metadata)


def validate_package(data: bytes) -> ModelPackage:
    """Check an uploaded zip (every member read, bounded) and read its metadata; raises :class:`UploadError`."""
    found, names = _walk(data)
    return _metadata(found.get(METADATA_FILE), names)


def extract_package(data: bytes, destination: Path) -> ModelPackage:
    """Validate, then extract regular files only into ``destination`` (every path checked to stay inside)."""
    package = validate_package(data)
    destination = Path(destination).resolve()
    destination.mkdir(parents=True, exist_ok=True)

    def write(info: zipfile.ZipInfo, rel: PurePosixPath, chunks: Iterator[bytes] | None) -> int:
        """Create a folder, or a new file from the bounded chunks (returns the bytes written)."""
        target = (destination / rel).resolve()
        if not target.is_relative_to(destination):
            raise UploadError(f"upload rejected: {info.filename!r} points outside the package (zip-slip)")
        if chunks is None:
            target.mkdir(parents=True, exist_ok=True)
            return 0
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with open(target, "xb") as out:
            for chunk in chunks:
                out.write(chunk)
                written += len(chunk)
        return written

    found, _ = _walk(data, sink=write)
    (destination / METADATA_FILE).write_bytes(found[METADATA_FILE])
    return package


def read_stream(stream: IO[bytes], limit: int | None = None) -> bytes:
    """Read at most ``limit`` (default ``MAX_BYTES``) bytes from ``stream``; :class:`UploadError` if there is more."""
    limit = MAX_BYTES if limit is None else limit
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise UploadError(f"upload rejected: larger than the {limit} byte limit")
    return data
