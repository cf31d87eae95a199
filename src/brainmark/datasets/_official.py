"""Registering official Brain-Score (BrainIO) files: netCDF assemblies and CSV + zip stimulus sets, SHA-1 verified."""
from __future__ import annotations

from brainmark.data.brainio import official_url
from brainmark.data.files import DataFile

MIRROR_FOLDER = "brainio-brainscore"


def official_file(file_name: str, sha1: str, *, archive: bool = False) -> DataFile:
    """An official file: URL in the Brain-Score bucket, SHA-1, mirror path ``brainio-brainscore/<file>``."""
    return DataFile(file_name, f"sha1:{sha1}", None, urls=(official_url(file_name),),
                    mirror_path=f"{MIRROR_FOLDER}/{file_name}", archive=archive)
