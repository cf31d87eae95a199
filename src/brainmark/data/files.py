"""Registered data files: what a file is (name, checksum, size) and where it can come from (URLs, mirror, package)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from brainmark.errors import BrainmarkError

CHECKSUM_ALGORITHMS = ("sha256", "sha1")
PACKAGE_FILES = Path(__file__).resolve().parents[1] / "datasets" / "files"


class DataFileError(BrainmarkError, ValueError):
    """A data file is registered inconsistently (bad checksum string, no source...)."""


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset.

    ``checksum`` is ``"sha256:<hex>"`` (brainmark's own files) or ``"sha1:<hex>"`` (official Brain-Score files).
    ``urls`` are public https locations, tried in order; ``mirror_path`` is the file's path inside a mirror
    folder (the layout of ``shared/data``); ``package_path`` is set for files shipped inside the package
    (relative to ``brainmark/datasets/files``). ``size`` is in bytes (None if unknown).
    """

    name: str
    checksum: str
    size: int | None = None
    urls: tuple[str, ...] = ()
    mirror_path: str | None = None
    package_path: str | None = None
    archive: bool = field(default=False)

    def __post_init__(self) -> None:
        algorithm, _, digest = self.checksum.partition(":")
        if algorithm not in CHECKSUM_ALGORITHMS or not digest or any(c not in "0123456789abcdef" for c in digest):
            raise DataFileError(
                f"data file {self.name!r} has checksum {self.checksum!r}; expected 'sha256:<hex>' or 'sha1:<hex>'"
            )
        expected_len = {"sha256": 64, "sha1": 40}[algorithm]
        if len(digest) != expected_len:
            raise DataFileError(f"data file {self.name!r}: a {algorithm} digest has {expected_len} hex digits")
        parts = self.name.split("/")
        if "\\" in self.name or self.name.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise DataFileError(f"data file name {self.name!r} must be a relative path without '.' or '..' parts")
        object.__setattr__(self, "urls", tuple(self.urls))

    @property
    def algorithm(self) -> str:
        """The checksum's algorithm (``sha256`` or ``sha1``)."""
        return self.checksum.partition(":")[0]

    @property
    def digest(self) -> str:
        """The checksum's hex digest."""
        return self.checksum.partition(":")[2]

    @property
    def shipped(self) -> bool:
        """Whether the file ships inside the package."""
        return self.package_path is not None

    @property
    def package_file(self) -> Path | None:
        """The path of the shipped copy inside the package, or None."""
        return PACKAGE_FILES / self.package_path if self.package_path else None


def file_checksum(path: str | Path, algorithm: str = "sha256", chunk_size: int = 1 << 20) -> str:
    """Hex digest of a file, read in chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


def matches(path: str | Path, file: DataFile) -> bool:
    """True if the file at ``path`` has ``file``'s size (when known) and checksum."""
    path = Path(path)
    if file.size is not None and path.stat().st_size != file.size:
        return False
    return file_checksum(path, file.algorithm) == file.digest
