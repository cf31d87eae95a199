"""Serial scoring vs a 2-worker Dask LocalCluster: the same records bit for bit, and the wall times.

    BRAINMARK_DATA_MIRROR=../shared/data .venv/bin/python bench/bench_bulk.py \
        --models efficientnet-lite0,alexnet-untrained,resnet18-untrained --workers 2 --json bench/out/bulk.json

1. Serial: ``score_model(model, every offline benchmark)`` for each model, one after the other, in this process, with
   a fresh ``BRAINMARK_HOME`` (nothing cached).
2. Parallel: ``score_models(models, executor=DaskExecutor(n_workers=2))`` (benchmark-major jobs on a TLS
   LocalCluster of worker processes), with another fresh ``BRAINMARK_HOME`` (the workers inherit it), so neither run
   reads the other's caches.
3. The records are compared with ``without_timings()`` (everything but time stamps and seconds) as canonical JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path


def _fresh_home(tag: str) -> str:
    from brainmark.benchmarks import ceilings
    from brainmark.data import registry

    home = tempfile.mkdtemp(prefix=f"bench-bulk-{tag}-")
    os.environ["BRAINMARK_HOME"] = home
    ceilings.clear_memory_cache()
    registry.clear_memory_cache()
    return home


def _canonical(record) -> str:
    return json.dumps(record.without_timings(), sort_keys=True)


def _differences(a: dict, b: dict, path: str = "") -> list[str]:
    """Where two JSON trees differ (first 20 paths)."""
    if type(a) is not type(b):
        return [path or "/"]
    if isinstance(a, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            out += _differences(a.get(key), b.get(key), f"{path}/{key}") if key in a and key in b else [f"{path}/{key}"]
        return out[:20]
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path} (length)"]
        return [d for x, y, i in zip(a, b, range(len(a))) for d in _differences(x, y, f"{path}[{i}]")][:20]
    if a == b:
        return []
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return [f"{path} ({a - b:+.1e})"]
    return [path]


def main() -> int:
    """Run both, compare, print and write the JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="efficientnet-lite0,alexnet-untrained,resnet18-untrained")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--serial-threads", type=int, default=None,
                        help="BLAS and torch threads of the serial run (Dask workers run 1 of each by default)")
    args = parser.parse_args()
    from brainmark.compute.dask import DaskExecutor
    from brainmark.scoring import ModelRequest, score_model, score_models
    from brainmark.scoring.api import benchmark_identifiers_offline

    models = [m for m in args.models.split(",") if m]
    ids = benchmark_identifiers_offline()
    out: dict = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "models": models,
                 "benchmarks": ids, "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                                                "python": sys.version.split()[0]}}
    print(f"{len(models)} models x {len(ids)} benchmarks = {len(models) * len(ids)} jobs", flush=True)

    import contextlib

    import torch
    from threadpoolctl import threadpool_limits

    _fresh_home("serial")
    out["load_before_serial"] = os.getloadavg()
    out["serial_threads"] = args.serial_threads or f"default (torch {torch.get_num_threads()})"
    limits = threadpool_limits(args.serial_threads) if args.serial_threads else contextlib.nullcontext()
    if args.serial_threads:
        torch.set_num_threads(args.serial_threads)
    start = time.perf_counter()
    serial = []
    with limits:
        for name in models:
            request = ModelRequest.parse(name)
            serial.append(score_model(request.name, ids, model_options=dict(request.options) or None,
                                      errors="record"))
            print(f"serial {name}: {time.perf_counter() - start:.0f} s", flush=True)
    out["serial_seconds"] = round(time.perf_counter() - start, 1)
    out["load_after_serial"] = os.getloadavg()

    _fresh_home("parallel")
    out["load_before_parallel"] = os.getloadavg()
    start = time.perf_counter()
    with DaskExecutor(n_workers=args.workers) as executor:
        _ = executor.client  # the cluster's start-up counts
        started = time.perf_counter()
        parallel = score_models(models, ids, executor=executor, log=lambda line: print(line, flush=True)).records
        scored = time.perf_counter()
    out["parallel_seconds"] = round(time.perf_counter() - start, 1)
    out["parallel_cluster_start_seconds"] = round(started - start, 1)
    out["parallel_scoring_seconds"] = round(scored - started, 1)
    out["load_after_parallel"] = os.getloadavg()
    out["workers"] = args.workers

    identical = {}
    for name, a, b in zip(models, serial, parallel):
        same = _canonical(a) == _canonical(b)
        identical[name] = same if same else _differences(a.without_timings(), b.without_timings())
    out["identical"] = identical
    out["all_identical"] = all(v is True for v in identical.values())
    out["failed"] = {r.model_identifier: [s.benchmark for s in r.scores if s.score.meta.get("failed")]
                     for r in serial + parallel}
    out["brainscore2018"] = {r.model_identifier: next((c.score.ceiled for c in r.composites
                                                       if c.identifier == "brainscore2018"), None) for r in serial}
    print(json.dumps(out, indent=2, default=str))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2, default=str))
    return 0 if out["all_identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
