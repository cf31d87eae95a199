"""Run the official brainscore-vision error consistency (metric + ceiling) on files saved by bench_behavioral.py.

Executed by bench/.official-venv/bin/python as a separate process (never imported by brainmark):

    official_error_consistency.py TRIALS.nc MODEL.nc OUT.json
"""
import json
import sys
import time

import numpy as np
import xarray as xr
from brainscore_core.supported_data_standards.brainio.assemblies import BehavioralAssembly
from brainscore_vision.metrics.error_consistency.metric import ErrorConsistency


def _behavioral(da: xr.DataArray) -> BehavioralAssembly:
    coords = {name: (da[name].dims, da[name].values) for name in da.coords}
    coords["presentation_order"] = ("presentation", np.arange(da.sizes["presentation"]))
    return BehavioralAssembly(da.values, coords=coords, dims=da.dims)


def main(trials_path, model_path, out_path):
    trials = _behavioral(xr.load_dataarray(trials_path))
    model = _behavioral(xr.load_dataarray(model_path))
    metric = ErrorConsistency()
    start = time.perf_counter()
    ceiling = metric.ceiling(trials)
    ceiling_seconds = time.perf_counter() - start
    start = time.perf_counter()
    score = metric(model, trials)
    score_seconds = time.perf_counter() - start
    with open(out_path, "w") as f:
        json.dump({"ceiling": float(ceiling.values), "score": float(score.values),
                   "ceiling_seconds": ceiling_seconds, "score_seconds": score_seconds}, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
