"""Run the official brainscore-vision neural metrics on inputs saved to .npz; print one JSON line.

Runs ONLY inside bench/.official-venv (a separate process started by bench_neural_metrics.py), never imported by
brainmark. Usage: official_neural_metrics.py {pls|internal_consistency} INPUT.npz
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np


def _pls(data) -> dict:
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly
    from brainscore_vision.metrics.regression_correlation.metric import (
        CrossRegressedCorrelation, pearsonr_correlation, pls_regression)

    ids = data["stimulus_id"].tolist()
    # brainio needs >= 2 coords per dim (it builds a MultiIndex); "order" is a harmless extra one
    pres = {"stimulus_id": ("presentation", ids), "order": ("presentation", list(range(len(ids))))}
    strat = None
    if "object_name" in data.files:
        pres["object_name"] = ("presentation", data["object_name"].tolist())
        strat = "object_name"
    src = NeuroidAssembly(data["source"], dims=["presentation", "neuroid"], coords={
        **pres, "neuroid_id": ("neuroid", [f"f{i}" for i in range(data["source"].shape[1])]),
        "layer": ("neuroid", ["features"] * data["source"].shape[1])})
    tgt = NeuroidAssembly(data["target"], dims=["presentation", "neuroid"], coords={
        **pres, "neuroid_id": ("neuroid", [f"n{i}" for i in range(data["target"].shape[1])]),
        "region": ("neuroid", ["IT"] * data["target"].shape[1])})
    metric = CrossRegressedCorrelation(regression=pls_regression(), correlation=pearsonr_correlation(),
                                       crossvalidation_kwargs=dict(stratification_coord=strat))
    start, cpu = time.perf_counter(), time.process_time()
    score = metric(src, tgt)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"score": float(score.values), "error": float(score.attrs["error"]), "seconds": elapsed, "cpu_seconds": cpu}


def _internal_consistency(data) -> dict:
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly
    from brainscore_vision.metrics.internal_consistency.ceiling import InternalConsistency

    values = data["repeats"]  # stimulus x neuroid x repetition, NaN where a repeat is missing
    n_stim, n_neur, n_rep = values.shape
    flat = values.transpose(2, 0, 1).reshape(n_rep * n_stim, n_neur)  # repetition-major presentations
    ids = np.tile(data["stimulus_id"], n_rep)
    reps = np.repeat(np.arange(n_rep), n_stim)
    present = ~np.isnan(flat).all(axis=1)  # officially a missing repeat is an absent presentation
    flat, ids, reps = flat[present], ids[present].tolist(), reps[present].tolist()
    assembly = NeuroidAssembly(flat, dims=["presentation", "neuroid"], coords={
        "stimulus_id": ("presentation", ids), "repetition": ("presentation", reps),
        "neuroid_id": ("neuroid", [f"n{i}" for i in range(n_neur)]), "region": ("neuroid", ["V4"] * n_neur)})
    start, cpu = time.perf_counter(), time.process_time()
    score = InternalConsistency()(assembly)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"score": float(score.values), "error": float(score.attrs["error"]), "seconds": elapsed, "cpu_seconds": cpu}


if __name__ == "__main__":
    kind, path = sys.argv[1], sys.argv[2]
    with np.load(path) as data:
        result = {"pls": _pls, "internal_consistency": _internal_consistency}[kind](data)
    print(json.dumps(result))
