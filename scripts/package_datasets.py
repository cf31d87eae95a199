#!/usr/bin/env python
"""Regenerate the datasets shipped inside the package from a data mirror (the layout of ../shared/data).

    .venv/bin/python scripts/package_datasets.py [--mirror ../shared/data]

Writes ``src/brainmark/datasets/files/<dataset>/`` (converted or copied files, their LICENSE/attribution files
and a ``MANIFEST.json`` with each file's sha256, size, public URL and mirror path) and
``src/brainmark/datasets/_manifest_hashes.py`` (the sha256 of each manifest, which the dataset modules check).
Conversions: Kriegeskorte2008's MATLAB files become PNG images, a CSV of labels and an npz of RDMs (verified
against their registered sha256 first); ImageNet sample class names come from torchvision's ImageNet metadata.
Everything else is copied byte for byte. The output is deterministic: rerunning gives identical files.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.io
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
FILES = ROOT / "src" / "brainmark" / "datasets" / "files"
HASHES_MODULE = ROOT / "src" / "brainmark" / "datasets" / "_manifest_hashes.py"

GEIRHOS_STIMULI_URL = "https://raw.githubusercontent.com/rgeirhos/texture-vs-shape/ccd0c01d/stimuli/"
GEIRHOS_RESPONSES_URL = "https://raw.githubusercontent.com/bethgelab/model-vs-human/79ed7cd1/raw-data/"
COGGAN_URL = "https://raw.githubusercontent.com/brain-score/vision/c019c803/brainscore_vision/data/coggan2024_fMRI/"
FOOLBOX_URL = "https://raw.githubusercontent.com/bethgelab/foolbox/v3.3.4/foolbox/data/"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Manifest:
    """Collects the files written into one shipped dataset folder."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.folder = FILES / name
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        self.entries: dict[str, dict] = {}
        self.sources: dict[str, dict] = {}

    def copy(self, source: Path, relpath: str, *, mirror_path: str, url: str | None) -> None:
        target = self.folder / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        self.add(relpath, mirror_path=mirror_path, url=url)

    def write_bytes(self, relpath: str, data: bytes, *, derived_from: list[str]) -> None:
        target = self.folder / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.add(relpath, derived_from=derived_from)

    def add(self, relpath: str, **info) -> None:
        path = self.folder / relpath
        self.entries[relpath] = {"sha256": sha256(path), "size": path.stat().st_size,
                                 **{k: v for k, v in info.items() if v is not None}}

    def save(self) -> str:
        manifest = {"dataset": self.name, "files": dict(sorted(self.entries.items())), "sources": self.sources}
        path = self.folder / "MANIFEST.json"
        path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        return sha256(path)


