"""Files shipped inside the package: read a dataset folder's MANIFEST.json (itself checked against a
sha256 recorded in :mod:`brainmark.datasets._manifest_hashes`) into registered :class:`DataFile` objects."""
from __future__ import annotations

import hashlib
import json

from brainmark.data.files import PACKAGE_FILES, DataFile
from brainmark.datasets._manifest_hashes import MANIFEST_SHA256

MISSING_DIGEST = "0" * 64


def manifest_file(folder: str) -> DataFile:
    """The manifest itself as a registered file (so a damaged one fails loudly on load)."""
    digest = MANIFEST_SHA256.get(folder, MISSING_DIGEST)
    return DataFile("MANIFEST.json", f"sha256:{digest}", package_path=f"{folder}/MANIFEST.json")


def shipped_files(folder: str) -> tuple[DataFile, ...]:
    """The files of a shipped dataset folder, with sha256, size, and the public URL/mirror path of copies.

    If the manifest is missing or does not match its recorded hash, only the manifest is returned: loading
    the dataset then raises a checksum error that says the installation is damaged.
    """
    manifest = manifest_file(folder)
    try:
        raw = (PACKAGE_FILES / folder / "MANIFEST.json").read_bytes()
    except FileNotFoundError:
        return (manifest,)
    if hashlib.sha256(raw).hexdigest() != manifest.digest:
        return (manifest,)
    entries = json.loads(raw)["files"]
    files = [manifest]
    for relpath, info in entries.items():
        files.append(
            DataFile(
                name=relpath,
                checksum=f"sha256:{info['sha256']}",
                size=int(info["size"]),
                urls=(info["url"],) if info.get("url") else (),
                mirror_path=info.get("mirror_path"),
                package_path=f"{folder}/{relpath}",
            )
        )
    return tuple(files)


def manifest_sources(folder: str) -> dict:
    """The ``sources`` section of a shipped folder's manifest (originals that converted files derive from)."""
    try:
        return json.loads((PACKAGE_FILES / folder / "MANIFEST.json").read_text()).get("sources", {})
    except FileNotFoundError:
        return {}
