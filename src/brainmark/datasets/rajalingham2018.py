"""Rajalingham et al. 2018: human 2-alternative match-to-sample trials on 24 objects (official Brain-Score files).

Online only (Brain-Score bucket or a mirror folder with ``brainio-brainscore/<file>``), SHA-1 verified. Loaded as
one ``presentation`` per trial, values = the chosen object; coords ``stimulus_id``, ``truth``, ``choice``,
``sample_obj`` and ``distractor`` (the official ``dist_obj``).
"""
from __future__ import annotations

import xarray as xr

from brainmark.data.brainio import read_netcdf_assembly, to_trials
from brainmark.data.registry import Files
from brainmark.datasets._official import official_file, register_official

CITATION = """@article{rajalingham2018large,
  title={Large-scale, high-resolution comparison of the core visual object recognition behavior of humans, monkeys, and state-of-the-art deep artificial neural networks},
  author={Rajalingham, Rishi and Issa, Elias B and Bashivan, Pouya and Kar, Kohitij and Schmidt, Kailyn and DiCarlo, James J},
  journal={Journal of Neuroscience}, volume={38}, number={33}, pages={7255--7269}, year={2018}
}"""
ASSEMBLIES = {
    "public": official_file("assy_dicarlo_Rajalingham2018_public.nc", "34c6a8b6f7c523589c1861e4123232e5f7c7df4c"),
    "private": official_file("assy_dicarlo_Rajalingham2018_private.nc", "516f13793d1c5b72bb445bb4008448ce97a02d23"),
}
STIMULI = {
    "public": (official_file("stimulus_objectome_public.csv", "47884e17106a3be471d6481279cab33889b80850"),
               official_file("stimulus_objectome_public.zip", "064f2955f98e63867755fee2e3ead8cddf6bfab8", archive=True)),
    "private": (official_file("stimulus_objectome_private.csv", "ac38e8f7c08fa8294ed25a3bf84a6adb108bf3fc"),
                official_file("stimulus_objectome_private.zip", "ccd39f7f9b8b4a92da06e3960d06225e46208593", archive=True)),
}


def _trials(split: str):
    def load(files: Files) -> xr.DataArray:
        trials = to_trials(read_netcdf_assembly(files.path(ASSEMBLIES[split].name)), rename={"dist_obj": "distractor"})
        trials.attrs.update(identifier=f"Rajalingham2018.{split}", stimulus_set=f"Rajalingham2018.{split}")
        return trials
    return load


for _split in ("public", "private"):
    register_official(
        f"Rajalingham2018.{_split}", "behavioral", _trials(_split), ASSEMBLIES[_split], STIMULI[_split],
        citation=CITATION, description=f"human match-to-sample trials, 24 objects ({_split}); official Brain-Score file",
        shape="presentation (trials)", stimuli_description=f"objectome images ({_split}); 8 degrees",
        stimuli_shape="240 images" if _split == "private" else "images")
