"""End-to-end parity with the official brainscore-vision 2.4.2 pipeline, step by step: inputs, activations, metric.

For each case the same seeded untrained torchvision network (brainmark's ``load_model(name, untrained=True)``, its
weights saved and loaded on the official side) looks at the same stimuli; the official side
(bench/official_parity.py in bench/.official-venv) runs ``load_preprocess_images(image_size=224)``,
``PytorchWrapper`` and ``load_metric('pls')`` (or the official RDM + Spearman RDM similarity per subject). Compared:

1. input tensors (brainmark's presentation vs ``load_preprocess_images``);
2. the layer's activations (brainmark's extractor vs ``PytorchWrapper``), aligned by stimulus id;
3. the metric on the *official* activations: brainmark's exact solver and NIPALS vs the official number;
4. end to end: the brainmark benchmark with the layer fixed by hand and default settings (full features within
   the memory budget, exact PLS), with ``solver="nipals"``, and with the former default (a 4,096-d random
   projection) — each against the official score; and the PLS time on the layer's full features.

Official results are cached by a hash of their inputs (``--official-cache``; one official PLS run on 64,896
features takes minutes). Prints a Markdown table and writes the details as JSON (``--json``).

    .venv/bin/python bench/bench_parity.py [--cases alexnet-cowley,resnet18-cowley,...] [--skip-official]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from official_venv import OFFICIAL_VERSION, ensure_official_venv  # noqa: E402

MIRROR = BENCH.parent.parent / "shared" / "data"
CASES = {  # name: (model, layer, benchmark)
    "alexnet-cowley": ("alexnet", "features.7", "Cowley2023.V4-pls"),
    "resnet18-cowley": ("resnet18", "layer3", "Cowley2023.V4-pls"),
    "alexnet-kriegeskorte": ("alexnet", "features.7", "Kriegeskorte2008.humanIT-rsa"),
    "resnet18-kriegeskorte": ("resnet18", "layer3", "Kriegeskorte2008.humanIT-rsa"),
}


def _case_data(benchmark: Any) -> tuple[Any, dict[str, np.ndarray], str]:
    """The benchmark's scored stimuli and its target as arrays (``kind``: pls or rsa)."""
    from brainmark.benchmarks._data import load_stimuli, unique_stimulus_ids
    from brainmark.data.assembly import average_repetitions
    from brainmark.metrics.neural.rsa import subject_matrices

    if benchmark.metric_name == "pls":
        target = average_repetitions(benchmark.target)
        ids = unique_stimulus_ids(target)
        stimuli = load_stimuli(benchmark.stimulus_set, ids, benchmark.visual_degrees)
        values = np.asarray(target.transpose("presentation", "neuroid").values, dtype=float)
        return stimuli, {"values": values, "stimulus_id": np.array(ids)}, "pls"
    target = benchmark.target
    ids = [str(s) for s in target["stimulus_row"].values]
    stimuli = load_stimuli(benchmark.stimulus_set, ids, benchmark.visual_degrees)
    matrices, _, _ = subject_matrices(target)
    return stimuli, {"matrices": matrices, "stimulus_id": np.array(ids)}, "rsa"


def _inputs(model: Any, stimuli: Any) -> np.ndarray:
    """The input tensors brainmark gives the network, in stimulus order."""
    return np.concatenate([batch.numpy() for _rows, batch in model.extractor.batches(stimuli)])


def _digest(*parts: Any) -> str:
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part.tobytes() if isinstance(part, np.ndarray) else json.dumps(part, sort_keys=True).encode())
    return digest.hexdigest()


