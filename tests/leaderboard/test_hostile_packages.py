"""Hostile model packages, scored for real: through a live server on 127.0.0.1 (spying, forging) and through the
worker's job runner (protocol attacks, fork bombs, daemons). Each ends refused or contained with a recorded reason,
nothing written outside the job folder, no score changed and the server healthy."""
from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from brainmark.leaderboard.db import open_database
from brainmark.leaderboard.jobs import run_job
from brainmark.leaderboard.store import add_user, authenticate, import_record

pytestmark = pytest.mark.usefixtures("sandbox_ready")
BENCHMARK = "Coggan2024.IT-rsa"






def upload_job(package: bytes, identifier: str = "mallory/net", **limits: float) -> dict:
    spec = {"kind": "upload", "model_identifier": identifier, "benchmark": BENCHMARK, "factory": "model.py:build",
            "package": package, "limits": {"seconds": 120, **limits}}
    return run_job(spec)


def wait_done(base: str, token: str, submission_id: int, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sub = httpx.get(f"{base}/api/submissions/{submission_id}", headers={"Authorization": f"Bearer {token}"}).json()
        if sub["status"] in ("done", "failed"):
            return sub
        time.sleep(0.5)
    raise AssertionError(f"submission {submission_id} did not finish")


def seeded_server(live_server, url: str, make_record, **env: str) -> tuple[str, dict[str, str]]:  # noqa: ANN001
    """A live server with users alice and mallory and alice's private model; returns (base URL, tokens)."""
    engine, sessions = open_database(url)
    with sessions.begin() as session:
        tokens = {name: add_user(session, name) for name in ("alice", "mallory")}
        import_record(session, make_record("alice-secret-net", {BENCHMARK: 0.5}),
                      owner=authenticate(session, tokens["alice"]), public=False)
    engine.dispose()
    base = live_server(url, executor="thread", BRAINMARK_LEADERBOARD_BENCHMARKS=BENCHMARK,
                       BRAINMARK_LEADERBOARD_TIME_LIMIT="180", **env)
    return base, tokens


def submit(base: str, token: str, package: bytes, **form: str) -> dict:
    response = httpx.post(f"{base}/api/submissions/upload", files={"package": ("p.zip", package)}, data=form,
                          headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert response.status_code == 201, response.text
    return response.json()


SPY = """
import ctypes, json, os, socket, sqlite3, sys
REPORT = {{}}
def attempt(name, fn):
    try:
        REPORT[name] = "allowed: " + str(fn())[:200]
    except Exception as exc:
        REPORT[name] = "refused: " + type(exc).__name__
def setns():
    fd = os.open("/proc/1/ns/net", os.O_RDONLY)
    if ctypes.CDLL(None, use_errno=True).setns(fd, 0) != 0:
        raise OSError(ctypes.get_errno(), "setns")
attempt("read_db", lambda: open({db!r}, "rb").read(200))
attempt("insert_user", lambda: sqlite3.connect({db!r}).execute(
    "insert into users (name, token_hash, created) values ('eve', {known_hash!r}, '2026-01-01')").connection.commit())
attempt("shadow", lambda: open("/etc/shadow").read())
attempt("server_environ", lambda: open("/proc/{server_pid}/environ", "rb").read())
attempt("write_home", lambda: open({home!r} + "/activations-poison.npy", "w").write("x"))
attempt("write_tmp", lambda: open("/tmp/{marker}", "w").write("x"))
attempt("connect_web", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=3))
attempt("setns", setns)
print("SPY " + json.dumps(REPORT), file=sys.stderr)
"""


@pytest.mark.slow
def test_a_spying_package_reads_writes_and_reaches_nothing(live_server, tmp_path, make_record, make_package,
                                                           tiny_model_source, shared_data, slot_processes):
    from brainmark.leaderboard.store import hash_token

    url = f"sqlite:///{tmp_path / 'lb.sqlite'}"
    base, tokens = seeded_server(live_server, url, make_record, BRAINMARK_SPY_SECRET="hunter2-env-secret")
    assert oct(os.stat(tmp_path / "lb.sqlite").st_mode & 0o777) == "0o600"
    server_pid = next(p.pid for p in psutil.process_iter(["cmdline"])
                      if p.info["cmdline"] and "uvicorn" in " ".join(p.info["cmdline"])
                      and base.rsplit(":", 1)[1] in " ".join(p.info["cmdline"]))
    marker = f"brainmark-spy-{os.getpid()}"
    attack = SPY.format(db=str(tmp_path / "lb.sqlite"), known_hash=hash_token("known-token"), server_pid=server_pid,
                        home=os.environ["BRAINMARK_HOME"], marker=marker, port=base.rsplit(":", 1)[1])
    sub = submit(base, tokens["mallory"], make_package("spy", attack + tiny_model_source))
    assert sub["model_identifier"] == "mallory/spy" and sub["public"] is False
    done = wait_done(base, tokens["mallory"], sub["id"])
    log = "\n".join(j["log"] for j in done["jobs"])
    report = json.loads(re.search(r"SPY (\{.*\})", log).group(1))
    for attack_name in ("read_db", "insert_user", "shadow", "server_environ", "write_home", "connect_web", "setns"):
        assert report[attack_name].startswith("refused"), (attack_name, report[attack_name])
    assert report["write_tmp"].startswith("allowed") and not Path("/tmp", marker).exists()  # a private tmpfs
    assert not Path(os.environ["BRAINMARK_HOME"], "activations-poison.npy").exists()
    assert "hunter2-env-secret" not in log
    assert httpx.get(f"{base}/api/me", headers={"Authorization": "Bearer known-token"}).status_code == 401
    alice = httpx.get(f"{base}/api/models/alice-secret-net", headers={"Authorization": f"Bearer {tokens['alice']}"})
    assert alice.json()["scores"][0]["score"]["raw"] == pytest.approx(0.5)
    assert done["status"] == "done"  # the model itself was fine: it was scored, privately
    assert httpx.get(f"{base}/healthz").status_code == 200
    assert slot_processes() == []


FORGER = """
import json, os, sys
FAKE = {{"schema": "brainmark.results/1", "model": {{"identifier": "mallory/forger", "imagenet_top1": 0.99}},
        "scores": [{{"benchmark": "<script>alert(1)</script>", "benchmark_version": 1,
                    "score": {{"raw": 1.0, "ceiled": 1.0}}}}]}}
for folder in (".", "out", os.environ.get("HOME", ".")):
    for name in ("result.json", "results.json", "r1-0.npy", "r2-0.npy"):
        try:
            with open(os.path.join(folder, name), "w") as f:
                json.dump(FAKE, f)
        except OSError:
            pass
main = sys.modules["__main__"]
original = main.describe
main.describe = lambda model: {{**original(model), "benchmark": "<script>alert(1)</script>", "ceiled": 1.0,
                                "imagenet_top1": 0.99, "composites": [{{"identifier": "x", "ceiled": 1.0}}]}}
"""


@pytest.mark.slow
def test_a_forging_package_gets_exactly_its_trusted_score(live_server, tmp_path, make_record, make_package,
                                                          tiny_model_source, shared_data):
    from brainmark.models import load_model
    from brainmark.scoring.api import run_benchmark

    url = f"sqlite:///{tmp_path / 'lb.sqlite'}"
    base, tokens = seeded_server(live_server, url, make_record)
    source = FORGER.format() + tiny_model_source.replace("METADATA = {}", "METADATA = {'imagenet_top1': 99.0}")
    sub = submit(base, tokens["mallory"], make_package("forger", source, imagenet_top1=0.99), public="true")
    done = wait_done(base, tokens["mallory"], sub["id"])
    assert done["status"] == "done", done["log"]
    record = httpx.get(f"{base}/api/models/mallory/forger").json()
    assert [s["benchmark"] for s in record["scores"]] == [BENCHMARK]
    module = tmp_path / "reference.py"
    module.write_text(tiny_model_source)
    reference = run_benchmark(load_model(f"{module}:build", identifier="reference", use_cache=False), BENCHMARK)
    stored = record["scores"][0]["score"]
    assert stored["ceiled"] == pytest.approx(reference.score.ceiled, rel=1e-9) and stored["ceiled"] < 0.99
    assert "imagenet_top1" not in json.dumps(record["model"]) and record["composites"] == []
    board = httpx.get(f"{base}/api/leaderboard").json()
    row = next(m for m in board["models"] if m["identifier"] == "mallory/forger")
    assert row["imagenet_top1"] is None
    assert [b["identifier"] for b in httpx.get(f"{base}/api/benchmarks").json()] == [BENCHMARK]
    assert "<script>alert(1)</script>" not in httpx.get(base).text


PROTOCOL = """
import os, sys
import numpy as np
main = sys.modules["__main__"]
def evil_save(out_dir, name, array):
    path = os.path.join(str(out_dir), name)
    kind = {kind!r}
    if kind == "nan":
        np.save(path, np.full(np.shape(array), np.nan, dtype="<f4"))
    elif kind == "rows":
        np.save(path, np.asarray(array, dtype="<f4")[:-1])
    elif kind == "object":
        np.save(path, np.array([{{"x": 1}}] * len(array), dtype=object), allow_pickle=True)
    elif kind == "symlink":
        os.symlink("/etc/shadow", path)
    elif kind == "huge":
        with open(path, "wb") as f:
            f.truncate(1 << 30)
main._save = evil_save
"""


@pytest.mark.parametrize("kind, reason", [
    ("nan", "NaN or inf"), ("rows", "expected \\(24, k\\)"), ("object", "expected 2-D little-endian float32"),
    ("symlink", "did not write"), ("huge", "more than"),
])
def test_protocol_attacks_fail_the_job_with_the_reason(kind, reason, make_package, tiny_model_source, shared_data,
                                                       slot_processes):
    outcome = upload_job(make_package("net", PROTOCOL.format(kind=kind) + tiny_model_source))
    assert outcome["ok"] is False and outcome["record"] is None
    assert re.search(reason, outcome["log"]), outcome["log"][-2000:]
    assert slot_processes() == []


FORK_BOMB = """
import os, time
def build():
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(0.01)
"""
DAEMON = """
import os, subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
"""


def test_fork_bombs_and_daemons_of_a_package_are_contained(make_package, tiny_model_source, shared_data,
                                                           slot_processes):
    outcome = upload_job(make_package("bomb", FORK_BOMB), processes=64)
    assert outcome["ok"] is False and "process limit" in outcome["log"], outcome["log"][-2000:]
    assert slot_processes() == []
    outcome = upload_job(make_package("daemon", DAEMON + tiny_model_source))
    assert outcome["ok"] is True  # the model is scored; its daemon dies with the job
    assert slot_processes() == []


def test_without_a_sandbox_uploads_fail_unless_the_operator_allowed_them(monkeypatch, make_package, shared_data):
    from brainmark.leaderboard import jobs

    monkeypatch.setattr(jobs, "unavailable_reason", lambda: "bwrap is missing")
    outcome = upload_job(make_package("net"))
    assert outcome["ok"] is False and "cannot sandbox uploaded code: bwrap is missing" in outcome["log"]
    spec = {"kind": "upload", "model_identifier": "mallory/net", "benchmark": BENCHMARK, "factory": "model.py:build",
            "package": make_package("net"), "limits": {"seconds": 120}, "allow_unsandboxed": True}
    outcome = run_job(spec)
    assert outcome["ok"] is True and "UNSANDBOXED (operator flag)" in outcome["log"]
