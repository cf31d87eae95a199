"""Checksum lists of registered files that are not shipped in the package (they resolve through the store).

Each ``<name>.tsv`` holds one ``sha256<TAB>size<TAB>path`` line per file (path relative to the dataset's mirror
folder); ``_hashes.py`` records the sha256 of every list, checked by :func:`read_list` before a list is trusted.
Both are written by ``scripts/list_remote_files.py``.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from brainmark.data.files import DataFileError
from brainmark.datasets.checksums._hashes import LIST_SHA256

FOLDER = Path(__file__).resolve().parent


def read_list(name: str) -> list[tuple[str, int, str]]:
    """``(sha256, size, path)`` of every file of checksum list ``name``, verified against its recorded sha256."""
    path = FOLDER / f"{name}.tsv"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataFileError(f"checksum list {path} is missing; the installation is damaged: reinstall brainmark") from None
    if hashlib.sha256(raw).hexdigest() != LIST_SHA256.get(name):
        raise DataFileError(f"checksum list {path} does not match its recorded sha256; the installation is damaged: "
                            "reinstall brainmark (or rerun scripts/list_remote_files.py after changing the data)")
    rows = []
    for line in raw.decode().splitlines():
        digest, size, relpath = line.split("\t")
        rows.append((digest, int(size), relpath))
    return rows
