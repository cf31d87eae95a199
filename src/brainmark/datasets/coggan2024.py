"""Coggan & Tong 2024: human fMRI representational similarity matrices (V1, V2, V4, IT x 9 subjects) for 24 images
of 8 objects x {complete, upper, lower} occlusion. Shipped inside the package (MIT, from Brain-Score).

The matrices are similarities from split-half cross-correlations, hence not symmetric: compare off-diagonal
entries in full.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import xarray as xr

from brainmark.data.registry import DatasetEntry, Files, register
from brainmark.data.stimuli import StimulusSet
from brainmark.datasets._common import matrices, stimulus_set_from_csv
from brainmark.datasets._shipped import shipped_files
from brainmark.errors import AssemblyError

FILES = shipped_files("coggan2024")
LICENSE = "MIT"
CITATION = """@article{coggan2024occlusion,
  title={Feedforward and feedback contributions to object recognition under occlusion},
  author={Coggan, David D and Tong, Frank},
  journal={Journal of Vision}, year={2024}
}"""


@lru_cache(maxsize=2)
def _npz(path: str) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def _fmri(files: Files) -> xr.DataArray:
    data = _npz(str(files.path("rsms.npz")))
    ids = [str(s) for s in data["stimulus_id"]]
    csv_ids = sorted(_stimulus_set(files).stimulus_ids)
    if ids != csv_ids:
        raise AssemblyError("Coggan2024: the RSM stimulus order differs from the sorted stimulus ids of stimuli.csv")
    return matrices(data["rsm"], ids, kind="similarity", symmetric=False,
                    leading={"region": [str(r) for r in data["region"]], "subject": [str(s) for s in data["subject"]]},
                    attrs={"identifier": "Coggan2024.fMRI", "stimulus_set": "Coggan2024",
                           "description": "split-half cross-correlation similarity matrices; not symmetric"})


def _stimulus_set(files: Files) -> StimulusSet:
    return stimulus_set_from_csv("Coggan2024", files, "stimuli.csv")


_stim_files = tuple(f for f in FILES if f.name != "rsms.npz")
register(DatasetEntry("Coggan2024.fMRI", "rdm", _fmri, FILES,
                      description="human fMRI RSMs for 24 occluded-object images", citation=CITATION, license=LICENSE,
                      stimulus_set="Coggan2024", shape="region 4 x subject 9 x 24 x 24"))
register(DatasetEntry("Coggan2024", "stimuli", _stimulus_set, _stim_files,
                      description="8 objects x {complete, upper, lower} occlusion", citation=CITATION,
                      license=LICENSE, shape="24 images"))
