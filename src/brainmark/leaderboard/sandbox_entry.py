"""The untrusted side: inside the sandbox, load an uploaded model and answer activation requests, nothing else.

``python -m brainmark.leaderboard.sandbox_entry PACKAGE_DIR FACTORY IDENTIFIER STIMULI_DIR OUT_DIR``

Reads one JSON request per line on stdin and writes one JSON reply per line on the original stdout (the model's
own prints are sent to stderr). Requests: ``describe`` (candidate layers, preprocessing, visual degrees, readout
layer, ImageNet output, region layers) and ``activations`` (images of a staged folder, layers, reduction; the
arrays go to ``OUT_DIR/r<id>-<i>.npy`` and ``r<id>-output.npy``). No benchmark, metric, score or database code
runs here; the trusted worker checks every reply (:mod:`brainmark.leaderboard.channel`).
"""
from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import IO, Any


def load_package_model(package_dir: Path, factory: str, identifier: str) -> Any:
    """The PytorchBrainModel built by ``factory`` ("module.py:function") of the package (no activation cache)."""
    from brainmark.models import PytorchBrainModel, load_model

    module_file, function = factory.split(":")
    sys.path.insert(0, str(package_dir))
    model = load_model(f"{package_dir / module_file}:{function}", identifier=identifier, use_cache=False)
    if not isinstance(model, PytorchBrainModel):
        raise TypeError(f"the factory returned {type(model).__name__}; uploaded factories must return a "
                        "brainmark.models.ModelSpec (the leaderboard scores layer activations)")
    return model


def describe(model: Any) -> dict[str, Any]:
    """What the trusted side needs to know to ask for activations."""
    spec = model.spec
    return {
        "layers": list(model.candidate_layers), "preprocessing": spec.preprocessing.to_dict(),
        "visual_degrees": model.visual_degrees(), "readout_layer": spec.readout_layer,
        "imagenet_output": bool(spec.imagenet_output), "region_layers": dict(spec.region_layers or {}),
        "weights_hash": model.weights_hash,
    }


def _save(out_dir: Path, name: str, array: Any) -> None:
    import numpy as np

    tmp = out_dir / f".{name}.tmp"
    with open(tmp, "wb") as f:
        np.save(f, np.ascontiguousarray(array, dtype="<f4"), allow_pickle=False)
    os.replace(tmp, out_dir / name)


def activations(model: Any, request: dict[str, Any], stimuli_dir: Path, out_dir: Path) -> dict[str, Any]:
    """Compute the requested layers for the staged images and write them as ``.npy`` files."""
    from brainmark.data.stimuli import StimulusSet
    from brainmark.models.reduction import Reduction

    folder = stimuli_dir / str(request["folder"])
    files = [folder / str(name) for name in request["files"]]
    ids = [f"s{i}" for i in range(len(files))]
    stimuli = StimulusSet.from_files(f"request-{request['id']}", files, stimulus_ids=ids, degrees=request["degrees"])
    r = request["reduction"]
    reduction = Reduction(r["kind"], r.get("n_components"), seed=int(r.get("seed", 0)))
    layers = list(request["layers"])
    arrays, _ = model.extractor.extract(stimuli, layers, reduction, with_output=bool(request["output"]))
    for index, layer in enumerate(layers):
        _save(out_dir, f"r{request['id']}-{index}.npy", arrays[layer])
    if request["output"]:
        from brainmark.models.activations import OUTPUT

        _save(out_dir, f"r{request['id']}-output.npy", arrays[OUTPUT])
    return {}


def serve(model: Any, requests: IO[str], replies: IO[str], stimuli_dir: Path, out_dir: Path) -> None:
    """Answer requests until stdin closes or an ``exit`` request comes."""
    for line in requests:
        request = json.loads(line)
        reply: dict[str, Any] = {"id": request.get("id"), "ok": True}
        try:
            if request.get("op") == "describe":
                reply.update(describe(model))
            elif request.get("op") == "activations":
                reply.update(activations(model, request, stimuli_dir, out_dir))
            elif request.get("op") == "exit":
                replies.write(json.dumps(reply) + "\n")
                return
            else:
                raise ValueError(f"unknown request {request.get('op')!r}")
        except Exception as exc:  # reported to the trusted side, which fails the job with this reason
            reply = {"id": request.get("id"), "ok": False, "error": f"{type(exc).__name__}: {exc}"}
            traceback.print_exc()
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def main(argv: list[str]) -> int:
    """Entry point: keep the reply channel private, load the model, serve."""
    package_dir, factory, identifier, stimuli_dir, out_dir = argv
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # the model's prints go to the log, never into the reply channel
    requests = os.fdopen(os.dup(0), "r")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    try:
        model = load_package_model(Path(package_dir), factory, identifier)
    except Exception as exc:
        traceback.print_exc()
        first = json.loads(requests.readline() or "{}")
        replies.write(json.dumps({"id": first.get("id"), "ok": False,
                                  "error": f"loading the model failed: {type(exc).__name__}: {exc}"}) + "\n")
        return 1
    serve(model, requests, replies, Path(stimuli_dir), Path(out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
