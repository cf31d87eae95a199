"""Data layer: assemblies, stimulus sets, the checksummed store and the data registry.

The built-in datasets are registered by :mod:`brainmark.datasets`; load them with
``brainmark.datasets.load_dataset`` / ``brainmark.load_dataset``.
"""
from brainmark.data.assembly import (
    align_by_stimulus,
    average_repetitions,
    make_assembly,
    validate_assembly,
)
from brainmark.data.files import DataFile
from brainmark.data.checksum import data_checksum
from brainmark.data.registry import DATASETS, STIMULUS_SETS, DatasetEntry
from brainmark.data.stimuli import StimulusSet
from brainmark.data.store import Store

__all__ = [
    "DATASETS",
    "STIMULUS_SETS",
    "DataFile",
    "DatasetEntry",
    "StimulusSet",
    "Store",
    "align_by_stimulus",
    "average_repetitions",
    "data_checksum",
    "make_assembly",
    "validate_assembly",
]
