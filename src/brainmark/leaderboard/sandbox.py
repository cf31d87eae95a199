"""Run untrusted code in a separate, limited process.

Limits: wall-clock time and resident memory of the whole process tree (watched by the parent; past either the
process group is killed), plus kernel limits set before exec: address space (``RLIMIT_AS``, a backstop),
CPU seconds (``RLIMIT_CPU``), written file size (``RLIMIT_FSIZE``) and no core dumps. The environment is scrubbed to a short
allow-list (no database URL, no tokens, no proxies), and the process gets no network through ``unshare --net``
(a new, empty network namespace) where the kernel allows it (root, or unprivileged user namespaces); otherwise it
runs with the host network and the result says so.
"""
from __future__ import annotations

import functools
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

#: Environment variables a sandboxed process may see (values taken from the parent when set).
ENV_ALLOW = ("PATH", "LANG", "LC_ALL", "TZ", "BRAINMARK_DATA_MIRROR", "BRAINMARK_PROGRESS", "OMP_NUM_THREADS")


@dataclass(frozen=True)
class Limits:
    """``seconds`` wall clock; ``memory_bytes`` resident memory of the whole process tree (watched, then killed);
    ``address_space_bytes`` the hard ``RLIMIT_AS`` backstop (None: memory + 16 GiB, since PyTorch reserves
    several GiB of address space it never touches); ``file_bytes`` largest file the code may write."""

    seconds: float = 1800.0
    memory_bytes: int = 8 * 1024**3
    file_bytes: int = 2 * 1024**3
    address_space_bytes: int | None = None

    @property
    def address_space(self) -> int:
        """The ``RLIMIT_AS`` applied: ``address_space_bytes``, or memory + 16 GiB."""
        return self.address_space_bytes or self.memory_bytes + 16 * 1024**3


@dataclass
class SandboxResult:
    """How a sandboxed process ended: exit code, output, time and which limit stopped it."""
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool
    network_isolated: bool
    memory_exceeded: bool = False

    @property
    def out_of_memory(self) -> bool:
        """Whether the process ran out of memory (watched limit or an allocation failure)."""
        return self.memory_exceeded or "MemoryError" in self.stderr or "Cannot allocate memory" in self.stderr or "std::bad_alloc" in self.stderr

    def describe(self) -> str:
        """One line saying how the process ended."""
        if self.timed_out:
            return f"stopped: time limit exceeded after {self.seconds:.1f} s"
        if self.out_of_memory:
            return "stopped: memory limit exceeded"
        if self.returncode < 0:
            return f"stopped by signal {signal.Signals(-self.returncode).name}"
        if self.returncode != 0:
            return f"failed with exit status {self.returncode}"
        return f"finished in {self.seconds:.1f} s"


@functools.lru_cache(maxsize=1)
def network_isolation_prefix() -> tuple[str, ...]:
    """The command prefix that gives a child an empty network namespace here, or () if none works."""
    for prefix in (("unshare", "--net", "--"), ("unshare", "--map-root-user", "--net", "--")):
        try:
            ok = subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return prefix
    return ()


def _limit(limits: Limits) -> None:
    """Runs in the child between fork and exec."""
    resource.setrlimit(resource.RLIMIT_AS, (limits.address_space, limits.address_space))
    cpu = int(limits.seconds) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def scrubbed_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a sandboxed process: allow-listed variables only, its own home, one thread."""
    env = {k: os.environ[k] for k in ENV_ALLOW if k in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.update({"HOME": str(home), "BRAINMARK_HOME": str(home / "brainmark-home"), "PYTHONNOUSERSITE": "1",
                "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": env.get("OMP_NUM_THREADS", "1")})
    env.update(extra or {})
    return env


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_sandboxed(
    argv: list[str], workdir: Path, limits: Limits = Limits(), env: dict[str, str] | None = None,
    isolate_network: bool = True, poll_seconds: float = 0.1,
) -> SandboxResult:
    """Run ``argv`` in ``workdir`` under ``limits``; never raises for the child's failures.

    The parent watches the child's process tree: past the wall-clock limit or the resident-memory limit the
    whole process group is killed. Output goes to files (no pipe can fill up and block the child).
    """
    workdir = Path(workdir)
    prefix = network_isolation_prefix() if isolate_network else ()
    start = time.monotonic()
    timed_out = memory_exceeded = False
    with tempfile.TemporaryFile("w+", errors="replace") as out, tempfile.TemporaryFile("w+", errors="replace") as err:
        proc = subprocess.Popen(
            [*prefix, *argv], cwd=workdir, env=env if env is not None else scrubbed_env(workdir),
            stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True,
            preexec_fn=functools.partial(_limit, limits), close_fds=True,
        )
        watched = psutil.Process(proc.pid)
        while proc.poll() is None:
            if time.monotonic() - start > limits.seconds:
                timed_out = True
            elif _tree_rss(watched) > limits.memory_bytes:
                memory_exceeded = True
            if timed_out or memory_exceeded:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
                break
            time.sleep(poll_seconds)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read()[-20000:], err.read()[-20000:]
    return SandboxResult(proc.returncode, stdout, stderr, time.monotonic() - start, timed_out, bool(prefix),
                         memory_exceeded)


def python_argv(module: str, *args: str) -> list[str]:
    """Command line running ``python -m module args`` with this interpreter (isolated from user site)."""
    return [sys.executable, "-s", "-m", module, *args]
