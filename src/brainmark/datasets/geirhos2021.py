"""Geirhos et al. 2021 (model-vs-human): human 16-way classification trials on "edge" and "silhouette" images.

Shipped inside the package: the stimuli (CC-BY-4.0, rgeirhos/texture-vs-shape) and the raw per-trial responses
(MIT, bethgelab/model-vs-human), copied unchanged. Stimulus ids are ``<dataset>/<file stem>`` (e.g.
``edge/oven10``), unique across the two datasets.
"""
from __future__ import annotations

from functools import lru_cache

import pandas as pd
import xarray as xr

from brainmark.data.registry import DatasetEntry, Files, register
from brainmark.data.stimuli import StimulusSet
from brainmark.datasets._shipped import shipped_files
from brainmark.errors import AssemblyError

FILES = shipped_files("geirhos2021")
CATEGORIES = ("airplane", "bear", "bicycle", "bird", "boat", "bottle", "car", "cat", "chair", "clock", "dog",
              "elephant", "keyboard", "knife", "oven", "truck")
FOLDERS = {"edge": "edges", "silhouette": "filled-silhouettes"}
LICENSE = "CC-BY-4.0 + MIT"
NOTES = "stimuli CC-BY-4.0 (rgeirhos/texture-vs-shape); responses MIT (bethgelab/model-vs-human)"
CITATION = """@inproceedings{geirhos2021partial,
  title={Partial success in closing the gap between human and machine vision},
  author={Geirhos, Robert and Narayanappa, Kantharaju and Mitzkus, Benjamin and Thieringer, Tizian and Bethge, Matthias and Wichmann, Felix A and Brendel, Wieland},
  booktitle={Advances in Neural Information Processing Systems}, volume={34}, year={2021}
}
@inproceedings{geirhos2019imagenet,
  title={ImageNet-trained CNNs are biased towards texture; increasing shape bias improves accuracy and robustness},
  author={Geirhos, Robert and Rubisch, Patricia and Michaelis, Claudio and Bethge, Matthias and Wichmann, Felix A and Brendel, Wieland},
  booktitle={International Conference on Learning Representations}, year={2019}
}"""


def stimulus_id(dataset: str, image_name: str) -> str:
    """``edge`` + ``0001_edg_s01_0_oven_00_oven10.png`` (or ``oven10.png``) -> ``edge/oven10``."""
    file_name = image_name.rsplit("_", 1)[-1]
    return f"{dataset}/{file_name.rsplit('.', 1)[0]}"


@lru_cache(maxsize=4)
def _trials_table(dataset: str, paths: tuple[str, ...]) -> pd.DataFrame:
    table = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    expected = ["subj", "session", "trial", "rt", "object_response", "category", "condition", "imagename"]
    missing = [c for c in expected if c not in table.columns]
    if missing:
        raise AssemblyError(f"Geirhos2021.{dataset} response files lack columns {missing}")
    return table


def _trials(dataset: str):
    def load(files: Files) -> xr.DataArray:
        names = sorted(n for n in files.names() if n.startswith(f"human_responses/{dataset}/"))
        table = _trials_table(dataset, tuple(str(files.path(n)) for n in names))
        coords = {
            "stimulus_id": ("presentation", [stimulus_id(dataset, n) for n in table["imagename"]]),
            "truth": ("presentation", table["category"].astype(str).to_numpy()),
            "subject": ("presentation", table["subj"].astype(str).to_numpy()),
            "session": ("presentation", table["session"].to_numpy()),
            "trial": ("presentation", table["trial"].to_numpy()),
            "rt": ("presentation", table["rt"].to_numpy(dtype=float)),
            "condition": ("presentation", table["condition"].astype(str).to_numpy()),
            "image_name": ("presentation", table["imagename"].astype(str).to_numpy()),
        }
        return xr.DataArray(
            table["object_response"].to_numpy(dtype=str), dims=("presentation",), coords=coords,
            attrs={"identifier": f"Geirhos2021.{dataset}", "stimulus_set": f"Geirhos2021.{dataset}",
                   "categories": list(CATEGORIES), "description": "one presentation per trial; values = response"},
        )
    return load


def _stimuli(dataset: str):
    def load(files: Files) -> StimulusSet:
        prefix = f"stimuli/{FOLDERS[dataset]}/"
        names = sorted(n for n in files.names() if n.startswith(prefix) and n.endswith(".png"))
        table = pd.DataFrame({
            "stimulus_id": [stimulus_id(dataset, n.rsplit("/", 1)[-1]) for n in names],
            "image_path": [str(files.path(n)) for n in names],
            "category": [n[len(prefix):].split("/", 1)[0] for n in names],
        })
        return StimulusSet(f"Geirhos2021.{dataset}", table, attrs={"categories": list(CATEGORIES)})
    return load


for _dataset in FOLDERS:
    _files = tuple(f for f in FILES if f.name in ("MANIFEST.json", "DATASET_LICENSE", "RESPONSES_LICENSE")
                   or f.name.startswith(f"human_responses/{_dataset}/") or f.name.startswith(f"stimuli/{FOLDERS[_dataset]}/"))
    _trial_files = tuple(f for f in _files if not f.name.startswith("stimuli/"))
    _stim_files = tuple(f for f in _files if not f.name.startswith("human_responses/"))
    register(DatasetEntry(
        f"Geirhos2021.{_dataset}", "behavioral", _trials(_dataset), _trial_files,
        description=f"human 16-way classification trials on {_dataset} images (10 subjects x 160 trials)",
        citation=CITATION, license=LICENSE, notes=NOTES, stimulus_set=f"Geirhos2021.{_dataset}",
        shape="presentation 1600 (trials)"))
    register(DatasetEntry(
        f"Geirhos2021.{_dataset}", "stimuli", _stimuli(_dataset), _stim_files,
        description=f"160 {_dataset} images, 16 categories x 10", citation=CITATION, license=LICENSE, notes=NOTES,
        shape="160 images"))

