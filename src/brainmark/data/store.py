"""The checksummed data store: cache -> mirror folders -> download, every file verified before it is used.

Resolution order for a :class:`~brainmark.data.files.DataFile`:

1. shipped inside the package (``package_path``): verified once per process, used in place;
2. the cache, ``$BRAINMARK_HOME/data/<algorithm>-<digest>/<name>`` (content-addressed; only verified files
   ever get there);
3. mirror folders, ``$BRAINMARK_DATA_MIRROR`` (``:``-separated), at the file's ``mirror_path``: verified, then
   copied into the cache;
4. its public URLs (https; timeout, retries with exponential backoff, resume with HTTP Range, progress bar):
   downloaded to a ``.part`` file beside the cache entry, verified, then renamed into place.

A per-file lock (``fcntl.flock``) makes concurrent fetches of the same file by several processes end with one
good file. Zip archives are extracted once (next to the cached zip) with every member checked against
escaping the target folder. Nothing is ever unpickled.
"""
from __future__ import annotations

import contextlib
import fcntl
import http.client
import os
import shutil
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from brainmark._version import __version__
from brainmark.data.archives import safe_extract
from brainmark.data.fetch_errors import (
    ArchiveError,
    ChecksumMismatchError,
    CorruptArchiveError,
    DataFetchError,
    DataUnavailableError,
    DownloadHTTPError,
    TruncatedDownloadError,
    UnsafeArchiveError,
)
from brainmark.data.files import DataFile, file_checksum
from brainmark.paths import subdir
from brainmark.progress import progress

#: The store's public names; the errors and ``safe_extract`` live in ``fetch_errors`` / ``archives`` and are
#: re-exported here, where callers import them.
__all__ = [
    "ArchiveError", "ChecksumMismatchError", "CorruptArchiveError", "DataFetchError", "DataUnavailableError",
    "DownloadHTTPError", "MIRROR_ENV", "MIRROR_HINT", "Store", "TruncatedDownloadError", "UnsafeArchiveError",
    "default_store", "fetch", "mirror_folders", "safe_extract", "verify_shipped",
]

MIRROR_ENV = "BRAINMARK_DATA_MIRROR"
MIRROR_HINT = (
    f"If you have a copy of the data, point {MIRROR_ENV} at its folder (several folders separated by ':'), "
    "e.g. export BRAINMARK_DATA_MIRROR=/path/to/shared/data"
)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
CHUNK = 1 << 16


