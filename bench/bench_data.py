#!/usr/bin/env python
"""How fast datasets load: first use (fresh cache: mirror copy + verify + parse), a new process with a warm cache,
and a repeated call in the same process (parsed result kept in memory).

    .venv/bin/python bench/bench_data.py

Each first/warm number is measured inside a fresh Python process around the ``load_dataset`` /
``load_stimulus_set`` call only (imports and xarray's one-time first-DataArray set-up excluded); the mirror is ../shared/data.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIRROR = ROOT.parent / "shared" / "data"
ITEMS = [
    ("dataset", "Kriegeskorte2008.monkeyIT"), ("dataset", "Kriegeskorte2008.humanIT.subjects"),
    ("dataset", "Coggan2024.fMRI"), ("dataset", "Geirhos2021.edge"), ("dataset", "Cowley2023.210325"),
    ("dataset", "Cowley2023.201025"), ("stimuli", "Kriegeskorte2008"), ("stimuli", "Geirhos2021.edge"),
    ("stimuli", "Cowley2023.201025"),
]
PROBE = """
import json, sys, time
import brainmark.data as d
import brainmark.datasets
import xarray
xarray.DataArray([0.0])  # xarray imports dask on its first DataArray (~1 s, once per process): not ours to time
kind, name = sys.argv[1], sys.argv[2]
load = d.load_dataset if kind == "dataset" else d.load_stimulus_set
t = time.perf_counter(); load(name); first = time.perf_counter() - t
t = time.perf_counter(); load(name); again = time.perf_counter() - t
print(json.dumps({"first": first, "again": again}))
"""


def probe(kind: str, name: str, home: str) -> dict:
    env = {**os.environ, "BRAINMARK_HOME": home, "BRAINMARK_DATA_MIRROR": str(MIRROR), "BRAINMARK_PROGRESS": "0"}
    out = subprocess.run([sys.executable, "-c", PROBE, kind, name], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    print(f"| {'item':40s} | first use (fresh cache) | new process, warm cache | same process again |")
    print(f"|{'-' * 42}|------------------------:|------------------------:|------------------:|")
    with tempfile.TemporaryDirectory() as home:
        for kind, name in ITEMS:
            cold = probe(kind, name, home)
            warm = probe(kind, name, home)
            label = f"{name} ({'stimulus set' if kind == 'stimuli' else 'dataset'})"
            print(f"| {label:40s} | {cold['first'] * 1000:19.0f} ms | {warm['first'] * 1000:19.0f} ms "
                  f"| {warm['again'] * 1000:14.1f} ms |")


if __name__ == "__main__":
    main()
