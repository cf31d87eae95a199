"""How far each way of shrinking a layer moves its score from the full-feature score (the projection-shift table).

For several layers of untrained (seeded) AlexNet and ResNet-18 and pretrained EfficientNet-Lite0, on Cowley2023
210325 (640 images, PLS, the Cowley2023.V4-pls metric) and Kriegeskorte2008 human IT (92 images, Spearman RSA of
correlation-distance RDMs, the Kriegeskorte2008.humanIT-rsa metric):

- ``full``: the layer's full features (reference score);
- ``gram``: brainmark's exact Gram embedding (what ``auto`` does beyond the memory budget), produced by the real
  extraction path with a 32 MiB budget, so the wide layers take several anchor passes;
- ``random:k``: the very sparse random projection to k dimensions, seeds 0..S-1 (the former default was k=4096),
  applied to the full features with the same projection matrices as streaming extraction.

Prints a Markdown table of score shifts (reduced minus full) and writes every number as JSON (``--json``).

    .venv/bin/python bench/bench_projection.py [--seeds 5] [--wide-seeds 3] [--json bench/out/projection.json]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

MIRROR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MODELS = {  # name (untrained unless pretrained weights ship with brainmark): layers
    "alexnet": ["features.2", "features.5", "features.7", "features.9"],
    "resnet18": ["maxpool", "layer1", "layer2", "layer3"],
    "efficientnet-lite0": ["_bn0", "_blocks.2", "_blocks.4", "_blocks.7"],
}
BENCHMARKS = ("Cowley2023.V4-pls", "Kriegeskorte2008.humanIT-rsa")
GRAM_BUDGET = 32 * 2**20  # small: the wide layers' embeddings take several anchor passes


def _setup(benchmark_id: str) -> tuple[Any, Any, Any]:
    """(stimuli, metric, target) of a benchmark as its committed layer is scored."""
    from brainmark import load_benchmark
    from brainmark.benchmarks._data import load_stimuli, unique_stimulus_ids
    from brainmark.data.assembly import average_repetitions

    benchmark = load_benchmark(benchmark_id)
    if benchmark.metric_name == "pls":
        target = average_repetitions(benchmark.target)
        stimuli = load_stimuli(benchmark.stimulus_set, unique_stimulus_ids(target), benchmark.visual_degrees)
    else:
        target = benchmark.target
        stimuli = load_stimuli(benchmark.stimulus_set, [str(s) for s in target["stimulus_row"].values],
                               benchmark.visual_degrees)
    return stimuli, benchmark._metric(), target


def _project(values: np.ndarray, k: int, seed: int) -> np.ndarray:
    """The streaming random projection of ``values`` (same matrix and arithmetic as extraction)."""
    import torch

    from brainmark.models import Reduction
    from brainmark.models.reduction import LayerReducer

    reducer = LayerReducer(values.shape[1], Reduction("random", k, seed=seed), values.shape[0], torch.device("cpu"))
    rows = [reducer(torch.from_numpy(values[i : i + 32])).numpy() for i in range(0, len(values), 32)]
    return np.concatenate(rows)


def measure(model_name: str, benchmark_id: str, seeds: int, wide_seeds: int) -> list[dict[str, Any]]:
    """Score shifts of every reduction on every layer of ``model_name`` for one benchmark."""
    from brainmark import load_model
    from brainmark.data import make_assembly

    stimuli, metric, target = _setup(benchmark_id)
    layers = MODELS[model_name]
    untrained = model_name != "efficientnet-lite0"
    full_model = load_model(model_name, untrained=untrained, memory_budget="16GiB", use_cache=False)
    full = {layer: a.values for layer, a in full_model.layer_activations(stimuli, layers, reduction="none").items()}
    gram_model = load_model(model_name, untrained=untrained, memory_budget=GRAM_BUDGET, use_cache=False)
    start = time.perf_counter()
    gram = gram_model.layer_activations(stimuli, layers, reduction="gram")
    gram_seconds = time.perf_counter() - start

    def score(values: np.ndarray) -> float:
        return float(metric(make_assembly(values, stimuli.stimulus_ids), target).raw)

    rows = []
    for layer in layers:
        info = json.loads(gram[layer].attrs["reduction_info"])
        reference = score(full[layer])
        row = {"model": model_name, "layer": layer, "benchmark": benchmark_id, "n_features": int(full[layer].shape[1]),
               "n_stimuli": len(stimuli), "full": reference, "gram": score(gram[layer].values) - reference,
               "gram_reduction": info["reduction"], "gram_anchor_blocks": info.get("anchor_blocks"),
               "gram_distortion": info.get("distortion"), "gram_extraction_seconds": gram_seconds}
        for k, count in ((4096, seeds), (16384, wide_seeds)):
            if full[layer].shape[1] > k:
                row[f"random:{k}"] = [score(_project(full[layer], k, seed)) - reference for seed in range(count)]
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def _cell(shifts: list[float] | None) -> str:
    if not shifts:
        return "-"
    shifts = np.asarray(shifts)
    return f"{shifts.mean():+.4f} / {np.abs(shifts).max():.4f}"


def main() -> None:
    """Measure every model and benchmark and print the shift table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="projection seeds at k=4096")
    parser.add_argument("--wide-seeds", type=int, default=3, help="projection seeds at k=16384")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("BRAINMARK_PROGRESS", "0")
    if "BRAINMARK_DATA_MIRROR" not in os.environ and MIRROR.is_dir():
        os.environ["BRAINMARK_DATA_MIRROR"] = str(MIRROR)
    rows = [row for model in args.models.split(",") for benchmark in BENCHMARKS
            for row in measure(model, benchmark, args.seeds, args.wide_seeds)]
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print("| model | layer | features | benchmark | full-feature score | exact embedding (gram) shift | "
          f"random:4096 mean / max abs shift ({args.seeds} seeds) | random:16384 ({args.wide_seeds} seeds) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | `{r['layer']}` | {r['n_features']:,} | {r['benchmark']} | {r['full']:.6f} | "
              f"{r['gram']:+.1e} | {_cell(r.get('random:4096'))} | {_cell(r.get('random:16384'))} |")
    gram_max = max(abs(r["gram"]) for r in rows)
    random_max = max((abs(s) for r in rows for s in r.get("random:4096", [])), default=float("nan"))
    print(f"\nmax |shift|: exact embedding {gram_max:.1e}; random:4096 {random_max:.4f}")


if __name__ == "__main__":
    main()
