"""Cowley et al. 2023 (bioRxiv): macaque V4 spike counts (100 ms bins) for three test sessions, with their images.

GPL-3.0 (the source repository's license), so not shipped: the files resolve through the store (cache ->
``$BRAINMARK_DATA_MIRROR`` -> the public URL at the pinned commit of cowleygroup/V4_compact_models).
The images carry no object labels, so cross-validation cannot stratify by object on these sessions.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import xarray as xr

from brainmark.data.assembly import make_assembly
from brainmark.data.files import DataFile
from brainmark.data.registry import DatasetEntry, Files, register
from brainmark.data.stimuli import StimulusSet, StimulusSetError

REPO_URL = "https://raw.githubusercontent.com/cowleygroup/V4_compact_models/f4552ad9/data_V4_responses/"
LICENSE = "GPL-3.0"
NOTES = ("GPL-3.0 as the source repository cowleygroup/V4_compact_models; not shipped, resolved through the store. "
         "No object labels: cross-validation cannot stratify by object.")
CITATION = """@article{cowley2023compact,
  title={Compact deep neural network models of visual cortex},
  author={Cowley, Benjamin R and Stan, Patricia L and Pillow, Jonathan W and Smith, Matthew A},
  journal={bioRxiv}, doi={10.1101/2023.11.22.568315}, year={2023}
}"""
ANIMAL = "PE"
SESSIONS = {"210325": (50, 640), "201025": (89, 1200), "210225": (55, 1200)}
IMAGE_TYPES = {"210325": "Bashivan et al. 2019 (HvM-style renders)", "201025": "natural", "210225": "natural"}


def _file(relpath: str, sha256: str, size: int) -> DataFile:
    return DataFile(relpath.rsplit("/", 1)[-1], f"sha256:{sha256}", size, urls=(REPO_URL + relpath,),
                    mirror_path=f"cowley2023_v4/{relpath}", archive=relpath.endswith(".zip"))


AVERAGED = {
    "210325": _file("responses_repeat_averaged/responses_210325.npy",
                    "555e67037182611969ab90da291dcc39601de4411f651a64ad60e90572cf59d3", 256128),
    "201025": _file("responses_repeat_averaged/responses_201025.npy",
                    "f729f3dc0d29aa38bd380c0da9e39aba916f9e2580949929b65d1714e7217a8a", 854528),
    "210225": _file("responses_repeat_averaged/responses_210225.npy",
                    "853f196247504fa2526b507f56ee5237711ed166f295f7cb23ec5441a7bf789b", 528128),
}
RAW_210325 = DataFile("responses_raw_210325.npy",
                      "sha256:4008dbbf31a47d9b1b8d8da609f4a7a3433c7071f0e45c611c220b217dd75b76", 2560128,
                      urls=(REPO_URL + "responses_raw/responses_210325.npy",),
                      mirror_path="cowley2023_v4/responses_raw/responses_210325.npy")
IMAGES = {
    "210325": _file("images/images_210325.zip", "992774eca3508a2ad01accb1a31f5f3e3d90248c49f4eec314f2a915a263e454", 1841475),
    "201025": _file("images/images_201025.zip", "3abb63679107665eab7220bdeaf7863832a1df943bf3d7792501f5082a55b2e8", 4131376),
    "210225": _file("images/images_210225.zip", "79bfb1066949a7f7bbd3c632ab420c2230b966b80cade76593d8745aea49b7f6", 4137526),
}
README = _file("readme.txt", "85e03e02327dff4e64cc247127bb6092e84fb376ccb2949987341c564dd0561e", 5258)
LICENSE_FILE = DataFile("LICENSE", "sha256:3972dc9744f6499f0f9b2dbf76696f2ae7ad8af9b23dde66d6af86c9dfb36986", 35149,
                        urls=("https://raw.githubusercontent.com/cowleygroup/V4_compact_models/f4552ad9/LICENSE",),
                        mirror_path="cowley2023_v4/LICENSE")


def stimulus_ids(session: str, n_images: int) -> list[str]:
    """Ids of a session's images, in response order (``<session>_image0001`` ...)."""
    return [f"{session}_image{i + 1:04d}" for i in range(n_images)]


