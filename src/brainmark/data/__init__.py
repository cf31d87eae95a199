"""Data layer: assemblies, stimulus sets, the checksummed store and the data registry."""
from brainmark.data.assembly import (
    align_by_stimulus,
    average_repetitions,
    make_assembly,
    validate_assembly,
)
from brainmark.data.files import DataFile
from brainmark.data.registry import (
    DATASETS,
    STIMULUS_SETS,
    DatasetEntry,
    dataset_info,
    list_datasets,
    list_stimulus_sets,
    load_dataset,
    load_stimulus_set,
)
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
    "dataset_info",
    "list_datasets",
    "list_stimulus_sets",
    "load_dataset",
    "load_stimulus_set",
    "make_assembly",
    "validate_assembly",
]
