"""End-to-end scoring time vs the bare forward pass over the same stimuli.

    .venv/bin/python bench/bench_scoring.py [--model efficientnet-lite0] [--benchmarks ID ...]

1. bare forward pass: every image of the benchmarks' stimulus sets (scored and layer-selection sets), decoded
   and presented exactly as scoring does (the model's own image pipeline), through the network once, batch 32,
   no hooks, nothing kept;
2. ``score_model`` from a cold cache (fresh ``BRAINMARK_HOME``: data, activations, ceilings, commitments);
3. the same again with the caches warm.
Goal (issue 6): cold <= 1.3x the forward pass, warm <= 0.05x. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time


def stimulus_sets_of(benchmarks: list[str]) -> dict[str, object]:
    """Every stimulus set a benchmark shows to the model (scored and selection), by content hash."""
    from brainmark.benchmarks import load_benchmark
    from brainmark.benchmarks._data import load_stimuli, unique_stimulus_ids

    sets: dict[str, object] = {}
    for identifier in benchmarks:
        b = load_benchmark(identifier)
        shown = []
        if hasattr(b, "layer_selection"):
            selection = b.layer_selection()
            if selection is not None:
                shown.append(selection.stimuli)
        if hasattr(b, "trials"):
            shown.append(load_stimuli(b.stimulus_set, unique_stimulus_ids(b.trials), b.visual_degrees))
        elif hasattr(b, "target") and "stimulus_row" in b.target.dims:
            shown.append(load_stimuli(b.stimulus_set, [str(s) for s in b.target["stimulus_row"].values], b.visual_degrees))
        else:
            shown.append(load_stimuli(b.stimulus_set, unique_stimulus_ids(b.target), b.visual_degrees))
        for s in shown:
            sets[s.content_hash()] = s
    return sets


def bare_forward(model_id: str, stimulus_sets: dict[str, object]) -> tuple[float, int]:
    import torch

    from brainmark.models import load_model

    model = load_model(model_id, use_cache=False)
    module = model.spec.module.eval()
    n = 0
    start = time.perf_counter()
    with torch.inference_mode():
        for stimuli in stimulus_sets.values():
            for _, batch in model.extractor.batches(stimuli):
                module(batch)
                n += len(batch)
    return time.perf_counter() - start, n


def timed_score(model_id: str, benchmarks: list[str]) -> tuple[float, object]:
    from brainmark.scoring import score_model

    start = time.perf_counter()
    record = score_model(model_id, benchmarks)
    return time.perf_counter() - start, record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="efficientnet-lite0")
    parser.add_argument("--benchmarks", nargs="*", default=None)
    args = parser.parse_args()
    os.environ.setdefault("BRAINMARK_PROGRESS", "0")
    home = tempfile.mkdtemp(prefix="brainmark-bench-scoring-")
    os.environ["BRAINMARK_HOME"] = home  # cold: nothing cached

    from brainmark.benchmarks import benchmark_identifiers

    benchmarks = args.benchmarks or benchmark_identifiers(offline_only=True)
    sets = stimulus_sets_of(benchmarks)
    forward_s, n_images = bare_forward(args.model, sets)
    cold_s, record = timed_score(args.model, benchmarks)
    warm_s, warm_record = timed_score(args.model, benchmarks)
    identical = record.without_timings() == warm_record.without_timings()
    print(f"model {args.model}; {len(benchmarks)} benchmarks; {n_images} images in {len(sets)} stimulus sets; "
          f"torch threads {__import__('torch').get_num_threads()}")
    print("| run | seconds | x forward pass |")
    print("|---|---|---|")
    print(f"| bare forward pass ({n_images} images) | {forward_s:.1f} | 1.00 |")
    print(f"| score, cold cache | {cold_s:.1f} | {cold_s / forward_s:.2f} |")
    print(f"| score, warm cache | {warm_s:.1f} | {warm_s / forward_s:.3f} |")
    print(f"warm numbers identical to cold: {identical}")
    per = sorted(((r.seconds or 0.0, r.benchmark) for r in record.scores), reverse=True)
    print("cold seconds per benchmark: " + ", ".join(f"{b} {s:.1f}" for s, b in per))


if __name__ == "__main__":
    main()
