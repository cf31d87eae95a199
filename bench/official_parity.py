"""The official brainscore-vision pipeline on one parity case: inputs, activations, metric; prints one JSON line.

Runs ONLY inside bench/.official-venv (a separate process started by bench_parity.py), never imported by brainmark.
What a user of the official code would run: ``load_preprocess_images(image_size=224)`` and ``PytorchWrapper`` around
the same torchvision network with the saved weights (loaded with ``weights_only=True``), the layer's activations
of a ``StimulusSet``, then ``load_metric('pls')`` (unstratified: the data have no object labels) or, for RDM
targets, the official ``RDM`` (1 - Pearson) and ``RDMSimilarity`` (Spearman over the upper triangle) per subject,
averaged over subjects. Writes the input tensors and activations to ``out`` for the step-by-step comparison.

Usage: official_parity.py SPEC.json   (keys: model, weights, layer, image_size, paths, stimulus_ids, kind, target, out)
"""
from __future__ import annotations

import functools
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("RESULTCACHING_DISABLE", "1")  # never serve or store cached activations
os.environ.setdefault("BS_INSTALL_DEPENDENCIES", "no")  # plugins' requirements are installed already


def _network(name: str, weights: str) -> Any:
    import torch
    import torchvision

    net = getattr(torchvision.models, name)(weights=None)
    net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return net.eval()


def _stimulus_set(ids: list[str], paths: list[str]) -> Any:
    import pandas as pd
    from brainscore_core.supported_data_standards.brainio.stimuli import StimulusSet

    stimuli = StimulusSet(pd.DataFrame({"stimulus_id": ids}))
    stimuli.stimulus_paths = dict(zip(ids, paths))
    stimuli.identifier = None  # no result caching
    return stimuli


def _activations(spec: dict) -> tuple[Any, dict]:
    from brainscore_vision.model_helpers.activations.pytorch import PytorchWrapper, load_preprocess_images

    out = Path(spec["out"])
    inputs = load_preprocess_images(spec["paths"], image_size=spec["image_size"])
    np.save(out / "inputs.npy", np.asarray(inputs, dtype=np.float32))
    del inputs
    preprocessing = functools.partial(load_preprocess_images, image_size=spec["image_size"])
    wrapper = PytorchWrapper(identifier=f"parity-{spec['model']}", model=_network(spec["model"], spec["weights"]),
                             preprocessing=preprocessing)
    start, cpu = time.perf_counter(), time.process_time()
    activations = wrapper(_stimulus_set(spec["stimulus_ids"], spec["paths"]), layers=[spec["layer"]])
    timing = {"activations_seconds": time.perf_counter() - start, "activations_cpu_seconds": time.process_time() - cpu}
    order = {sid: i for i, sid in enumerate(activations["stimulus_id"].values)}
    rows = [order[sid] for sid in spec["stimulus_ids"]]
    np.save(out / "activations.npy", np.asarray(activations.values, dtype=np.float32)[rows])
    return activations, timing


def _pls(activations: Any, spec: dict) -> dict:
    from brainscore_core.supported_data_standards.brainio.assemblies import NeuroidAssembly
    from brainscore_vision import load_metric

    with np.load(spec["target"]) as data:
        values, ids = data["values"], data["stimulus_id"].tolist()
    target = NeuroidAssembly(values, dims=["presentation", "neuroid"], coords={
        "stimulus_id": ("presentation", ids), "order": ("presentation", list(range(len(ids)))),
        "neuroid_id": ("neuroid", [f"n{i}" for i in range(values.shape[1])]),
        "region": ("neuroid", ["V4"] * values.shape[1])})
    metric = load_metric("pls", crossvalidation_kwargs=dict(stratification_coord=None))
    start, cpu = time.perf_counter(), time.process_time()
    score = metric(activations, target)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    raw = score.attrs["raw"]
    splits = raw.median("neuroid").values.tolist() if "neuroid" in raw.dims else []
    return {"score": float(score.values), "error": float(score.attrs["error"]), "split_scores": splits,
            "metric_seconds": elapsed, "metric_cpu_seconds": cpu}


def _rsa(activations: Any, spec: dict) -> dict:
    from brainscore_vision.metrics.rdm.metric import RDM, RDMSimilarity

    with np.load(spec["target"]) as data:
        matrices, ids = data["matrices"], data["stimulus_id"].tolist()
    start, cpu = time.perf_counter(), time.process_time()
    model_rdm = RDM()(activations)
    position = {sid: i for i, sid in enumerate(ids)}
    order = [position[sid] for sid in model_rdm["stimulus_id"].values]  # subject matrices in the model RDM's order
    per_subject = [float(RDMSimilarity()(model_rdm, model_rdm.copy(data=m[np.ix_(order, order)]))) for m in matrices]
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"score": float(np.mean(per_subject)), "subject_scores": per_subject, "metric_seconds": elapsed,
            "metric_cpu_seconds": cpu}


def main(spec_path: str) -> None:
    """Run one case from its spec file and print its result as one JSON line."""
    import warnings

    warnings.filterwarnings("ignore")
    spec = json.loads(Path(spec_path).read_text())
    activations, timing = _activations(spec)
    result = (_pls if spec["kind"] == "pls" else _rsa)(activations, spec)
    from importlib.metadata import version

    result.update(timing, versions={name: version(name) for name in ("brainscore-vision", "scikit-learn", "torch",
                                                                     "numpy")})
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
