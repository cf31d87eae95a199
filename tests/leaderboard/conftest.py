"""Fixtures for the leaderboard tests: databases (SQLite, throwaway PostgreSQL), results records, a live server,
and Playwright launched on Debian's Chromium."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import pytest
import xarray as xr

from brainmark.scores import Score
from brainmark.scoring.results import BenchmarkResult, ResultsRecord

CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium") if os.path.exists(p)), None)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):  # noqa: ANN001, ANN201
    """Drive Debian's Chromium (never a Playwright-downloaded browser)."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'leaderboard.sqlite'}"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """A throwaway PostgreSQL cluster for the session (RECIPES.md); yields a psycopg 3 URL of an empty database."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: [int(x) for x in p.split("/")[-2].split(".")])
    if not bins:
        pytest.fail("PostgreSQL is not installed: run scripts/install-system-deps.sh")
    pgbin = bins[-1]
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="pgtest.")
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres")
    data = f"{tmp}/data"
    run = lambda *cmd: subprocess.run([*as_postgres, *cmd], check=True, capture_output=True, cwd="/")  # noqa: E731
    run(f"{pgbin}/initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8")
    run(f"{pgbin}/pg_ctl", "-D", data, "-l", f"{tmp}/server.log", "-w", "-t", "30", "-o",
        f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_postgres, f"{pgbin}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"], capture_output=True, cwd="/")
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    import sqlalchemy as sa

    name = f"t{time.time_ns()}"
    engine = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return postgres_server.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each DB test runs on SQLite and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


def _record(identifier: str, scores: dict[str, float], version: int = 1, ceiling: float = 0.8,
            top1: float | None = None, layer_scores: dict[str, float] | None = None) -> ResultsRecord:
    model = {"identifier": identifier}
    if top1 is not None:
        model["imagenet_top1"] = top1
    results = [
        BenchmarkResult(
            benchmark=bench, benchmark_version=version, layer="layer2", seconds=1.5,
            score=Score(raw=raw, error=0.01, values={"split": [raw - 0.01, raw + 0.01]},
                        meta={"seed": 0, "kind": "neural", "region": "IT",
                              "layer_scores": layer_scores or {"layer1": raw / 2, "layer2": raw}}
                        ).with_ceiling(Score(raw=ceiling, error=0.02), "ratio"),
        )
        for bench, raw in scores.items()
    ]
    return ResultsRecord(model=model, scores=results, environment={"python": sys.version.split()[0], "brainmark": "0.1.0"})


@pytest.fixture
def make_record() -> Callable[..., ResultsRecord]:
    """Build a real results record (``identifier``, ``{benchmark: raw}``, ``version``, ``ceiling``, ``top1``)."""
    return _record


