"""Run the official brainscore-vision I2n family (metric + ceiling) on inputs saved by bench_behavioral.py.

Executed by bench/.official-venv/bin/python as a separate process (never imported by brainmark):

    official_i2n.py TRIALS.nc PROBABILITIES.nc OUT.json [variant ...]

Writes per-split scores and ceilings, their aggregates, the official ceiled score (split-wise r / sqrt(ceiling))
and wall-clock seconds to OUT.json.
"""
import json
import sys
import time

import numpy as np
import xarray as xr
from brainscore_core.supported_data_standards.brainio.assemblies import BehavioralAssembly
from brainscore_vision.metrics.i1i2 import metric as official


def _behavioral(da: xr.DataArray) -> BehavioralAssembly:
    coords = {name: (da[name].dims, da[name].values) for name in da.coords}
    # brainio folds the coords of a dim into a MultiIndex; with a single coord it would become the dim index
    coords["presentation_order"] = ("presentation", np.arange(da.sizes["presentation"]))
    return BehavioralAssembly(da.values, coords=coords, dims=da.dims)


def main(trials_path, probabilities_path, out_path, *variants):
    trials = _behavioral(xr.load_dataarray(trials_path))
    probabilities = _behavioral(xr.load_dataarray(probabilities_path))
    results = {}
    for variant in variants or ("i2n",):
        metric = {"i2n": official.I2n, "i1n": official.I1n, "i2": official.I2, "o2": official.O2}[variant]()
        start = time.perf_counter()
        ceiling = metric.ceiling(trials)
        ceiling_seconds = time.perf_counter() - start
        start = time.perf_counter()
        score = metric(probabilities.copy(), trials)
        score_seconds = time.perf_counter() - start
        split_scores = score.raw.values.tolist()
        split_ceilings = ceiling.raw.values.tolist()
        ceiled = [s / np.sqrt(c) for s, c in zip(split_scores, split_ceilings)]
        results[variant] = {
            "split_scores": split_scores,
            "split_ceilings": split_ceilings,
            "raw": float(np.mean(split_scores)),
            "ceiling": float(np.mean(split_ceilings)),
            "ceiled": float(np.mean(ceiled)),
            "score_seconds": score_seconds,
            "ceiling_seconds": ceiling_seconds,
        }
    with open(out_path, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:])