@dataclass
class Store:
    """Where verified data files live and how missing ones are obtained.

    ``root`` defaults to ``$BRAINMARK_HOME/data`` and ``mirrors`` to ``$BRAINMARK_DATA_MIRROR``.
    ``allow_insecure_localhost`` permits plain-http URLs on the loopback host (tests only); production URLs
    are https.
    """

    root: Path | None = None
    mirrors: Sequence[Path] | None = None
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0
    allow_insecure_localhost: bool = False
    show_progress: bool = True

    def __post_init__(self) -> None:
        self.root = Path(self.root) if self.root is not None else subdir("data")
        self.root.mkdir(parents=True, exist_ok=True)
        if self.mirrors is None:
            self.mirrors = mirror_folders()
        self.mirrors = [Path(m) for m in self.mirrors]

    # --- locations ------------------------------------------------------------------------------------------
    def entry_dir(self, file: DataFile) -> Path:
        """The cache folder of ``file``: ``<root>/<algorithm>-<digest>`` (content-addressed)."""
        return self.root / f"{file.algorithm}-{file.digest}"

    def cache_path(self, file: DataFile) -> Path:
        """Where ``file`` is (or will be) in the cache."""
        return self.entry_dir(file) / file.name

    def is_cached(self, file: DataFile) -> bool:
        """True if the file is available without a download (shipped, or in the cache)."""
        if file.shipped:
            return file.package_file is not None and file.package_file.is_file()
        return self._cache_ok(file)

    def mirror_copy(self, file: DataFile) -> Path | None:
        """The first mirror folder holding the file at its ``mirror_path`` (not verified here)."""
        if not file.mirror_path:
            return None
        for folder in self.mirrors:
            candidate = folder / file.mirror_path
            if candidate.is_file():
                return candidate
        return None

    def _cache_ok(self, file: DataFile) -> bool:
        path = self.cache_path(file)
        return path.is_file() and (file.size is None or path.stat().st_size == file.size)

    # --- fetching -------------------------------------------------------------------------------------------
    def fetch(self, file: DataFile, *, verify: bool = False) -> Path:
        """A verified local path of ``file`` (see the module docstring for the resolution order).

        Cache entries were verified when they entered the cache; later uses check their size only, unless
        ``verify`` re-hashes them (a damaged entry is then removed and fetched again).
        """
        if file.shipped:
            return verify_shipped(file)
        if self._cache_ok(file) and not verify:
            return self.cache_path(file)
        with self._lock(file):
            if self._cache_ok(file):  # present already, or another process finished it while we waited
                if not verify or file_checksum(self.cache_path(file), file.algorithm) == file.digest:
                    return self.cache_path(file)
                self.cache_path(file).unlink()
            problems: list[str] = []
            path = self._from_mirror(file, problems)
            if path is None:
                path = self._download(file, problems)
            return path

    def extract(self, file: DataFile) -> Path:
        """Fetch a zip archive and extract it once; returns the folder holding its members."""
        target = self.entry_dir(file) / "extracted"
        if target.is_dir():
            return target
        archive = self.fetch(file)
        with self._lock(file):
            if target.is_dir():
                return target
            safe_extract(archive, target, name=file.name)
        return target

    @contextlib.contextmanager
    def _lock(self, file: DataFile) -> Iterator[None]:
        lock_path = self.root / f"{file.algorithm}-{file.digest}.lock"
        with open(lock_path, "a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _install(self, source: Path, file: DataFile, *, move: bool) -> Path:
        """Verify ``source`` against ``file`` and atomically place it in the cache."""
        target = self.cache_path(file)
        target.parent.mkdir(parents=True, exist_ok=True)
        if move:
            os.replace(source, target)
            return target
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            if file_checksum(tmp, file.algorithm) != file.digest:
                raise ChecksumMismatchError(f"{file.name}: copy of {source} changed while copying; try again")
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return target

    def _from_mirror(self, file: DataFile, problems: list[str]) -> Path | None:
        if not file.mirror_path:
            return None
        for folder in self.mirrors:
            candidate = folder / file.mirror_path
            if not candidate.is_file():
                continue
            size = candidate.stat().st_size
            if file.size is not None and size != file.size:
                problems.append(f"mirror copy {candidate} has {size} bytes, expected {file.size}")
                continue
            actual = file_checksum(candidate, file.algorithm)
            if actual != file.digest:
                problems.append(f"mirror copy {candidate} has {file.algorithm} {actual}, expected {file.digest}")
                continue
            return self._install(candidate, file, move=False)
        return None

    def _check_url(self, url: str) -> None:
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme == "https":
            return
        if parsed.scheme == "http" and self.allow_insecure_localhost and parsed.hostname in LOCAL_HOSTS:
            return
        raise DataFetchError(f"refusing to download {url}: only https URLs are allowed")

    def _download(self, file: DataFile, problems: list[str]) -> Path:
        if not file.urls:
            raise DataUnavailableError(
                f"{file.name} is not in the cache or any mirror and has no download URL"
                f"{_problems(problems)}. {_hint(file)}"
            )
        part = self.cache_path(file).with_name(f".{self.cache_path(file).name}.part")  # names may hold folders
        part.parent.mkdir(parents=True, exist_ok=True)
        last: DataFetchError | None = None
        unreachable = 0
        for url in file.urls:
            self._check_url(url)
            for attempt in range(self.retries + 1):
                if attempt:
                    time.sleep(self.backoff * 2 ** (attempt - 1))
                try:
                    self._transfer(url, part, file)
                except DownloadHTTPError as exc:
                    last = exc
                    problems.append(str(exc))
                    if exc.status < 500 and exc.status not in (408, 429):
                        break  # permanent: try the next URL
                    continue
                except TruncatedDownloadError as exc:
                    last = exc
                    continue  # resume from what arrived
                except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
                    reason = getattr(exc, "reason", exc)
                    last = DataUnavailableError(f"{file.name}: cannot reach {url} ({reason})")
                    if attempt == self.retries or isinstance(reason, socket.gaierror):  # unknown host: no retry
                        unreachable += 1
                        problems.append(f"cannot reach {url} ({reason})")
                        break
                    continue
                actual = file_checksum(part, file.algorithm)
                if actual != file.digest:
                    part.unlink(missing_ok=True)
                    last = ChecksumMismatchError(
                        f"{file.name} downloaded from {url} has {file.algorithm} {actual}, expected {file.digest}; "
                        f"the file was discarded and the cache left unchanged. {_hint(file)}"
                    )
                    problems.append(f"checksum mismatch from {url}")
                    break
                return self._install(part, file, move=True)
        if unreachable == len(file.urls):
            raise DataUnavailableError(
                f"{file.name}: no network and no mirror copy; tried {', '.join(file.urls)}{_problems(problems)}. "
                f"{_hint(file)}"
            )
        assert last is not None
        if isinstance(last, ChecksumMismatchError):
            raise last
        if isinstance(last, DownloadHTTPError):
            others = [p for p in problems if p != str(last)]
            raise DownloadHTTPError(f"{last}{_problems(others)}. {_hint(file)}", last.status)
        if isinstance(last, TruncatedDownloadError):
            raise TruncatedDownloadError(f"{last} (after {self.retries + 1} attempts). {_hint(file)}")
        raise type(last)(f"{last}. {_hint(file)}")

    def _transfer(self, url: str, part: Path, file: DataFile) -> None:
        """Download ``url`` into ``part``, resuming from its current size when the server honours Range."""
        start = part.stat().st_size if part.exists() else 0
        if file.size is not None and start > file.size:  # stale partial file: start over
            part.unlink()
            start = 0
        if file.size is not None and start == file.size:
            return  # complete already; the checksum decides
        headers = {"User-Agent": f"brainmark/{__version__}"}
        if start:
            headers["Range"] = f"bytes={start}-"
        request = urllib.request.Request(url, headers=headers)
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and start:  # our partial file is unusable: start over next time
                part.unlink(missing_ok=True)
                raise TruncatedDownloadError(f"{file.name}: server rejected resuming {url}") from None
            raise DownloadHTTPError(f"{file.name}: HTTP {exc.code} {exc.reason} from {url}", exc.code) from None
        with response:
            resumed = start and response.status == 206
            offset = start if resumed else 0
            length = response.headers.get("Content-Length")
            expected_total = offset + int(length) if length is not None else file.size
            received = offset
            with open(part, "ab" if resumed else "wb") as out, progress(
                desc=f"download {file.name}", total=expected_total, unit="B", unit_scale=True, initial=offset,
            ) as bar:
                try:
                    while True:
                        chunk = response.read(CHUNK)
                        if not chunk:
                            break
                        out.write(chunk)
                        received += len(chunk)
                        bar.update(len(chunk))
                except (http.client.IncompleteRead, ConnectionError, socket.timeout, TimeoutError) as exc:
                    raise TruncatedDownloadError(
                        f"{file.name}: transfer from {url} was cut off after {received} of "
                        f"{expected_total if expected_total is not None else '?'} bytes ({type(exc).__name__})"
                    ) from None
        if expected_total is not None and received < expected_total:
            raise TruncatedDownloadError(
                f"{file.name}: transfer from {url} ended after {received} of {expected_total} bytes"
            )


def _hint(file: DataFile) -> str:
    where = f" (this file is expected at <mirror>/{file.mirror_path})" if file.mirror_path else ""
    return MIRROR_HINT + where


def _problems(problems: list[str]) -> str:
    unique = list(dict.fromkeys(problems))
    return f" ({'; '.join(unique)})" if unique else ""


def mirror_folders() -> list[Path]:
    """The mirror folders named by ``$BRAINMARK_DATA_MIRROR`` (``:``-separated; empty entries ignored)."""
    value = os.environ.get(MIRROR_ENV, "")
    return [Path(p).expanduser() for p in value.split(":") if p.strip()]


_verified_shipped: dict[tuple[str, int, int], bool] = {}
_verified_lock = threading.Lock()


def verify_shipped(file: DataFile) -> Path:
    """Check a file shipped inside the package once per process (size + checksum); return its path."""
    path = file.package_file
    assert path is not None
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DataFetchError(
            f"{file.name}: the packaged file {path} is missing; reinstall brainmark (pip install --force-reinstall brainmark)"
        ) from None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _verified_lock:
        if _verified_shipped.get(key):
            return path
    if (file.size is not None and stat.st_size != file.size) or file_checksum(path, file.algorithm) != file.digest:
        raise ChecksumMismatchError(
            f"{file.name}: the packaged file {path} does not match its registered {file.algorithm} checksum; "
            "the installation is damaged: reinstall brainmark"
        )
    with _verified_lock:
        _verified_shipped[key] = True
    return path


def default_store() -> Store:
    """A store on the current environment (``$BRAINMARK_HOME``, ``$BRAINMARK_DATA_MIRROR``)."""
    return Store()


def fetch(file: DataFile) -> Path:
    """Fetch ``file`` through the default store."""
    return default_store().fetch(file)
