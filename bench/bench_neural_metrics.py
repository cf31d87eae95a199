"""Benchmark brainmark's neural metrics against the official brainscore-vision 2.4.2 on identical inputs.

Each case's inputs are saved to an .npz; the official metric runs on them in bench/.official-venv as a separate
process (bench/official_neural_metrics.py), brainmark in this one. Prints a markdown table: wall and CPU seconds
(brainmark: best of ``--repeats``; official: one run), speed-up, and |score difference|. Then the ridge memory check:
2,000 stimuli x 10,000 features -> 10,000 targets in a fresh process, peak RSS via ``resource``.

Official results are cached by a hash of their inputs (``--official-cache``), since one official run takes minutes.
Usage: .venv/bin/python bench/bench_neural_metrics.py [--repeats 3] [--ridge-splits 2] [--skip-official]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
OFFICIAL_PY = BENCH / ".official-venv" / "bin" / "python"
sys.path.insert(0, str(BENCH))
from official_venv import ensure_official_venv  # noqa: E402
COWLEY_RAW = BENCH.parent.parent / "shared" / "data" / "cowley2023_v4" / "responses_raw" / "responses_210325.npy"


def _ids(n: int) -> np.ndarray:
    return np.array([f"img{i:05d}" for i in range(n)])


def pls_case(n: int, p: int, q: int, objects: int | None, seed: int) -> dict:
    """Features with a low-dimensional shared signal with the responses (like a good model layer)."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n, 30))
    source = latent @ rng.standard_normal((30, p)) + 2.0 * rng.standard_normal((n, p))
    target = latent @ rng.standard_normal((30, q)) / 5 + rng.standard_normal((n, q))
    data = {"source": source, "target": target, "stimulus_id": _ids(n)}
    if objects:
        data["object_name"] = np.array([f"obj{i % objects:02d}" for i in range(n)])
    return data


def ic_synthetic(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    repeats = rng.standard_normal((640, 50, 1)) + 2.0 * rng.standard_normal((640, 50, 10))
    return {"repeats": repeats, "stimulus_id": _ids(640)}


def run_brainmark(kind: str, data: dict, repeats: int) -> dict:
    import brainmark
    from brainmark.data import make_assembly

    if kind == "pls":
        coords = {"object_name": data["object_name"]} if "object_name" in data else None
        source = make_assembly(data["source"], data["stimulus_id"])
        target = make_assembly(data["target"], data["stimulus_id"], region="IT", presentation_coords=coords)
        call = lambda: brainmark.load_metric("pls")(source, target)  # noqa: E731
    else:
        assembly = make_assembly(data["repeats"], data["stimulus_id"], region="V4", extra_dims=["repetition"])
        call = lambda: brainmark.load_ceiling("internal_consistency")(assembly)  # noqa: E731
    best_wall, best_cpu, score = np.inf, np.inf, None
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        score = call()
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return {"score": score.raw, "error": score.error, "seconds": best_wall, "cpu_seconds": best_cpu}


def _inputs_key(kind: str, data: dict) -> str:
    digest = hashlib.sha1(kind.encode())
    for name in sorted(data):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(data[name]).tobytes())
    return digest.hexdigest()