def npz_bytes(**arrays: np.ndarray) -> bytes:
    """A deterministic npz (fixed zip timestamps) of plain, non-object arrays."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            array = np.asarray(arrays[key])
            assert array.dtype != object, key
            member = io.BytesIO()
            np.lib.format.write_array(member, array, allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, member.getvalue())
    return buffer.getvalue()


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def kriegeskorte(mirror: Path) -> str:
    from brainmark.data.store import Store
    from brainmark.datasets.kriegeskorte2008 import SOURCES

    store = Store(mirrors=[mirror])
    paths = {f.name: store.fetch(f) for f in SOURCES}  # verified against their registered sha256
    m = Manifest("kriegeskorte2008")
    m.sources = {f.name: {"sha256": f.digest, "size": f.size, "url": f.urls[0], "mirror_path": f.mirror_path}
                 for f in SOURCES}
    supplemental = "Kriegeskorte_Neuron2008_supplementalData.mat"
    load = lambda name: scipy.io.loadmat(paths[name], squeeze_me=True, struct_as_record=False)  # noqa: E731
    sup = load(supplemental)
    stimuli = sup["stimuli_92objs"]
    labels = [str(x) for x in sup["categoryLabels"]]
    vectors = np.asarray(sup["categoryVectors"]).astype(bool)
    rows = []
    for i, s in enumerate(stimuli):
        sid = f"image{i + 1:02d}"
        m.write_bytes(f"images/{sid}.png", png_bytes(np.asarray(s.image, dtype=np.uint8)), derived_from=[supplemental])
        row = {"stimulus_id": sid, "filename": f"images/{sid}.png", "category": str(s.category),
               "human": bool(s.human), "face": bool(s.face), "animal": bool(s.animal), "natural": bool(s.natural)}
        row.update({f"is_{label}": bool(vectors[i, j]) for j, label in enumerate(labels)})
        rows.append(row)
    m.write_bytes("stimuli.csv", pd.DataFrame(rows).to_csv(index=False).encode(), derived_from=[supplemental])
    fig1 = {str(r.name): np.asarray(r.RDM, dtype=np.float64) for r in sup["RDMs_mIT_hIT_fig1"]}
    brain = load("92_brainRDMs.mat")["RDMs"]
    names = [[str(brain[i, j].name) for j in range(brain.shape[1])] for i in range(brain.shape[0])]
    subjects = [row[0].split("|")[1].strip() for row in names]
    behav = load("92_behavRDMs.mat")["rdms_behav_92"]
    arrays = {
        "monkey_it_condensed": fig1["mIT_674neurons"],
        "human_it_condensed": fig1["hITvisStim_316vx"],
        "fig1_names": np.array(list(fig1)),
        "human_it_subjects": np.stack([[np.asarray(brain[i, j].RDM) for j in range(brain.shape[1])]
                                       for i in range(brain.shape[0])]),
        "human_it_subject_names": np.array(subjects),
        "human_it_rdm_names": np.array(names),
        "judgements": np.stack([np.asarray(r.RDM, dtype=np.float64) for r in behav]),
        "judgement_names": np.array([str(r.name) for r in behav]),
    }
    m.write_bytes("rdms.npz", npz_bytes(**arrays), derived_from=[supplemental, "92_brainRDMs.mat", "92_behavRDMs.mat"])
    m.copy(mirror / "kriegeskorte2008_92images" / "LICENSE", "LICENSE",
           mirror_path="kriegeskorte2008_92images/LICENSE", url=None)
    return m.save()


def copy_tree(m: Manifest, mirror: Path, mirror_folder: str, target_folder: str, url: str | None, pattern: str) -> None:
    base = mirror / mirror_folder
    for path in sorted(base.glob(pattern)):
        rel = path.relative_to(base).as_posix()
        m.copy(path, f"{target_folder}/{rel}" if target_folder else rel,
               mirror_path=f"{mirror_folder}/{rel}", url=f"{url}{rel}" if url else None)


def geirhos(mirror: Path) -> str:
    m = Manifest("geirhos2021")
    copy_tree(m, mirror, "geirhos2021/stimuli/edges", "stimuli/edges", GEIRHOS_STIMULI_URL + "edges/", "*/*.png")
    copy_tree(m, mirror, "geirhos2021/stimuli/filled-silhouettes", "stimuli/filled-silhouettes",
              GEIRHOS_STIMULI_URL + "filled-silhouettes/", "*/*.png")
    for dataset in ("edge", "silhouette"):
        copy_tree(m, mirror, f"geirhos2021/human_responses/{dataset}", f"human_responses/{dataset}",
                  f"{GEIRHOS_RESPONSES_URL}{dataset}/", "*.csv")
    m.copy(mirror / "geirhos2021/DATASET_LICENSE", "DATASET_LICENSE", mirror_path="geirhos2021/DATASET_LICENSE",
           url="https://raw.githubusercontent.com/rgeirhos/texture-vs-shape/ccd0c01d/DATASET_LICENSE")
    m.copy(mirror / "geirhos2021/RESPONSES_LICENSE", "RESPONSES_LICENSE", mirror_path="geirhos2021/RESPONSES_LICENSE",
           url="https://raw.githubusercontent.com/bethgelab/model-vs-human/79ed7cd1/LICENSE")
    return m.save()


def coggan(mirror: Path) -> str:
    m = Manifest("coggan2024")
    copy_tree(m, mirror, "coggan2024_fmri/stimuli", "stimuli", COGGAN_URL + "stimuli/", "*.png")
    m.copy(mirror / "coggan2024_fmri/stimuli.csv", "stimuli.csv", mirror_path="coggan2024_fmri/stimuli.csv", url=None)
    # rsms.npz was converted from the original pickle by the mirror's curators; it has no public URL of its own
    m.copy(mirror / "coggan2024_fmri/rsms.npz", "rsms.npz", mirror_path="coggan2024_fmri/rsms.npz", url=None)
    m.copy(mirror / "coggan2024_fmri/LICENSE", "LICENSE", mirror_path="coggan2024_fmri/LICENSE", url=None)
    return m.save()


def imagenet_samples(mirror: Path) -> str:
    from torchvision.models import ResNet50_Weights

    categories = ResNet50_Weights.IMAGENET1K_V1.meta["categories"]
    m = Manifest("imagenet_samples")
    copy_tree(m, mirror, "imagenet_val_samples", "images", FOOLBOX_URL, "imagenet_*.jpg")
    rows = []
    for path in sorted((mirror / "imagenet_val_samples").glob("imagenet_*.jpg")):
        _, number, label = path.stem.split("_")
        rows.append({"stimulus_id": path.stem, "filename": f"images/{path.name}", "label": int(label),
                     "class_name": categories[int(label)], "sample": int(number)})
    m.write_bytes("stimuli.csv", pd.DataFrame(rows).to_csv(index=False).encode(), derived_from=["images"])
    m.copy(mirror / "imagenet_val_samples/LICENSE", "LICENSE", mirror_path="imagenet_val_samples/LICENSE",
           url="https://raw.githubusercontent.com/bethgelab/foolbox/v3.3.4/LICENSE")
    return m.save()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirror", type=Path, default=ROOT.parent / "shared" / "data")
    mirror = parser.parse_args().mirror.resolve()
    hashes = {
        "kriegeskorte2008": kriegeskorte(mirror),
        "geirhos2021": geirhos(mirror),
        "coggan2024": coggan(mirror),
        "imagenet_samples": imagenet_samples(mirror),
    }
    lines = ['"""sha256 of each shipped dataset\'s MANIFEST.json (written by scripts/package_datasets.py)."""', "",
             "MANIFEST_SHA256 = {"]
    lines += [f"    {name!r}: {digest!r}," for name, digest in hashes.items()]
    lines += ["}", ""]
    HASHES_MODULE.write_text("\n".join(lines))
    total = sum(p.stat().st_size for p in FILES.rglob("*") if p.is_file())
    for name, digest in hashes.items():
        print(f"{name:20s} {digest}")
    print(f"shipped files: {total / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
