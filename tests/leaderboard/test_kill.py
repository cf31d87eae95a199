"""kill -9 during scoring, on real processes: of the Dask worker running a sandboxed job, and of the whole server.

Either way no score is lost (the job is re-run and stored exactly once), and no process is left behind: not the
sandbox, not the Dask worker or nanny processes of the killed server.
"""
from __future__ import annotations

import os
import signal
import time

import httpx
import psutil
import pytest

from brainmark.leaderboard.db import ScoreRow, open_database
from brainmark.leaderboard.store import add_user

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("sandbox_ready")]
BENCHMARK = "Coggan2024.IT-rsa"
SLOW_START = "import time\ntime.sleep(8)\n"






def wait_for(condition, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def alive(pids: list[int]) -> list[int]:
    return [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]


def server_process(base: str) -> psutil.Process:
    port = base.rsplit(":", 1)[1]
    return next(p for p in psutil.process_iter(["cmdline"])
                if p.info["cmdline"] and f"--port {port}" in " ".join(p.info["cmdline"]))


def submit(base: str, token: str, package: bytes) -> int:
    response = httpx.post(f"{base}/api/submissions/upload", files={"package": ("p.zip", package)},
                          headers={"Authorization": f"Bearer {token}"}, timeout=120)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def status(base: str, token: str, sub_id: int) -> dict:
    return httpx.get(f"{base}/api/submissions/{sub_id}", headers={"Authorization": f"Bearer {token}"}).json()


def test_kill_9_of_a_worker_and_of_the_server_loses_no_score_and_leaves_no_orphan(
        live_server, tmp_path, make_package, tiny_model_source, shared_data, slot_processes):
    url = f"sqlite:///{tmp_path / 'lb.sqlite'}"
    engine, sessions = open_database(url)
    with sessions.begin() as session:
        token = add_user(session, "kim")
    env = dict(executor="dask", BRAINMARK_LEADERBOARD_WORKERS="1", BRAINMARK_LEADERBOARD_BENCHMARKS=BENCHMARK,
               BRAINMARK_LEADERBOARD_TIME_LIMIT="300")
    base = live_server(url, **env)
    package = make_package("slow", SLOW_START + tiny_model_source)

    # 1. kill -9 of the Dask worker while its sandboxed job runs
    first = submit(base, token, package)
    wait_for(lambda: slot_processes(), 120, "the sandboxed job to start")
    launcher = min(slot_processes(), key=lambda p: p.create_time())
    worker = launcher.parent()
    assert "python" in worker.name()
    os.kill(worker.pid, signal.SIGKILL)
    wait_for(lambda: not slot_processes(), 15, "the killed worker's sandbox to die")
    wait_for(lambda: status(base, token, first)["status"] in ("done", "failed"), 240, "the job to be re-run")
    assert status(base, token, first)["status"] == "done", status(base, token, first)["log"]

    # 2. kill -9 of the whole server while the next job runs
    second = submit(base, token, make_package("slow-two", SLOW_START + tiny_model_source))
    wait_for(lambda: slot_processes(), 120, "the second sandboxed job to start")
    server = server_process(base)
    family = [p.pid for p in server.children(recursive=True)] + [server.pid]
    server.kill()
    wait_for(lambda: not alive(family) and not slot_processes(), 60, "every process of the killed server to end")

    # 3. a new server on the same database re-runs the interrupted job; the first score is still there
    base = live_server(url, **env)
    wait_for(lambda: status(base, token, second)["status"] in ("done", "failed"), 240, "the re-queued job")
    sub = status(base, token, second)
    assert sub["status"] == "done", sub["log"]
    assert sub["jobs"][0]["attempts"] == 2 and "re-queued after attempt 1" in sub["jobs"][0]["log"]
    with sessions() as session:
        rows = session.query(ScoreRow).all()
        assert sorted(r.model.identifier for r in rows) == ["kim/slow", "kim/slow-two"]
    engine.dispose()