def start_server(folder: Path, database_url: str, executor: str = "none", **extra: str) -> tuple[subprocess.Popen, str]:
    """Start ``uvicorn --factory brainmark.leaderboard.web:app_from_env`` on a free loopback port; (process, url)."""
    port = free_port()
    env = {**os.environ, "BRAINMARK_LEADERBOARD_DATABASE_URL": database_url,
           "BRAINMARK_LEADERBOARD_EXECUTOR": executor, "BRAINMARK_HOME": os.environ["BRAINMARK_HOME"], **extra}
    log = open(folder / f"server-{port}.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "brainmark.leaderboard.web:app_from_env",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {(folder / f'server-{port}.log').read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc, f"http://127.0.0.1:{port}"
        except httpx.HTTPError:
            time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError("server did not come up within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    """Terminate a server started by :func:`start_server` (kill it after 15 s)."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def live_server(tmp_path: Path):  # noqa: ANN201
    """Start ``uvicorn --factory brainmark.leaderboard.web:app_from_env`` on a free loopback port.

    Yields a function ``start(**env) -> base_url`` so tests choose the database and executor.
    """
    procs: list[subprocess.Popen] = []

    def start(database_url: str, executor: str = "none", **extra: str) -> str:
        proc, url = start_server(tmp_path, database_url, executor, **extra)
        procs.append(proc)
        return url

    yield start
    for proc in procs:
        stop_server(proc)


@pytest.fixture(scope="module")
def module_server(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """Like :func:`live_server`, for servers shared by the tests of one module (read-only pages)."""
    procs: list[subprocess.Popen] = []

    def start(database_url: str, executor: str = "none", **extra: str) -> str:
        proc, url = start_server(tmp_path_factory.mktemp("server"), database_url, executor, **extra)
        procs.append(proc)
        return url

    yield start
    for proc in procs:
        stop_server(proc)


TINY_MODEL = '''
import torch
from torch import nn
from brainmark.models import ModelSpec, Preprocessing

def build():
    torch.manual_seed(3)
    net = nn.Sequential(nn.Conv2d(3, 8, 5, stride=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten()).eval()
    return ModelSpec(net, layers=["1", "2"], preprocessing=Preprocessing(input_size=48), metadata=METADATA)

METADATA = {}
'''


def _package(identifier: str, source: str = TINY_MODEL, **metadata: object) -> bytes:
    import io
    import json
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", json.dumps({"identifier": identifier, "factory": "model.py:build", **metadata}))
        zf.writestr("model.py", source)
    return buf.getvalue()


@pytest.fixture
def make_package() -> Callable[..., bytes]:
    """A model package zip: ``make_package(identifier, source=TINY_MODEL, **metadata)``; ``model.py:build``."""
    return _package


@pytest.fixture
def tiny_model_source() -> str:
    """The source of a tiny, seeded CNN factory ``build()`` (prepend an attack to make a hostile package)."""
    return TINY_MODEL


@pytest.fixture(scope="module")
def sandbox_ready() -> None:
    """Fail (never skip) where the sandbox cannot be set up: CI must run the hostile-package tests."""
    from brainmark.leaderboard.sandbox import unavailable_reason

    reason = unavailable_reason()
    if reason is not None:
        pytest.fail(f"the sandbox is unavailable here ({reason}); run scripts/install-system-deps.sh as root")


def _slot_processes() -> list:
    import psutil

    from brainmark.leaderboard.slots import uid_base

    base = uid_base()
    return [p for p in psutil.process_iter(["uids", "status"])
            if p.info["uids"] and base <= p.info["uids"].real < base + 64 and p.info["status"] != "zombie"]


@pytest.fixture
def slot_processes() -> Callable[[], list]:
    """``slot_processes()``: live processes running under any sandbox slot's uid (should be none between jobs)."""
    return _slot_processes


# --- board records: the 11 offline benchmarks with intervals, groups and the real provenance layout ------------
#: benchmark -> (group meta, ceiling, ceiling note or None); the layout of real scores' meta (region, kind,
#: in_composites, a "none:" ceiling for the single monkey RDM)
BOARD_BENCHMARKS = {
    "Coggan2024.V1-rsa": ({"kind": "neural", "region": "V1"}, 0.45, None),
    "Coggan2024.V2-rsa": ({"kind": "neural", "region": "V2"}, 0.5, None),
    "Coggan2024.V4-rsa": ({"kind": "neural", "region": "V4"}, 0.5, None),
    "Cowley2023.V4-pls": ({"kind": "neural", "region": "V4"}, 0.8, None),
    "Coggan2024.IT-rsa": ({"kind": "neural", "region": "IT"}, 0.55, None),
    "Kriegeskorte2008.humanIT-rsa": ({"kind": "neural", "region": "IT"}, 0.3, None),
    "Kriegeskorte2008.monkeyIT-rsa": ({"kind": "neural", "region": "IT"}, 1.0,
                                      "none: a single monkey RDM without repetitions or per-animal matrices; ceiling set to 1"),
    "Geirhos2021edge-error_consistency": ({"kind": "behavioral", "region": None, "in_composites": True}, 0.4, None),
    "Geirhos2021silhouette-error_consistency": ({"kind": "behavioral", "region": None, "in_composites": True}, 0.4, None),
    "Geirhos2021edge-accuracy": ({"kind": "behavioral", "region": None, "in_composites": False}, 1.0, None),
    "Geirhos2021silhouette-accuracy": ({"kind": "behavioral", "region": None, "in_composites": False}, 1.0, None),
}
NETWORK_LAYERS = ["_bn0", "_blocks.0", "_blocks.2", "_blocks.10", "_blocks.14"]
N_RESAMPLES = 1000  # as real scores: the smallest p is 2 / 1001, so 13 Holm-adjusted comparisons can be significant


def _board_score(benchmark: str, ceiled: float, model_seed: int, spread: float) -> Score:
    import zlib

    import numpy as np

    from brainmark.scores import per_unit
    from brainmark.stats.bootstrap import percentile_interval
    from brainmark.stats.correction import Replicates

    group, ceiling, note = BOARD_BENCHMARKS[benchmark]
    bench_seed = zlib.crc32(benchmark.encode())
    shared = np.random.default_rng(bench_seed).normal(0, spread, (3, N_RESAMPLES))  # the same resamples for all
    own = np.random.default_rng([bench_seed, model_seed]).normal(0, spread / 2, (3, N_RESAMPLES))
    joint, stimuli, units = ceiled + shared[0] + own[0], ceiled + 0.7 * (shared[1] + own[1]), ceiled + 0.5 * (shared[2] + own[2])
    reps = Replicates(joint, stimuli, units, 92, 5)
    low, high = percentile_interval(reps.corrected(ceiled), 0.95)
    halves = ceiled + np.random.default_rng([bench_seed, model_seed, 7]).normal(0, spread, (10, 2))
    layers = {name: ceiled * ceiling * (0.5 + 0.1 * i) for i, name in enumerate(NETWORK_LAYERS)}
    meta = {**group, "seed": 0, "data_checksum": f"sha-{benchmark}", "stimulus_set_hash": f"stim-{benchmark}",
            "layer": NETWORK_LAYERS[-2], "layer_scores": dict(sorted(layers.items())),  # key-sorted, as in a file
            "ceiling": {"ceiling": note} if note else {"ceiling_name": "test ceiling"},
            "bootstrap": {"scheme": "brainmark.bootstrap/1", "n_resamples": N_RESAMPLES, "level": 0.95, "seed": 0,
                          "key": f"key-{benchmark}", "resampled": {"stimuli": 92, "subject": 5}}}
    score = Score(raw=ceiled * ceiling, error=spread / 3, meta=meta).with_ceiling(Score(raw=ceiling, error=0.01), "ratio")
    return score.with_values(bootstrap=per_unit(joint, "resample"), bootstrap_stimuli=per_unit(stimuli, "resample"),
                             bootstrap_units=per_unit(units, "resample"),
                             split_half=xr.DataArray(halves, dims=("halving", "half"))).with_ci(low, high, 0.95)


def _board_record(identifier: str, ceiled: dict[str, float], *, family: str = "tinynet", top1: float | None = 70.0,
                  untrained: bool = False, parameters: int | None = 5_000_000, spread: float = 0.03,
                  created: str = "2026-11-30T12:00:00+00:00", seed: int | None = None,
                  training_data: str = "ImageNet-1k") -> ResultsRecord:
    """A results record on (some of) the 11 offline benchmarks with bootstrap replicates shared across models
    (paired), a CI, split halves, per-layer scores (key-sorted) and zoo-like model metadata."""
    import zlib

    model_seed = zlib.crc32(identifier.encode()) if seed is None else seed
    metadata = {"family": family, "layers": NETWORK_LAYERS, "imagenet_top1": 0.1 if untrained else top1,
                "training_data": "none (random weights)" if untrained else training_data}
    if untrained:
        metadata["weights"] = "random initialisation (seed 0)"
    model = {"identifier": identifier, "metadata": metadata, "options": {"untrained": True} if untrained else {}}
    if parameters is not None:
        model["parameter_count"] = parameters
    scores = [BenchmarkResult(benchmark=b, benchmark_version=1, layer=NETWORK_LAYERS[-2], seconds=2.0,
                              score=_board_score(b, value, model_seed, spread)) for b, value in ceiled.items()]
    return ResultsRecord(model=model, scores=scores, environment={"brainmark": "0.1.0", "python": sys.version.split()[0]},
                         created=created)


@pytest.fixture(scope="session")
def make_board_record() -> Callable[..., ResultsRecord]:
    """``make_board_record(identifier, {benchmark: ceiled}, family=, top1=, untrained=, parameters=, spread=,
    created=)``: a record on the offline benchmarks (``BOARD_BENCHMARKS``) with paired bootstrap replicates."""
    return _board_record


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """``screenshot(page, name)``: a full-page PNG at the page's 1280-px width under
    ``.pytest_cache/screenshots/`` (look at them; they are not committed)."""
    folder = Path(request.config.rootpath) / ".pytest_cache" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)

    def shoot(page, name: str) -> Path:  # noqa: ANN001
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shoot


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):  # noqa: ANN001, ANN201
    """Every page at 1280x800, the width the board must fit."""
    return {**browser_context_args, "viewport": {"width": 1280, "height": 800}}
