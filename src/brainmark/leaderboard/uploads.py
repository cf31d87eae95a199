"""Validation and safe extraction of uploaded model packages.

A package is a zip holding a Python module that exposes a factory and ``metadata.json``::

    {"identifier": "my-net", "factory": "model.py:build", "public": true, ...any other metadata}

Rejected: anything that is not a zip, more than ``MAX_BYTES`` compressed or ``MAX_UNPACKED_BYTES`` unpacked,
more than ``MAX_FILES`` entries, absolute paths or ``..`` (zip-slip), symbolic links, and missing or bad metadata.
"""
from __future__ import annotations

import io
import json
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from brainmark.leaderboard.store import LeaderboardError

MAX_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_FILES = 200
METADATA_FILE = "metadata.json"
IDENTIFIER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
FACTORY_RE = re.compile(r"^([A-Za-z0-9_\-/]+\.py):([A-Za-z_][A-Za-z0-9_]*)$")


class UploadError(LeaderboardError, ValueError):
    """An uploaded model package was rejected."""


@dataclass
class ModelPackage:
    """An uploaded model package's metadata: identifier, factory and free-form metadata."""
    identifier: str
    factory: str
    metadata: dict[str, Any] = field(default_factory=dict)


def check_identifier(identifier: str) -> str:
    """``identifier`` if it is a valid model identifier, else an :class:`UploadError`."""
    if not IDENTIFIER_RE.match(identifier or ""):
        raise UploadError(
            f"bad model identifier {identifier!r}: use 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return identifier


def _safe_name(info: zipfile.ZipInfo) -> PurePosixPath:
    name = info.filename
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UploadError(f"upload rejected: {name!r} is a symbolic link; packages may only hold regular files")
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", name):
        raise UploadError(f"upload rejected: {name!r} points outside the package (zip-slip)")
    return path


def validate_package(data: bytes) -> ModelPackage:
    """Check an uploaded zip and read its metadata; raises :class:`UploadError` naming the problem."""
    if len(data) > MAX_BYTES:
        raise UploadError(f"upload rejected: {len(data)} bytes exceeds the {MAX_BYTES} byte limit")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise UploadError("upload rejected: not a zip file; zip your model module and metadata.json") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_FILES:
            raise UploadError(f"upload rejected: {len(infos)} entries exceeds the {MAX_FILES} file limit")
        total = 0
        names = set()
        for info in infos:
            path = _safe_name(info)
            total += info.file_size
            if not info.is_dir():
                names.add(str(path))
        if total > MAX_UNPACKED_BYTES:
            raise UploadError(f"upload rejected: {total} bytes unpacked exceeds the {MAX_UNPACKED_BYTES} byte limit")
        if METADATA_FILE not in names:
            raise UploadError(f"upload rejected: no {METADATA_FILE} at the top of the zip")
        try:
            metadata = json.loads(archive.read(METADATA_FILE))
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
    return ModelPackage(identifier=identifier, factory=factory, metadata=metadata)


def extract_package(data: bytes, destination: Path) -> ModelPackage:
    """Validate, then extract regular files only into ``destination`` (every path checked to stay inside)."""
    package = validate_package(data)
    destination = Path(destination).resolve()
    destination.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            rel = _safe_name(info)
            target = (destination / rel).resolve()
            if not target.is_relative_to(destination):
                raise UploadError(f"upload rejected: {info.filename!r} points outside the package (zip-slip)")
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(target, "wb") as dst:
                remaining = info.file_size
                while chunk := src.read(1 << 20):
                    remaining -= len(chunk)
                    if remaining < 0:
                        raise UploadError(f"upload rejected: {info.filename!r} is larger than its header says")
                    dst.write(chunk)
    return package
