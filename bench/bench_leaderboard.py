"""Leaderboard speed: importing results records, rendering the leaderboard page and API with many models.

Run: ``.venv/bin/python bench/bench_leaderboard.py [--models 300]`` (SQLite file in a temporary folder).
Prints a table of wall-clock times (first view, then the median of 5 repeated requests).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import numpy as np
from fastapi.testclient import TestClient

from brainmark.leaderboard.store import import_record
from brainmark.leaderboard.web import create_app
from brainmark.scores import Score
from brainmark.scoring.results import BenchmarkResult, ResultsRecord

BENCHMARKS = [f"Bench{i:02d}" for i in range(11)]


def record(i: int, rng: np.random.Generator) -> ResultsRecord:
    scores = [
        BenchmarkResult(b, 1, Score(raw=float(rng.uniform(0.1, 0.6)), error=0.01,
                                    values={"split": rng.uniform(0, 1, 10)},
                                    meta={"layer_scores": {f"l{j}": float(rng.uniform()) for j in range(8)}}
                                    ).with_ceiling(0.7), layer="l3", seconds=1.0)
        for b in BENCHMARKS
    ]
    return ResultsRecord(model={"identifier": f"model-{i:04d}", "imagenet_top1": float(rng.uniform(0.5, 0.85))},
                         scores=scores, environment={"python": "3.11"})


def timed(fn, repeat: int = 5) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=300)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    records = [record(i, rng) for i in range(args.models)]
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(f"sqlite:///{tmp}/lb.sqlite")
        start = time.perf_counter()
        for r in records:
            with app.state.sessions.begin() as session:
                import_record(session, r)
        imported = time.perf_counter() - start
        client = TestClient(app)
        rows = [
            (f"import {args.models} records x {len(BENCHMARKS)} scores (one transaction each)", imported),
            ("GET / first view (Figure-1 SVG drawn)", timed(lambda: client.get("/").raise_for_status(), repeat=1)),
            ("GET / again (figure cached)", timed(lambda: client.get("/").raise_for_status())),
            ("GET /api/leaderboard", timed(lambda: client.get("/api/leaderboard").raise_for_status())),
            ("GET /models/model-0001 first view (11 layer curves drawn)",
             timed(lambda: client.get("/models/model-0001").raise_for_status(), repeat=1)),
            ("GET /models/model-0001 again", timed(lambda: client.get("/models/model-0001").raise_for_status())),
            ("GET /benchmarks/Bench03 (distribution)", timed(lambda: client.get("/benchmarks/Bench03").raise_for_status())),
        ]
    print(f"{'operation':<66} {'seconds':>8}")
    for name, seconds in rows:
        print(f"{name:<66} {seconds:>8.3f}")


if __name__ == "__main__":
    main()
