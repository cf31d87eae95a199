"""Registering official Brain-Score (BrainIO) files: netCDF assemblies and CSV + zip stimulus sets, SHA-1 verified."""
from __future__ import annotations

from typing import Callable

from brainmark.data.brainio import official_url, read_stimulus_set
from brainmark.data.files import DataFile
from brainmark.data.registry import DatasetEntry, Files, register
from brainmark.data.stimuli import StimulusSet

MIRROR_FOLDER = "brainio-brainscore"
LICENSE = "Brain-Score terms"
NOTES = "official Brain-Score file (SHA-1 verified); not redistributed by brainmark"
#: The visual angle of the official stimuli (Brain-Score's default).
DEGREES = 8.0


def official_file(file_name: str, sha1: str, *, archive: bool = False) -> DataFile:
    """An official file: URL in the Brain-Score bucket, SHA-1, mirror path ``brainio-brainscore/<file>``."""
    return DataFile(file_name, f"sha1:{sha1}", None, urls=(official_url(file_name),),
                    mirror_path=f"{MIRROR_FOLDER}/{file_name}", archive=archive)


def stimulus_set_loader(identifier: str, csv: DataFile, archive: DataFile) -> Callable[[Files], StimulusSet]:
    """Loader of an official stimulus set: its CSV plus the images unpacked from its zip."""

    def load(files: Files) -> StimulusSet:
        return read_stimulus_set(identifier, files.path(csv.name), files.folder(archive.name), degrees=DEGREES)

    return load


def register_official(identifier: str, kind: str, loader: Callable[[Files], object], assembly: DataFile,
                      stimuli: tuple[DataFile, DataFile], *, citation: str, description: str, shape: str,
                      stimuli_description: str, stimuli_shape: str) -> None:
    """Register an official assembly (``kind``) and its CSV + zip stimulus set under one ``identifier``."""
    register(DatasetEntry(identifier, kind, loader, (assembly,), description=description, citation=citation,
                          license=LICENSE, notes=NOTES, stimulus_set=identifier, shape=shape))
    register(DatasetEntry(identifier, "stimuli", stimulus_set_loader(identifier, *stimuli), stimuli,
                          description=stimuli_description, citation=citation, license=LICENSE, notes=NOTES,
                          shape=stimuli_shape))
