"""Dask: the executor protocol, parallel scoring identical to serial scoring, and retries after a worker dies."""
from __future__ import annotations

import functools
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from brainmark.compute.dask import DaskExecutor
from brainmark.leaderboard.db import Job, ScoreRow, Submission, open_database
from brainmark.leaderboard.jobs import run_job
from brainmark.leaderboard.store import add_user
from brainmark.leaderboard.workers import Dispatcher, create_jobs

TINY = str(Path(__file__).with_name("tiny_net.py"))
BENCHMARKS = ["Coggan2024.IT-rsa", "Kriegeskorte2008.monkeyIT-rsa"]
pytestmark = pytest.mark.dask


# Test modules are not importable on the workers (pytest's importlib mode): tasks use library functions or
# functions defined inside the test (those travel by value).
square = functools.partial(pow, exp=2)


@pytest.fixture(scope="module")
def cluster():
    with DaskExecutor(n_workers=2) as executor:
        yield executor


def test_dask_executor_follows_the_executor_protocol(cluster):
    assert cluster.map(square, [3, 1, 2]) == [9, 1, 4]
    assert cluster.map(square, []) == []
    assert cluster.submit(square, 7).result() == 49
    assert cluster.gather([cluster.submit(square, i) for i in range(4)]) == [0, 1, 4, 9]
    workers = cluster.client.scheduler_info()["workers"]
    assert len(workers) == 2 and all(w.startswith("tls://127.0.0.1:") for w in workers)
    assert len(set(cluster.client.run(os.getpid).values())) == 2  # two separate worker processes


def test_the_scheduler_refuses_clients_without_its_certificate(cluster):
    from distributed import Client
    from distributed.security import Security

    address = cluster.scheduler_address
    assert address.startswith("tls://127.0.0.1:")
    for security in (None, Security.temporary()):  # no credentials; a certificate of another authority
        with pytest.raises(Exception):
            Client(address, timeout="3s", security=security)
    host, port = address.removeprefix("tls://").rsplit(":", 1)
    import socket

    with socket.create_connection((host, int(port)), timeout=3) as raw:  # a plain-TCP Dask message goes nowhere
        raw.sendall(b"\x00" * 64)
        raw.settimeout(3)
        try:
            reply = raw.recv(100)
        except (ConnectionResetError, socket.timeout):
            reply = b""
        assert b"run_function" not in reply
    assert cluster.submit(square, 5).result() == 25  # still serving its own client


def test_a_plain_tcp_scheduler_is_refused_unless_explicitly_allowed():
    from brainmark.compute.dask import InsecureSchedulerError, remote_security

    with pytest.raises(InsecureSchedulerError, match="insecure-scheduler"):
        DaskExecutor(scheduler="tcp://127.0.0.1:1").client
    with pytest.raises(InsecureSchedulerError, match="certificates"):
        remote_security("tls://127.0.0.1:1")
    assert remote_security("tcp://127.0.0.1:1", allow_insecure=True) is None


@pytest.mark.slow
def test_two_models_by_two_benchmarks_on_dask_equal_serial_scoring(cluster, shared_data):
    specs = [{"kind": "zoo", "model_identifier": f"{TINY}:{factory}", "benchmark": b}
             for factory in ("build_a", "build_b") for b in BENCHMARKS]
    serial = [run_job(spec) for spec in specs]
    parallel = cluster.map(run_job, specs)
    assert all(o["ok"] for o in serial + parallel), [o["log"] for o in serial + parallel if not o["ok"]]
    for s, p in zip(serial, parallel):
        (a,), (b,) = s["record"]["scores"], p["record"]["scores"]
        assert a["benchmark"] == b["benchmark"] and a["layer"] == b["layer"]
        for field in ("raw", "error", "ceiling", "ceiled", "ceiled_error", "values", "convention"):
            assert a["score"][field] == b["score"][field], field
        assert s["record"]["model"]["weights_sha256"] == p["record"]["model"]["weights_sha256"]
    raws = {(s["record"]["model"]["identifier"], s["record"]["scores"][0]["benchmark"]) for s in serial}
    assert len(raws) == 4


