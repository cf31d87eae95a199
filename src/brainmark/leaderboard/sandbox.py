"""Run untrusted code in a separate, limited process.

Limits: wall-clock time (the whole process group is killed), address space (``RLIMIT_AS``), CPU seconds
(``RLIMIT_CPU``), written file size (``RLIMIT_FSIZE``) and core dumps off. The environment is scrubbed to a short
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
import time
from dataclasses import dataclass
from pathlib import Path

#: Environment variables a sandboxed process may see (values taken from the parent when set).
ENV_ALLOW = ("PATH", "LANG", "LC_ALL", "TZ", "BRAINMARK_DATA_MIRROR", "BRAINMARK_PROGRESS", "OMP_NUM_THREADS")


@dataclass(frozen=True)
class Limits:
    seconds: float = 1800.0
    memory_bytes: int = 8 * 1024**3
    file_bytes: int = 2 * 1024**3


@dataclass
class SandboxResult:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool
    network_isolated: bool

    @property
    def out_of_memory(self) -> bool:
        return "MemoryError" in self.stderr or "Cannot allocate memory" in self.stderr or "std::bad_alloc" in self.stderr

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
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    cpu = int(limits.seconds) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def scrubbed_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: os.environ[k] for k in ENV_ALLOW if k in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.update({"HOME": str(home), "BRAINMARK_HOME": str(home / "brainmark-home"), "PYTHONNOUSERSITE": "1",
                "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": env.get("OMP_NUM_THREADS", "1")})
    env.update(extra or {})
    return env


def run_sandboxed(
    argv: list[str], workdir: Path, limits: Limits = Limits(), env: dict[str, str] | None = None,
    isolate_network: bool = True,
) -> SandboxResult:
    """Run ``argv`` in ``workdir`` under ``limits``; never raises for the child's failures."""
    workdir = Path(workdir)
    prefix = network_isolation_prefix() if isolate_network else ()
    start = time.monotonic()
    proc = subprocess.Popen(
        [*prefix, *argv], cwd=workdir, env=env if env is not None else scrubbed_env(workdir),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        errors="replace", start_new_session=True, preexec_fn=functools.partial(_limit, limits), close_fds=True,
    )
    timed_out = False
    try:
        out, err = proc.communicate(timeout=limits.seconds)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
    return SandboxResult(proc.returncode, out[-20000:], err[-20000:], time.monotonic() - start, timed_out, bool(prefix))


def python_argv(module: str, *args: str) -> list[str]:
    """Command line running ``python -m module args`` with this interpreter (isolated from user site)."""
    return [sys.executable, "-s", "-m", module, *args]