def run_official(spec: dict, target: dict[str, np.ndarray], weights_sha: str, stimuli_hash: str,
                 cache: Path) -> tuple[dict, Path]:
    """The official pipeline on one case in its own venv (results and arrays cached by a hash of the inputs)."""
    key = _digest(OFFICIAL_VERSION, {k: spec[k] for k in ("model", "layer", "image_size", "kind")}, weights_sha,
                  stimuli_hash, spec["stimulus_ids"], *target.values())
    folder = cache / key
    result_file = folder / "result.json"
    if result_file.is_file():
        return json.loads(result_file.read_text()), folder
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "target.npz", **target)
    spec = {**spec, "target": str(folder / "target.npz"), "out": str(folder)}
    (folder / "spec.json").write_text(json.dumps(spec))
    env = {"PATH": "/usr/bin:/bin", "TQDM_DISABLE": "1", "HOME": os.environ.get("HOME", "/tmp"),
           "RESULTCACHING_HOME": str(folder / "result_caching"), "BS_INSTALL_DEPENDENCIES": "no"}
    proc = subprocess.run([str(BENCH / ".official-venv" / "bin" / "python"), str(BENCH / "official_parity.py"),
                           str(folder / "spec.json")], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"official run failed:\n{proc.stderr[-4000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result_file.write_text(json.dumps(result, indent=1))
    return result, folder


def _compare(ours: np.ndarray, theirs: np.ndarray) -> dict[str, Any]:
    return {"shape": list(ours.shape), "max_abs_diff": float(np.abs(ours.astype(np.float64) - theirs).max()),
            "bitwise_equal": bool(ours.shape == theirs.shape and np.array_equal(ours, theirs))}


def _timed_metric(metric: Any, source: Any, target: Any) -> tuple[Any, dict[str, float]]:
    """(score, {seconds, cpu_seconds, peak traced MiB}) of one metric call."""
    tracemalloc.start()
    start, cpu = time.perf_counter(), time.process_time()
    score = metric(source, target)
    timing = {"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu,
              "peak_mib": tracemalloc.get_traced_memory()[1] / 2**20}
    tracemalloc.stop()
    return score, timing


def _metric_on(values: np.ndarray, stimuli: Any, benchmark: Any, **params: Any) -> tuple[Any, dict[str, float]]:
    from brainmark import load_metric
    from brainmark.data import make_assembly
    from brainmark.data.assembly import average_repetitions

    source = make_assembly(values, stimuli.stimulus_ids)
    if benchmark.metric_name == "pls":
        return _timed_metric(load_metric("pls", **params), source, average_repetitions(benchmark.target))
    return _timed_metric(benchmark._metric(), source, benchmark.target)


def _end_to_end(name: str, layer: str, benchmark_id: str, region: str, **options: Any) -> tuple[float, dict]:
    """The benchmark's raw score of the seeded untrained network with ``layer`` fixed by hand."""
    from brainmark import load_benchmark, load_model

    metric_params = options.pop("metric_params", None)
    model = load_model(name, untrained=True, seed=0, layers={region: layer}, **options)
    benchmark = load_benchmark(benchmark_id)
    if metric_params:
        benchmark.metric_params = dict(metric_params)
    score = benchmark(model)
    return float(score.raw), dict(score.meta.get("features") or {})


def run_case(case: str, cache: Path, skip_official: bool) -> dict[str, Any]:
    """Every step of one case, brainmark and (unless skipped) official."""
    import torch

    from brainmark import load_benchmark, load_model

    name, layer, benchmark_id = CASES[case]
    benchmark = load_benchmark(benchmark_id)
    stimuli, target, kind = _case_data(benchmark)
    model = load_model(name, untrained=True, seed=0, layers={benchmark.region: layer}, use_cache=False)
    out: dict[str, Any] = {"case": case, "model": name, "layer": layer, "benchmark": benchmark_id,
                           "n_stimuli": len(stimuli), "kind": kind}
    start = time.perf_counter()
    ours_acts = model.layer_activations(stimuli, [layer])[layer]
    out["activations_seconds"] = time.perf_counter() - start
    out["features"] = json.loads(ours_acts.attrs["reduction_info"])
    values = np.asarray(ours_acts.values)
    exact, timing = _metric_on(values, stimuli, benchmark)
    out.update(brainmark_metric=exact.raw, metric_seconds=timing["seconds"], metric_cpu_seconds=timing["cpu_seconds"],
               metric_peak_mib=timing["peak_mib"])
    if kind == "pls":
        nipals, nipals_timing = _metric_on(values, stimuli, benchmark, solver="nipals")
        out.update(brainmark_metric_nipals=nipals.raw, nipals_seconds=nipals_timing["seconds"],
                   nipals_iterations=nipals.meta["pls"])
    out["end_to_end_default"], out["end_to_end_features"] = _end_to_end(name, layer, benchmark_id, benchmark.region)
    out["end_to_end_random4096"] = _end_to_end(name, layer, benchmark_id, benchmark.region, reduction="random:4096")[0]
    if kind == "pls":
        out["end_to_end_nipals"] = _end_to_end(name, layer, benchmark_id, benchmark.region,
                                               metric_params={"solver": "nipals"})[0]
    if skip_official or ensure_official_venv() is None:
        return out
    with tempfile.TemporaryDirectory() as tmp:
        weights = Path(tmp) / "weights.pt"
        torch.save(model.spec.module.state_dict(), weights)
        spec = {"model": name, "weights": str(weights), "layer": layer, "image_size": 224, "kind": kind,
                "paths": [str(p) for p in stimuli.image_paths], "stimulus_ids": stimuli.stimulus_ids}
        official, folder = run_official(spec, target, model.weights_hash, stimuli.content_hash(), cache)
    out["official"] = official
    out["inputs"] = _compare(_inputs(model, stimuli), np.load(folder / "inputs.npy"))
    official_acts = np.load(folder / "activations.npy")
    out["activations"] = _compare(values, official_acts)
    out["brainmark_on_official_activations"] = _metric_on(official_acts, stimuli, benchmark)[0].raw
    if kind == "pls":
        out["nipals_on_official_activations"] = _metric_on(official_acts, stimuli, benchmark, solver="nipals")[0].raw
    return out


def _row(r: dict[str, Any]) -> str:
    official = r.get("official", {}).get("score", float("nan"))
    nipals = r.get("end_to_end_nipals", float("nan"))

    def diff(value: float) -> str:
        return "-" if np.isnan(value) or np.isnan(official) else f"{abs(value - official):.1e}"

    inputs = r.get("inputs", {})
    acts = r.get("activations", {})
    speed = r["official"]["metric_seconds"] / r["metric_seconds"] if "official" in r else float("nan")
    cpu_speed = (r["official"]["metric_cpu_seconds"] / r["metric_cpu_seconds"]) if "official" in r else float("nan")
    return (f"| {r['model']} `{r['layer']}` | {r['benchmark']} | "
            f"{'bitwise' if inputs.get('bitwise_equal') else inputs.get('max_abs_diff', '-')} | "
            f"{'bitwise' if acts.get('bitwise_equal') else acts.get('max_abs_diff', '-')} | {official:.6f} | "
            f"{r['end_to_end_default']:.6f} ({diff(r['end_to_end_default'])}) | "
            f"{'-' if np.isnan(nipals) else f'{nipals:.6f}'} ({diff(nipals)}) | "
            f"{r['end_to_end_random4096']:.6f} ({diff(r['end_to_end_random4096'])}) | "
            f"{r['metric_seconds']:.2f} / {r.get('official', {}).get('metric_seconds', float('nan')):.1f} "
            f"({speed:.0f}x; CPU {cpu_speed:.0f}x) |")


def main() -> None:
    """Run the cases and print the parity table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--skip-official", action="store_true")
    parser.add_argument("--official-cache", type=Path,
                        default=Path.home() / ".cache" / "brainmark-bench" / "official_parity")
    parser.add_argument("--json", type=Path, default=None, help="write every measured number here")
    args = parser.parse_args()
    os.environ.setdefault("BRAINMARK_PROGRESS", "0")
    if "BRAINMARK_DATA_MIRROR" not in os.environ and MIRROR.is_dir():
        os.environ["BRAINMARK_DATA_MIRROR"] = str(MIRROR)
    results = []
    for case in args.cases.split(","):
        results.append(run_case(case, args.official_cache, args.skip_official))
        print(json.dumps(results[-1], default=str), file=sys.stderr, flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    print("| model, layer | benchmark | inputs | activations | official | brainmark default (|diff|) | "
          "nipals (|diff|) | former default random:4096 (|diff|) | metric s brainmark / official |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(_row(r))


if __name__ == "__main__":
    main()
