"""brainmark's datasets: one module per dataset, each registering its files, loader, citation and license.

Importing this package registers them all into the data registry (:mod:`brainmark.data.registry`); the look-up
functions below are that registry's, with the built-in datasets present.
"""
from brainmark.data.registry import (
    dataset_info,
    list_datasets,
    list_stimulus_sets,
    load_dataset,
    load_stimulus_set,
)
from brainmark.datasets import (  # noqa: F401  (each module registers its datasets)
    coggan2024,
    cowley2023,
    geirhos2021,
    geirhos2021_cueconflict,
    imagenet_samples,
    kriegeskorte2008,
    majajhong2015,
    rajalingham2018,
)

__all__ = ["dataset_info", "list_datasets", "list_stimulus_sets", "load_dataset", "load_stimulus_set"]
