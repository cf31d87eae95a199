"""Load test of the leaderboard: concurrent clients browsing the board and the API of a live server on 127.0.0.1.

Run: ``.venv/bin/python bench/bench_load.py [--clients 50] [--seconds 60] [--models 100] [--db sqlite|postgres|both]
[--workers 1]``

Starts ``uvicorn --factory brainmark.leaderboard.web:app_from_env`` (no executor) on a seeded database (SQLite file,
or a throwaway PostgreSQL cluster as in the tests), then runs ``--clients`` asyncio clients for ``--seconds``: each
repeatedly picks a page or API call (board, model pages, benchmark pages, their JSON, /api/me with its own token),
waits for the answer and "reads" for a random 0-1 s. Prints requests, errors (non-2xx or transport failures),
throughput and latency percentiles per database, plus the machine's load average before and after.
"""
from __future__ import annotations

import argparse
import asyncio
import glob
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from typing import Iterator

import httpx
import numpy as np
import psutil

from brainmark.leaderboard.db import open_database
from brainmark.leaderboard.store import add_user, import_record
from brainmark.scores import Score
from brainmark.scoring.results import BenchmarkResult, ResultsRecord

BENCHMARKS = ["Coggan2024.IT-rsa", "Coggan2024.V4-rsa", "Cowley2023.V4-pls", "Kriegeskorte2008.monkeyIT-rsa",
              "Geirhos2021edge-error_consistency", "Geirhos2021silhouette-error_consistency"]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster (RECIPES.md); yields a psycopg URL."""
    pgbin = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
    port, tmp = free_port(), tempfile.mkdtemp(prefix="pgbench.")
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres")
    run = lambda *cmd: subprocess.run([*as_pg, *cmd], check=True, capture_output=True, cwd="/")  # noqa: E731
    run(f"{pgbin}/initdb", "-D", f"{tmp}/data", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8")
    run(f"{pgbin}/pg_ctl", "-D", f"{tmp}/data", "-l", f"{tmp}/log", "-w", "-t", "30", "-o",
        f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_pg, f"{pgbin}/pg_ctl", "-D", f"{tmp}/data", "-m", "fast", "-w", "stop"],
                       capture_output=True, cwd="/")
        shutil.rmtree(tmp, ignore_errors=True)


def seed(url: str, models: int, clients: int) -> tuple[list[str], list[str]]:
    """``models`` results records on the benchmarks, one user per client; returns (model ids, tokens)."""
    rng = np.random.default_rng(0)
    engine, sessions = open_database(url)
    ids = [f"model-{i:03d}" for i in range(models)]
    for identifier in ids:
        scores = [BenchmarkResult(b, 1, Score(raw=float(rng.uniform(0.1, 0.6)), error=0.01,
                                             values={"split": rng.uniform(0, 1, 10)},
                                             meta={"kind": "neural", "region": "IT",
                                                   "layer_scores": {f"l{j}": float(rng.uniform()) for j in range(8)}}
                                             ).with_ceiling(0.7), layer="l3", seconds=1.0) for b in BENCHMARKS]
        record = ResultsRecord(model={"identifier": identifier, "imagenet_top1": float(rng.uniform(0.5, 0.8))},
                               scores=scores, environment={"python": sys.version.split()[0]})
        with sessions.begin() as session:
            import_record(session, record)
    with sessions.begin() as session:
        tokens = [add_user(session, f"client{i}") for i in range(clients)]
    engine.dispose()
    return ids, tokens


@contextmanager
def server(url: str, workers: int = 1) -> Iterator[tuple[str, int]]:
    """uvicorn (``workers`` processes) on a free loopback port, no executor; yields its base URL and pid."""
    port = free_port()
    env = {**os.environ, "BRAINMARK_LEADERBOARD_DATABASE_URL": url, "BRAINMARK_LEADERBOARD_EXECUTOR": "none"}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "brainmark.leaderboard.web:app_from_env",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--workers", str(workers)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def client(base: str, ids: list[str], token: str, until: float, seed_: int,
                 results: list[tuple[float, bool, str]]) -> None:
    """One browsing client: request, read for 0-1 s, repeat until ``until``."""
    rng = random.Random(seed_)
    paths = ["/", "/api/leaderboard", "/api/benchmarks", "/healthz"]
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.monotonic() < until:
            model, bench = rng.choice(ids), rng.choice(BENCHMARKS)
            path = rng.choice(paths + [f"/models/{model}", f"/api/models/{model}", f"/benchmarks/{bench}", "/api/me"])
            headers = {"Authorization": f"Bearer {token}"} if path == "/api/me" else {}
            start = time.perf_counter()
            try:
                ok = (await http.get(path, headers=headers)).status_code == 200
            except httpx.HTTPError:
                ok = False
            results.append((time.perf_counter() - start, ok, path.split("/")[1] or "board"))
            await asyncio.sleep(rng.uniform(0, 1))


def _clients_in_process(args: tuple[str, list[str], list[tuple[int, str]], float]) -> list[tuple[float, bool, str]]:
    """Run some of the clients in this (pool) process until the shared deadline."""
    base, ids, mine, until_wall = args
    results: list[tuple[float, bool, str]] = []
    until = time.monotonic() + (until_wall - time.time())

    async def main() -> None:
        """These clients, concurrently."""
        await asyncio.gather(*(client(base, ids, token, until, i, results) for i, token in mine))

    asyncio.run(main())
    return results


def run_load(base: str, ids: list[str], tokens: list[str], clients: int, seconds: float,
             processes: int = 1) -> list[tuple[float, bool, str]]:
    """All clients at once for ``seconds``, spread over ``processes`` (so that one client process's own event
    loop does not queue the others' responses); returns (latency, ok, kind) per request."""
    from multiprocessing import Pool

    for path in ("/", f"/models/{ids[0]}", f"/benchmarks/{BENCHMARKS[0]}"):  # warm the figure caches once
        httpx.get(base + path, timeout=60)
    until = time.time() + seconds + 2
    shares = [[(i, tokens[i]) for i in range(clients) if i % processes == p] for p in range(processes)]
    with Pool(processes) as pool:
        parts = pool.map(_clients_in_process, [(base, ids, share, until) for share in shares if share])
    return [r for part in parts for r in part]


def by_kind(results: list[tuple[float, bool, str]]) -> str:
    """p99 latency (ms) per kind of request, slowest first."""
    kinds: dict[str, list[float]] = {}
    for latency, _, kind in results:
        kinds.setdefault(kind, []).append(latency * 1000)
    p99 = {k: (statistics.quantiles(v, n=100)[98] if len(v) > 1 else v[0]) for k, v in kinds.items()}
    return ", ".join(f"{k} {v:.0f}" for k, v in sorted(p99.items(), key=lambda kv: -kv[1]))


def report(name: str, results: list[tuple[float, bool, str]], seconds: float) -> str:
    """One table row: requests, errors, throughput, p50/p95/p99/max in ms."""
    print(f"{name} p99 by kind (ms): {by_kind(results)}")
    latencies = sorted(r[0] * 1000 for r in results)
    errors = sum(not r[1] for r in results)
    q = statistics.quantiles(latencies, n=100)
    return (f"{name:<11}{len(results):>9}{errors:>8}{len(results) / seconds:>9.1f}{q[49]:>9.1f}{q[94]:>9.1f}"
            f"{q[98]:>9.1f}{latencies[-1]:>9.1f}")


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its live children (uvicorn's workers)."""
    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            total += sum(proc.cpu_times()[:2])
        except psutil.NoSuchProcess:
            continue
    return total


def main() -> None:
    """Run the load test on the chosen databases and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--processes", type=int, default=1, help="client processes the clients are spread over")
    args = parser.parse_args()
    print(f"load before: {os.getloadavg()}")
    rows = []
    for db in (("sqlite", "postgres") if args.db == "both" else (args.db,)):
        with tempfile.TemporaryDirectory() as tmp, (postgres() if db == "postgres" else _nothing()) as pg:
            url = pg or f"sqlite:///{tmp}/lb.sqlite"
            ids, tokens = seed(url, args.models, args.clients)
            with server(url, args.workers) as (base, pid):
                before = cpu_seconds(pid)
                results = run_load(base, ids, tokens, args.clients, args.seconds, args.processes)
                used = cpu_seconds(pid) - before
                print(f"{db}: server CPU {used:.1f} s for {len(results)} requests "
                      f"({1000 * used / max(len(results), 1):.1f} ms per request)")
                rows.append(report(db, results, args.seconds))
        print(f"load after {db}: {os.getloadavg()}")
    print(f"{args.clients} clients x {args.seconds:g} s, {args.models} models x {len(BENCHMARKS)} benchmarks, "
          f"{args.workers} uvicorn worker(s), clients in {args.processes} processes")
    print(f"{'database':<11}{'requests':>9}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    print("\n".join(rows))


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    main()