def run_official(kind: str, data: dict, cache: Path | None) -> dict:
    """The official metric on ``data`` in its own venv; results are cached by a hash of the inputs."""
    key = _inputs_key(kind, data)
    cached = json.loads(cache.read_text()) if cache and cache.exists() else {}
    if key in cached:
        return cached[key]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inputs.npz"
        np.savez(path, **data)
        proc = subprocess.run([str(OFFICIAL_PY), str(BENCH / "official_neural_metrics.py"), kind, str(path)],
                              capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "TQDM_DISABLE": "1"})
    if proc.returncode != 0:
        raise RuntimeError(f"official run failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({**cached, key: result}, indent=1))
    return result


def ridge_memory(n_splits: int, selection: str) -> None:
    """Child process: ridge 2,000 x 10,000 -> 10,000; prints seconds, score and peak RSS (GiB) as JSON."""
    import brainmark
    from brainmark.data import make_assembly

    rng = np.random.default_rng(0)
    n, p, q = 2000, 10_000, 10_000
    latent = rng.standard_normal((n, 50))
    source = make_assembly(latent @ rng.standard_normal((50, p)) + 3 * rng.standard_normal((n, p)), _ids(n))
    target_values = latent @ rng.standard_normal((50, q)) / 7 + rng.standard_normal((n, q))
    target = make_assembly(target_values, _ids(n), region="fMRI")
    del latent, target_values
    start = time.perf_counter()
    score = brainmark.load_metric("ridge", n_splits=n_splits, alpha_selection=selection)(source, target)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # kB -> GiB
    print(json.dumps({"seconds": elapsed, "score": score.raw, "peak_rss_gib": peak, "n_splits": n_splits,
                      "selection": selection}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ridge-splits", type=int, default=2)
    parser.add_argument("--ridge-selection", default="loo,gcv", help="comma-separated penalty selections to run")
    parser.add_argument("--skip-official", action="store_true")
    parser.add_argument("--skip-ridge", action="store_true")
    parser.add_argument("--official-cache", type=Path, default=Path.home() / ".cache" / "brainmark-bench" / "official_neural.json",
                        help="reuse official results for identical inputs (keyed by their SHA-1); '' disables")
    parser.add_argument("--ridge-child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ridge_child:
        ridge_memory(args.ridge_child, args.ridge_selection)
        return
    cases = [
        ("PLS 640 x 1,000 -> 50 (ShuffleSplit)", "pls", pls_case(640, 1000, 50, None, 0)),
        ("PLS 3,200 x 1,000 -> 168 (stratified, 64 objects)", "pls", pls_case(3200, 1000, 168, 64, 1)),
        ("internal consistency 640 x 50 x 10", "internal_consistency", ic_synthetic(2)),
    ]
    if COWLEY_RAW.exists():
        raw = np.load(COWLEY_RAW).transpose(1, 0, 2)  # image x neuron x repeat, NaN-padded
        cases.append(("internal consistency Cowley2023 210325 (real, NaN-padded)", "internal_consistency",
                      {"repeats": raw, "stimulus_id": _ids(raw.shape[0])}))
    print("| case | brainmark s (CPU s) | official s (CPU s) | speed-up (wall) | brainmark score | official score | abs diff |")
    print("|---|---|---|---|---|---|---|")
    for name, kind, data in cases:
        ours = run_brainmark(kind, data, args.repeats)
        if args.skip_official or ensure_official_venv() is None:
            print(f"| {name} | {ours['seconds']:.2f} ({ours['cpu_seconds']:.2f}) | - | - | {ours['score']:.4f} | - | - |")
            continue
        official = run_official(kind, data, args.official_cache if str(args.official_cache) else None)
        print(
            f"| {name} | {ours['seconds']:.2f} ({ours['cpu_seconds']:.2f}) | {official['seconds']:.2f} "
            f"({official.get('cpu_seconds', float('nan')):.2f}) | {official['seconds'] / ours['seconds']:.1f}x | "
            f"{ours['score']:.4f} | {official['score']:.4f} | {abs(ours['score'] - official['score']):.5f} |",
            flush=True,
        )
    if not args.skip_ridge:
        for selection in args.ridge_selection.split(","):
            proc = subprocess.run([sys.executable, __file__, "--ridge-child", str(args.ridge_splits),
                                   "--ridge-selection", selection], capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr[-3000:])
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"ridge ({selection}) 2,000 x 10,000 -> 10,000 targets, {r['n_splits']} splits: {r['seconds']:.1f} s, "
                  f"score {r['score']:.4f}, peak RSS {r['peak_rss_gib']:.2f} GiB (limit 4 GiB)", flush=True)


if __name__ == "__main__":
    main()