def test_a_job_whose_worker_dies_is_retried_and_stored_once(tmp_path, cluster):
    marker = tmp_path / "died-once"

    def dies_first_time(spec: dict) -> dict:
        if not marker.exists():
            marker.write_text("x")
            os._exit(1)  # the worker process dies mid-job
        from brainmark.scores import Score
        from brainmark.scoring.results import BenchmarkResult, ResultsRecord

        score = Score(raw=0.25, error=0.01).with_ceiling(0.5)
        record = ResultsRecord(model={"identifier": spec["model_identifier"]},
                               scores=[BenchmarkResult(spec["benchmark"], 1, score)])
        return {"ok": True, "record": record.to_dict(), "log": f"pid {os.getpid()}"}

    engine, sessions = open_database(f"sqlite:///{tmp_path / 'lb.sqlite'}")
    with sessions.begin() as session:
        add_user(session, "dora")
        from brainmark.leaderboard.db import User

        sub = Submission(user=session.scalar(select(User)), kind="zoo", model_identifier="resnet18",
                         benchmarks=["B"], status="queued", log="")
        session.add(sub)
        create_jobs(session, sub)
    dispatcher = Dispatcher(sessions, cluster, runner=dies_first_time, poll_seconds=0.1).start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with sessions() as session:
                if session.scalar(select(Submission)).status in ("done", "failed"):
                    break
            time.sleep(0.2)
    finally:
        dispatcher.stop()
    with sessions() as session:
        sub = session.scalar(select(Submission))
        assert sub.status == "done", sub.log
        assert marker.exists()  # the first attempt really died
        assert len(session.scalars(select(ScoreRow)).all()) == 1
        assert session.scalar(select(ScoreRow)).ceiled == pytest.approx(0.5)
        assert session.scalar(select(Job)).status == "done"
    engine.dispose()


def test_jobs_left_running_by_a_stopped_server_are_requeued(tmp_path):
    engine, sessions = open_database(f"sqlite:///{tmp_path / 'lb.sqlite'}")
    with sessions.begin() as session:
        add_user(session, "eve")
        from brainmark.leaderboard.db import User

        sub = Submission(user=session.scalar(select(User)), kind="zoo", model_identifier="resnet18",
                         benchmarks=["B1", "B2"], status="running", log="")
        session.add(sub)
        create_jobs(session, sub)
        session.flush()
        sub.jobs[0].status = "running"
    Dispatcher(sessions, executor=None).requeue_interrupted()
    with sessions() as session:
        assert [j.status for j in session.scalars(select(Job).order_by(Job.id))] == ["queued", "queued"]
        assert "re-queued" in session.scalars(select(Job).order_by(Job.id)).first().log
    engine.dispose()


def test_separate_scheduler_and_brainmark_worker_over_mutual_tls(tmp_path):
    """The README's deployment: `dask scheduler` with TLS, `brainmark worker` with the same certificates, and a
    client with them; a worker without certificates or on plain tcp:// is refused."""
    import subprocess
    import sys

    from distributed.security import Security

    from brainmark.compute.dask import InsecureSchedulerError

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=brainmark",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    tls = ["--tls-ca-file", str(cert), "--tls-cert", str(cert), "--tls-key", str(key)]
    bin_dir = os.path.dirname(sys.executable)
    port = __import__("socket").socket()
    port.bind(("127.0.0.1", 0))
    number = port.getsockname()[1]
    port.close()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    scheduler = subprocess.Popen([f"{bin_dir}/dask", "scheduler", "--host", "127.0.0.1", "--port", str(number),
                                  "--protocol", "tls", "--dashboard-address", "127.0.0.1:0", *tls],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    address = f"tls://127.0.0.1:{number}"
    worker = subprocess.Popen([sys.executable, "-c", "from brainmark.cli.main import app; app()", "worker", "--scheduler", address, *tls],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        security = Security(tls_ca_file=str(cert), tls_client_cert=str(cert), tls_client_key=str(key),
                            require_encryption=True)
        with DaskExecutor(scheduler=address, security=security) as executor:
            executor.client.wait_for_workers(1, timeout=60)
            assert executor.submit(square, 6).result() == 36
        refused = subprocess.run([sys.executable, "-c", "from brainmark.cli.main import app; app()", "worker", "--scheduler",
                                  f"tcp://127.0.0.1:{number}"], capture_output=True, text=True, env=env, timeout=60)
        assert refused.returncode == 2 and "insecure-scheduler" in refused.stdout + refused.stderr
        with pytest.raises(InsecureSchedulerError):
            DaskExecutor(scheduler=address)  # no certificates configured
    finally:
        worker.terminate()
        scheduler.terminate()
        worker.wait(timeout=30)
        scheduler.wait(timeout=30)
