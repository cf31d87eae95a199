#!/usr/bin/env python
"""Write tiny test files in the official Brain-Score (BrainIO) format with the official package's own writers.

Run with the official package's interpreter (a separate venv, never imported by brainmark):

    bench/.official-venv/bin/python bench/make_brainio_fixtures.py

Outputs tests/data/files/brainio/: a flat neural assembly (neuroid x presentation x time_bin, uneven repetitions,
MultiIndex coords reset by ``write_netcdf``), the same as a legacy uncompressed file with ``image_id``, a
behavioural trial assembly, and a stimulus set (CSV + zip via ``create_stimulus_csv`` / ``create_stimulus_zip``).
Values follow a formula (stimulus * 100 + neuroid * 10 + repetition) so tests can check where each lands.
"""
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from brainscore_core.supported_data_standards.brainio.assemblies import BehavioralAssembly, NeuronRecordingAssembly
from brainscore_core.supported_data_standards.brainio.packaging import (
    create_stimulus_csv, create_stimulus_zip, write_netcdf,
)
from brainscore_core.supported_data_standards.brainio.stimuli import StimulusSet

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "files" / "brainio"
OUT.mkdir(parents=True, exist_ok=True)

# flat neural assembly: rows in shuffled order, repetition counts 3, 2, 3, 1
reps = {0: 3, 1: 2, 2: 3, 3: 1}
rows = [(s, r) for s, n in reps.items() for r in range(n)]
rows = [rows[i] for i in np.random.RandomState(0).permutation(len(rows))]
neuroids = 3
values = np.array([[[s * 100 + n * 10 + r] for s, r in rows] for n in range(neuroids)], dtype=float)


def neural(id_name: str) -> NeuronRecordingAssembly:
    return NeuronRecordingAssembly(values, coords={
        id_name: ("presentation", [f"s{s}" for s, _ in rows]),
        "repetition": ("presentation", [r for _, r in rows]),
        "object_name": ("presentation", [f"obj{s % 2}" for s, _ in rows]),
        "category_name": ("presentation", ["animals"] * len(rows)),
        "variation": ("presentation", [6] * len(rows)),
        "neuroid_id": ("neuroid", [f"n{n}" for n in range(neuroids)]),
        "region": ("neuroid", ["V4", "V4", "IT"]),
        "animal": ("neuroid", ["Chabo"] * neuroids),
        "arr": ("neuroid", ["A", "B", "M"]),
        "time_bin_start": ("time_bin", [70]),
        "time_bin_end": ("time_bin", [170]),
    }, dims=["neuroid", "presentation", "time_bin"])


print("neural", write_netcdf(neural("stimulus_id"), OUT / "assy_test_neural.nc"))
print("legacy", write_netcdf(neural("image_id"), OUT / "assy_test_legacy.nc", compress=False))

choices = ["dog", "car", "dog", "bear", "car"]
behavior = BehavioralAssembly(choices, coords={
    "stimulus_id": ("presentation", ["s0", "s1", "s0", "s2", "s3"]),
    "sample_obj": ("presentation", ["dog", "car", "dog", "bear", "car"]),
    "dist_obj": ("presentation", ["car", "dog", "bear", "dog", "bear"]),
    "truth": ("presentation", ["dog", "car", "dog", "bear", "car"]),
    "choice": ("presentation", choices),
    "worker_id": ("presentation", ["w1", "w1", "w2", "w2", "w3"]),
}, dims=["presentation"])
print("behavior", write_netcdf(behavior, OUT / "assy_test_behavior.nc"))

images = OUT / "_images"
images.mkdir(exist_ok=True)
paths = {}
for s in range(4):
    path = images / f"s{s}.png"
    Image.fromarray(np.full((8, 8, 3), 40 * s, dtype=np.uint8)).save(path)
    paths[f"s{s}"] = str(path)
stimuli = StimulusSet(pd.DataFrame({"stimulus_id": list(paths), "object_name": ["obj0", "obj1", "obj0", "obj1"]}))
stimuli.stimulus_paths = paths
stimuli.identifier = "test"
zip_sha1, arcnames = create_stimulus_zip(stimuli, str(OUT / "stimulus_test.zip"))
stimuli["filename"] = arcnames
csv_sha1 = create_stimulus_csv(stimuli, OUT / "stimulus_test.csv")
print("stimulus csv", csv_sha1, "zip", zip_sha1)
for p in images.iterdir():
    p.unlink()
images.rmdir()
