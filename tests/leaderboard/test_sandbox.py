"""The sandbox stops runaway code (time, memory), hides credentials and, where possible, the network."""
from __future__ import annotations

import os
import sys

from brainmark.leaderboard.sandbox import Limits, network_isolation_prefix, run_sandboxed, scrubbed_env


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_infinite_loop_is_stopped(tmp_path):
    result = run_sandboxed(python("while True: pass"), tmp_path, Limits(seconds=2))
    assert result.timed_out and result.returncode != 0
    assert "time limit" in result.describe()
    assert result.seconds < 15


def test_unbounded_allocation_is_stopped(tmp_path):
    touched = "x = []\nwhile True: x.append(b'x' * (50 * 2**20))"  # resident: the watchdog kills it
    result = run_sandboxed(python(touched), tmp_path, Limits(seconds=60, memory_bytes=512 * 2**20))
    assert not result.timed_out and result.returncode == -9 and result.memory_exceeded
    assert "memory limit" in result.describe()
    reserved = "import mmap\nx = []\nwhile True: x.append(mmap.mmap(-1, 2**30))"  # untouched: RLIMIT_AS stops it
    result = run_sandboxed(python(reserved), tmp_path, Limits(seconds=60, memory_bytes=512 * 2**20))
    assert not result.timed_out and result.returncode != 0
    assert "Cannot allocate memory" in result.stderr and "memory limit" in result.describe()


def test_environment_is_scrubbed(tmp_path, monkeypatch):
    monkeypatch.setenv("BRAINMARK_DATABASE_URL", "postgresql+psycopg://app:secret@db/app")
    monkeypatch.setenv("BRAINMARK_LEADERBOARD_DATABASE_URL", "postgresql+psycopg://app:secret@db/app")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "hunter2")
    code = "import os, json; print(json.dumps(dict(os.environ)))"
    result = run_sandboxed(python(code), tmp_path, Limits(seconds=30), env=scrubbed_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "secret" not in result.stdout and "hunter2" not in result.stdout
    assert str(tmp_path) in result.stdout  # HOME and BRAINMARK_HOME point into the sandbox folder


def test_network_is_unreachable_where_the_platform_allows(tmp_path):
    code = (
        "import socket\n"
        "s = socket.socket()\n"
        "s.settimeout(3)\n"
        "try:\n    s.connect(('127.0.0.1', 9)); print('connected')\n"
        "except OSError as e:\n    print('blocked', e.errno)\n"
        "print(sorted(n for _, n in socket.if_nameindex()))"
    )
    result = run_sandboxed(python(code), tmp_path, Limits(seconds=30))
    assert result.returncode == 0, result.stderr
    if network_isolation_prefix():
        assert result.network_isolated
        assert "blocked" in result.stdout and "'eth0'" not in result.stdout  # only a down loopback exists
    else:  # e.g. a container without user namespaces: documented fallback
        assert not result.network_isolated


def test_resource_limits_do_not_leak_to_the_parent(tmp_path):
    import resource

    before = resource.getrlimit(resource.RLIMIT_AS)
    run_sandboxed(python("pass"), tmp_path, Limits(seconds=10, memory_bytes=256 * 2**20))
    assert resource.getrlimit(resource.RLIMIT_AS) == before
