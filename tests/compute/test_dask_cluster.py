"""The documented multi-machine setup, on one machine: a separate `dask scheduler` process, a `brainmark worker` and
a `dask worker` process, all over mutual TLS on 127.0.0.1, and `brainmark score --models ... --scheduler tls://...`
in its own process giving the records of serial scoring."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from brainmark.scoring import score_models
from brainmark.scoring.results import ResultsRecord

pytestmark = [pytest.mark.dask, pytest.mark.slow]
TINY = Path(__file__).resolve().parents[1] / "leaderboard" / "tiny_net.py"
MODELS = [f"{TINY}:build_a", f"{TINY}:build_b"]
BENCHMARKS = ["Coggan2024.IT-rsa", "Coggan2024.V4-rsa"]  # the smallest (24 images): 4 jobs
BRAINMARK = [sys.executable, "-c", "from brainmark.cli.main import app; app()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _comparable(record: ResultsRecord) -> str:
    data = record.without_timings()
    return json.dumps({k: data[k] for k in ("model", "scores", "composites")}, sort_keys=True)


@pytest.fixture
def tls_cluster(tmp_path, shared_data):
    """(address, TLS flags, env): a scheduler and two workers (one `brainmark worker`, one `dask worker`)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=brainmark",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    tls = ["--tls-ca-file", str(cert), "--tls-cert", str(cert), "--tls-key", str(key)]
    port = _free_port()
    address = f"tls://127.0.0.1:{port}"
    # each worker is another machine: its own BRAINMARK_HOME (caches), the same data mirror
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    homes = [{**env, "BRAINMARK_HOME": str(tmp_path / f"worker-home-{i}")} for i in range(2)]
    bin_dir = Path(sys.executable).parent
    processes = [subprocess.Popen([str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                   "--protocol", "tls", "--dashboard-address", "127.0.0.1:0", *tls],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=homes[0])]
    logs = [open(tmp_path / f"worker{i}.log", "w") for i in range(2)]
    processes.append(subprocess.Popen([*BRAINMARK, "worker", "--scheduler", address, *tls], stdout=logs[0],
                                      stderr=subprocess.STDOUT, env=homes[0]))
    processes.append(subprocess.Popen([str(bin_dir / "dask"), "worker", address, "--nthreads", "1", "--no-dashboard",
                                       "--host", "127.0.0.1", *tls], stdout=logs[1], stderr=subprocess.STDOUT, env=homes[1]))
    try:
        from distributed import Client
        from distributed.security import Security

        security = Security(tls_ca_file=str(cert), tls_client_cert=str(cert), tls_client_key=str(key),
                            require_encryption=True)
        with Client(address, security=security, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            workers = client.scheduler_info()["workers"]
            assert len(workers) == 2 and all(w.startswith("tls://127.0.0.1:") for w in workers)
        yield address, tls, env, tmp_path
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        for log in logs:
            log.close()


def test_brainmark_score_on_a_separate_tls_cluster_equals_serial_scoring(tls_cluster, fresh_home):
    address, tls, env, tmp_path = tls_cluster
    out = tmp_path / "parallel"
    client_env = {**env, "BRAINMARK_HOME": str(tmp_path / "client-home"), "BRAINMARK_PROGRESS": "0"}
    refused = subprocess.run([*BRAINMARK, "score", "--models", ",".join(MODELS), *BENCHMARKS, "--scheduler",
                              address.replace("tls://", "tcp://")], capture_output=True, text=True, env=client_env,
                             timeout=120)
    assert refused.returncode == 2 and "--insecure-scheduler" in refused.stdout + refused.stderr
    run = subprocess.run([*BRAINMARK, "score", "--models", ",".join(MODELS), *BENCHMARKS, "--scheduler", address, *tls,
                          "--output", str(out), "--no-plots"], capture_output=True, text=True, env=client_env,
                         timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "jobs 4/4 done" in " ".join(run.stderr.split())
    assert not (tmp_path / "client-home" / "activations").exists()  # the client computed nothing itself
    for i in range(2):  # both worker processes scored (the scheduler spreads the 4 jobs over its 2 workers)
        assert list((tmp_path / f"worker-home-{i}" / "activations").rglob("*.json")), f"worker {i} computed nothing"
    fresh_home()
    serial = score_models(MODELS, BENCHMARKS).records
    for record in serial:
        parallel = ResultsRecord.load(out / f"tiny_net.py_{record.model_identifier}.json")
        assert _comparable(parallel) == _comparable(record)