@lru_cache(maxsize=8)
def _npy(path: str) -> np.ndarray:
    return np.load(path, allow_pickle=False)


def _assembly(session: str, values: np.ndarray, extra_dims: tuple[str, ...] = (), **attrs) -> xr.DataArray:
    n_pres, n_neur = values.shape[:2]
    return make_assembly(
        values,
        stimulus_ids(session, n_pres),
        [f"{session}_n{j:03d}" for j in range(n_neur)],
        region="V4",
        extra_dims=extra_dims,
        neuroid_coords={"animal": [ANIMAL] * n_neur, "session": [session] * n_neur},
        attrs={"identifier": f"Cowley2023.{session}", "stimulus_set": f"Cowley2023.{session}",
               "units": "spike count per 100 ms bin", "time_bin_ms": 100, "stratify_by": "none (no object labels)",
               **attrs},
    )


def _raw(files: Files) -> xr.DataArray:
    raw = _npy(str(files.path(RAW_210325.name)))  # neurons x images x repeat slots, NaN-padded
    return _assembly("210325", np.transpose(raw, (1, 0, 2)), extra_dims=("repetition",),
                     description="raw repeats, NaN where an image had fewer repeats")


def _averaged(session: str):
    def load(files: Files) -> xr.DataArray:
        mean = _npy(str(files.path(AVERAGED[session].name)))  # neurons x images
        return _assembly(session, mean.T, description="repeat-averaged spike counts")
    return load


def _stimuli(session: str):
    def load(files: Files) -> StimulusSet:
        folder = files.folder(IMAGES[session].name)
        paths = sorted(folder.rglob("image*.jpg"))
        expected = SESSIONS[session][1]
        if len(paths) != expected:
            raise StimulusSetError(f"images_{session}.zip holds {len(paths)} images; expected {expected}")
        return StimulusSet.from_files(f"Cowley2023.{session}", paths, stimulus_ids(session, expected),
                                      session=[session] * expected, file_name=[p.name for p in paths])
    return load


for _session, (_neurons, _images) in SESSIONS.items():
    _common = dict(citation=CITATION, license=LICENSE, notes=NOTES, stimulus_set=f"Cowley2023.{_session}")
    if _session == "210325":
        register(DatasetEntry(
            "Cowley2023.210325", "neural", _raw, (RAW_210325, README, LICENSE_FILE),
            description=f"macaque V4, session 210325: raw repeats ({IMAGE_TYPES[_session]})",
            shape=f"presentation {_images} x neuroid {_neurons} x repetition 10 (NaN-padded)", **_common))
        register(DatasetEntry(
            "Cowley2023.210325.averaged", "neural", _averaged(_session), (AVERAGED[_session], README, LICENSE_FILE),
            description="macaque V4, session 210325: repeat-averaged", shape=f"presentation {_images} x neuroid {_neurons}",
            **_common))
    else:
        register(DatasetEntry(
            f"Cowley2023.{_session}", "neural", _averaged(_session), (AVERAGED[_session], README, LICENSE_FILE),
            description=f"macaque V4, session {_session}: repeat-averaged ({IMAGE_TYPES[_session]} images)",
            shape=f"presentation {_images} x neuroid {_neurons}", **_common))
    register(DatasetEntry(
        f"Cowley2023.{_session}", "stimuli", _stimuli(_session), (IMAGES[_session], LICENSE_FILE),
        description=f"the {_images} images of session {_session} (112x112 JPEG, {IMAGE_TYPES[_session]})",
        shape=f"{_images} images", citation=CITATION, license=LICENSE, notes=NOTES))
