"""Geirhos et al. 2019 (ICLR) texture-vs-shape cue conflict: 1,280 style-transfer images and 16-way human decisions.

Each image has the shape of one image and the texture of another (style transfer); the file name gives both classes
(``airplane1-bicycle2.png``: shape airplane, texture bicycle). 80 images have the same class for both; shape-bias
analyses ignore them (metadata ``conflict`` = False).

Registered (nothing of it ships in the package: the images are 133 MB; everything resolves through the store, i.e.
cache -> ``$BRAINMARK_DATA_MIRROR`` -> the public URL at a pinned commit, each file checked against the sha256 in
``datasets/checksums/geirhos2021_cueconflict.tsv``):

- stimulus set ``Geirhos2021.cue-conflict``: stimulus id = file stem; metadata ``shape``, ``texture``, ``conflict``
  (and ``category`` = the shape class, the folder it sits in). Images: rgeirhos/texture-vs-shape at ccd0c01d,
  ``stimuli/style-transfer-preprocessed-512`` (CC-BY-4.0).
- ``Geirhos2021.cue-conflict``: 10 subjects x 1,280 trials, no instruction (bethgelab/model-vs-human at 79ed7cd1,
  ``raw-data/cue-conflict``, MIT; byte-identical to texture-vs-shape's ``style-transfer-512-nomask-experiment``).
- ``Geirhos2021.cue-conflict-shape-instructed`` / ``-texture-instructed``: 10 subjects each on the same images, told
  to report the shape (resp. the texture) and ignore the other cue (texture-vs-shape at ccd0c01d, ``raw-data/
  style-transfer-512-nomask-{content,texture}-guessing-experiment``). They show how far humans *can* follow a cue.

Trials: one ``presentation`` per trial, values = the response (one of the 16 classes, or ``na`` for no answer);
coords ``stimulus_id``, ``truth`` (= the shape class, the files' ``category``), ``shape``, ``texture``, ``conflict``,
``subject``, ``session``, ``trial``, ``rt``, ``condition``, ``image_name``, ``instruction`` (none | shape | texture).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import xarray as xr

from brainmark.data.files import DataFile, DataFileError
from brainmark.data.registry import DatasetEntry, Files, register
from brainmark.data.stimuli import StimulusSet
from brainmark.datasets import geirhos2021
from brainmark.errors import AssemblyError

STIMULUS_SET = "Geirhos2021.cue-conflict"
LIST_NAME = "geirhos2021_cueconflict"
MIRROR_FOLDER = "geirhos2021"
STIMULI_FOLDER = "stimuli/style-transfer-preprocessed-512/"
TEXTURE_VS_SHAPE = "https://raw.githubusercontent.com/rgeirhos/texture-vs-shape/ccd0c01d/"
MODEL_VS_HUMAN = "https://raw.githubusercontent.com/bethgelab/model-vs-human/79ed7cd1/"
#: condition -> (folder under human_responses/ on the mirror, public folder of the same files)
CONDITIONS = {
    "none": ("cue-conflict", MODEL_VS_HUMAN + "raw-data/cue-conflict/"),
    "shape": ("cue-conflict-shape-instructed",
              TEXTURE_VS_SHAPE + "raw-data/style-transfer-512-nomask-content-guessing-experiment/"),
    "texture": ("cue-conflict-texture-instructed",
                TEXTURE_VS_SHAPE + "raw-data/style-transfer-512-nomask-texture-guessing-experiment/"),
}
CATEGORIES = geirhos2021.CATEGORIES
N_IMAGES, N_SUBJECTS = 1280, 10
NOTES = ("not shipped (133 MB of images): resolved through the store (mirror folder geirhos2021/, or the public URLs "
         "at texture-vs-shape ccd0c01d / model-vs-human 79ed7cd1); stimuli CC-BY-4.0, uninstructed responses MIT")


def _url(relpath: str) -> str:
    """The public URL of a file, from its path inside the mirror folder."""
    if relpath.startswith(STIMULI_FOLDER):
        return TEXTURE_VS_SHAPE + relpath
    folder, name = relpath.removeprefix("human_responses/").split("/", 1)
    for local, public in CONDITIONS.values():
        if folder == local:
            return public + name
    raise DataFileError(f"no public URL is known for {relpath}")


def _files() -> tuple[tuple[DataFile, ...], str | None]:
    """The registered files (from the checked checksum list) and, if the list is unusable, why."""
    from brainmark.datasets.checksums import read_list

    try:
        rows = read_list(LIST_NAME)
    except DataFileError as exc:
        return (), str(exc)
    return tuple(DataFile(relpath, f"sha256:{digest}", size, urls=(_url(relpath),),
                          mirror_path=f"{MIRROR_FOLDER}/{relpath}") for digest, size, relpath in rows), None


FILES, _PROBLEM = _files()
_LICENSES = {f.name: f for f in geirhos2021.FILES if f.name in ("DATASET_LICENSE", "RESPONSES_LICENSE")}


def classes_of(stem: str) -> tuple[str, str]:
    """``airplane1-bicycle2`` -> (``airplane``, ``bicycle``): the shape and texture classes of a stimulus."""
    parts = stem.split("-")
    if len(parts) != 2:
        raise AssemblyError(f"cue-conflict stimulus {stem!r} is not named <shape><i>-<texture><j>")
    shape, texture = (p.rstrip("0123456789") for p in parts)
    unknown = [c for c in (shape, texture) if c not in CATEGORIES]
    if unknown:
        raise AssemblyError(f"cue-conflict stimulus {stem!r} names classes {unknown} outside the 16 categories")
    return shape, texture


def stimulus_id(image_name: str) -> str:
    """``0001_s5n_s01_0_bird_00_bird3-bird2.png`` (or ``bird3-bird2.png``) -> ``bird3-bird2``."""
    return image_name.rsplit("_", 1)[-1].rsplit(".", 1)[0]


def _check_available() -> None:
    if _PROBLEM:
        raise DataFileError(_PROBLEM)


def _stimuli(files: Files) -> StimulusSet:
    _check_available()
    names = sorted(n for n in files.names() if n.startswith(STIMULI_FOLDER) and n.endswith(".png"))
    if len(names) != N_IMAGES:
        raise AssemblyError(f"{STIMULUS_SET}: {len(names)} images registered, expected {N_IMAGES}")
    stems = [n.rsplit("/", 1)[-1][:-len(".png")] for n in names]
    classes = [classes_of(s) for s in stems]
    folders = [n[len(STIMULI_FOLDER):].split("/", 1)[0] for n in names]
    if any(folder != shape for folder, (shape, _) in zip(folders, classes)):
        raise AssemblyError(f"{STIMULUS_SET}: an image's folder differs from the shape class in its name")
    table = pd.DataFrame({
        "stimulus_id": stems,
        "image_path": [str(files.path(n)) for n in names],
        "shape": [s for s, _ in classes],
        "texture": [t for _, t in classes],
        "conflict": [s != t for s, t in classes],
        "category": folders,
    })
    return StimulusSet(STIMULUS_SET, table, attrs={"categories": list(CATEGORIES)})


@lru_cache(maxsize=4)
def _table(paths: tuple[str, ...]) -> pd.DataFrame:
    table = pd.concat([pd.read_csv(p, dtype={"object_response": str}, keep_default_na=False) for p in paths],
                      ignore_index=True)
    expected = ["subj", "session", "trial", "rt", "object_response", "category", "condition", "imagename"]
    missing = [c for c in expected if c not in table.columns]
    if missing:
        raise AssemblyError(f"cue-conflict response files lack columns {missing}")
    return table


def _trials(instruction: str):
    folder = CONDITIONS[instruction][0]

    def load(files: Files) -> xr.DataArray:
        _check_available()
        names = sorted(n for n in files.names() if n.startswith(f"human_responses/{folder}/"))
        table = _table(tuple(str(files.path(n)) for n in names))
        ids = [stimulus_id(n) for n in table["imagename"]]
        classes = [classes_of(s) for s in ids]
        shape = np.asarray([s for s, _ in classes], dtype=object)
        texture = np.asarray([t for _, t in classes], dtype=object)
        truth = table["category"].astype(str).to_numpy()
        if not (truth == shape).all():
            raise AssemblyError(f"{folder}: a trial's 'category' differs from the shape class in its image name")
        identifier = STIMULUS_SET if instruction == "none" else f"{STIMULUS_SET}-{instruction}-instructed"
        coords = {
            "stimulus_id": ("presentation", ids), "truth": ("presentation", truth.astype(str)),
            "shape": ("presentation", shape.astype(str)), "texture": ("presentation", texture.astype(str)),
            "conflict": ("presentation", shape != texture),
            "subject": ("presentation", table["subj"].astype(str).to_numpy()),
            "session": ("presentation", table["session"].to_numpy()),
            "trial": ("presentation", table["trial"].to_numpy()),
            "rt": ("presentation", pd.to_numeric(table["rt"], errors="coerce").to_numpy(dtype=float)),
            "condition": ("presentation", table["condition"].astype(str).to_numpy()),
            "image_name": ("presentation", table["imagename"].astype(str).to_numpy()),
            "instruction": ("presentation", np.full(len(table), instruction)),
        }
        return xr.DataArray(
            table["object_response"].to_numpy(dtype=str), dims=("presentation",), coords=coords,
            attrs={"identifier": identifier, "stimulus_set": STIMULUS_SET, "categories": list(CATEGORIES),
                   "instruction": instruction, "no_answer": "na",
                   "description": "one presentation per trial; values = response ('na': no answer)"},
        )
    return load


def _register() -> None:
    stimuli = tuple(f for f in FILES if f.name.startswith(STIMULI_FOLDER))
    common = dict(citation=geirhos2021.CITATION, notes=NOTES)
    register(DatasetEntry(
        STIMULUS_SET, "stimuli", _stimuli, (*stimuli, _LICENSES["DATASET_LICENSE"]), license="CC-BY-4.0",
        description="1,280 cue-conflict images (shape of one class, texture of another; 80 without conflict)",
        shape=f"{N_IMAGES} images", **common))
    described = {"none": "no instruction", "shape": "told to report the shape", "texture": "told to report the texture"}
    for instruction, (folder, _) in CONDITIONS.items():
        responses = tuple(f for f in FILES if f.name.startswith(f"human_responses/{folder}/"))
        identifier = STIMULUS_SET if instruction == "none" else f"{STIMULUS_SET}-{instruction}-instructed"
        licenses = (_LICENSES["RESPONSES_LICENSE"],) if instruction == "none" else ()
        register(DatasetEntry(
            identifier, "behavioral", _trials(instruction), responses + licenses,
            license="MIT" if instruction == "none" else "see the source repository (rgeirhos/texture-vs-shape)",
            description=f"human 16-way decisions on the cue-conflict images, {described[instruction]} "
                        f"({N_SUBJECTS} subjects x {N_IMAGES} trials)",
            stimulus_set=STIMULUS_SET, shape=f"presentation {N_SUBJECTS * N_IMAGES} (trials)", **common))


_register()
