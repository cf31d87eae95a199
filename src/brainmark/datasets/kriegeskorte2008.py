"""Kriegeskorte et al. 2008 / Kiani et al. 2007: 92 object images and their representational dissimilarity matrices.

Shipped inside the package (MIT, from rsatoolbox): the 92 images as PNG, category labels, and the RDMs (monkey IT,
human IT, human IT per subject and session, and 16 similarity-judgement RDMs of Mur et al. 2013), converted from the
original MATLAB files by ``scripts/package_datasets.py``. The originals are registered as ``SOURCES`` (URL at the
pinned rsatoolbox commit, sha256, mirror path).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import xarray as xr
from scipy.spatial.distance import squareform

from brainmark.data.files import DataFile
from brainmark.data.registry import DatasetEntry, Files, register
from brainmark.data.stimuli import StimulusSet
from brainmark.datasets._common import matrices, stimulus_set_from_csv
from brainmark.datasets._shipped import shipped_files

RSATOOLBOX_URL = (
    "https://raw.githubusercontent.com/rsagroup/rsatoolbox/f1f83cadb7243492a1aae7460466e0f0140b20ac/demos/92imageData/"
)


def _source(name: str, sha256: str, size: int) -> DataFile:
    return DataFile(name, f"sha256:{sha256}", size, urls=(RSATOOLBOX_URL + name,),
                    mirror_path=f"kriegeskorte2008_92images/{name}")


SOURCES = (
    _source("Kriegeskorte_Neuron2008_supplementalData.mat",
            "06f21214399a5d43dc264eed19a7f4b8daf11c8622a59eec3e106064ce5e3504", 3603779),
    _source("92_brainRDMs.mat", "1743f90a15e895798a94318649e80e1123a7e5943a1703fa1dd7c31ea5780b7c", 224663),
    _source("92_behavRDMs.mat", "7a8e118c144c3840adeeeef6ea0706a0be2b3e80df719af15fbb56fc62562f5f", 982719),
    _source("92_modelRDMs.mat", "e1d2b58bb2f9508bc13da4c81b94d1ab07823b25ed30b9563bd9d6d730c2a00a", 333004),
)
FILES = shipped_files("kriegeskorte2008")
STIMULUS_SET = "Kriegeskorte2008"
LICENSE = "MIT"
CITATION = """@article{kriegeskorte2008matching,
  title={Matching categorical object representations in inferior temporal cortex of man and monkey},
  author={Kriegeskorte, Nikolaus and Mur, Marieke and Ruff, Douglas A and Kiani, Roozbeh and Bodurka, Jerzy and Esteky, Hossein and Tanaka, Keiji and Bandettini, Peter A},
  journal={Neuron}, volume={60}, number={6}, pages={1126--1141}, year={2008}
}
@article{kiani2007object,
  title={Object category structure in response patterns of neuronal population in monkey inferior temporal cortex},
  author={Kiani, Roozbeh and Esteky, Hossein and Mirpour, Koorosh and Tanaka, Keiji},
  journal={Journal of Neurophysiology}, volume={97}, number={6}, pages={4296--4309}, year={2007}
}
@article{mur2013human,
  title={Human object-similarity judgments reflect and transcend the primate-IT object representation},
  author={Mur, Marieke and Meys, Mirjam and Bodurka, Jerzy and Goebel, Rainer and Bandettini, Peter A and Kriegeskorte, Nikolaus},
  journal={Frontiers in Psychology}, volume={4}, pages={128}, year={2013}
}"""


@lru_cache(maxsize=4)
def _rdms(path: str) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def _ids(files: Files) -> list[str]:
    return pd.read_csv(files.path("stimuli.csv"))["stimulus_id"].astype(str).tolist()


def _attrs(description: str, **extra) -> dict:
    return {"description": description, "stimulus_set": STIMULUS_SET, "dataset": "Kriegeskorte2008", **extra}


def _condensed(name: str, description: str):
    def load(files: Files) -> xr.DataArray:
        rdms = _rdms(str(files.path("rdms.npz")))
        # the condensed vectors hold the upper triangle row by row, as squareform reads it
        full = squareform(rdms[f"{name}_condensed"], checks=False)
        return matrices(full, _ids(files), kind="dissimilarity", symmetric=True, attrs=_attrs(description))
    return load


def _subjects(files: Files) -> xr.DataArray:
    rdms = _rdms(str(files.path("rdms.npz")))
    values = rdms["human_it_subjects"].astype(np.float64)
    subjects = [str(s) for s in rdms["human_it_subject_names"]]
    return matrices(values, _ids(files), kind="dissimilarity", symmetric=True,
                    leading={"subject": subjects, "session": [1, 2]},
                    attrs=_attrs("human IT fMRI RDMs per subject (4) and session (2)"))


def _judgements(files: Files) -> xr.DataArray:
    rdms = _rdms(str(files.path("rdms.npz")))
    subjects = [str(n).split("|")[-1].strip() for n in rdms["judgement_names"]]
    return matrices(rdms["judgements"], _ids(files), kind="dissimilarity", symmetric=True,
                    leading={"subject": subjects},
                    attrs=_attrs("similarity-judgement RDMs of 16 human subjects (Mur et al. 2013)"))


def _stimulus_set(files: Files) -> StimulusSet:
    return stimulus_set_from_csv(
        STIMULUS_SET, files, "stimuli.csv",
        attrs={"note": "175x175 px; the human fMRI experiment showed them at 2.9 degrees of visual angle"},
    )


RDM_FILES = tuple(f for f in FILES if not f.name.startswith("images/"))
STIMULUS_FILES = tuple(f for f in FILES if f.name != "rdms.npz")


def _entry(identifier: str, kind: str, loader, description: str, shape: str) -> DatasetEntry:
    return register(DatasetEntry(
        identifier, kind, loader, STIMULUS_FILES if kind == "stimuli" else RDM_FILES, description=description, citation=CITATION, license=LICENSE,
        stimulus_set=STIMULUS_SET, shape=shape, sources=SOURCES,
    ))


_entry("Kriegeskorte2008.monkeyIT", "rdm", _condensed("monkey_it", "monkey IT RDM, 674 neurons (Kiani et al. 2007)"),
       "monkey IT RDM (674 neurons; Kiani et al. 2007)", "92 x 92")
_entry("Kriegeskorte2008.humanIT", "rdm", _condensed("human_it", "human IT fMRI RDM, 316 voxels, 4 subjects averaged"),
       "human IT fMRI RDM (316 voxels; mean of 4 subjects x 2 sessions)", "92 x 92")
_entry("Kriegeskorte2008.humanIT.subjects", "rdm", _subjects,
       "human IT fMRI RDMs per subject and session", "subject 4 x session 2 x 92 x 92")
_entry("Kriegeskorte2008.judgements", "rdm", _judgements,
       "human similarity-judgement RDMs (Mur et al. 2013)", "subject 16 x 92 x 92")
_entry(STIMULUS_SET, "stimuli", _stimulus_set,
       "the 92 object images (PNG) with category, human, face, animal, natural labels", "92 images")
