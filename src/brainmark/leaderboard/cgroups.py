"""Per-job control groups: memory (page cache, tmpfs and shared pages counted once), process count and CPU time
of a sandbox's whole process tree, and killing every process in it.

cgroup v2 (``/sys/fs/cgroup/cgroup.controllers`` exists): one folder under ``/sys/fs/cgroup/brainmark-sandbox``
with ``memory.max``, ``memory.swap.max``, ``pids.max``; ``cgroup.kill`` ends it. cgroup v1 (one hierarchy per
controller, as on this project's machines): the same job folder in the ``memory``, ``pids`` and ``cpuacct``
hierarchies (``memory.limit_in_bytes``, ``memory.memsw.limit_in_bytes`` where swap is accounted, ``pids.max``),
nested under the worker's own cgroup of each hierarchy, so the worker's own limits still cover its jobs.
Creating them needs root; :func:`open_job_cgroup` returns None where that is impossible, and the sandbox falls
back to its own accounting (:mod:`brainmark.leaderboard.accounting`).
"""
from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PARENT = "brainmark-sandbox"
V1_CONTROLLERS = ("memory", "pids", "cpuacct")


class CgroupError(OSError):
    """A job's cgroup could not be created or configured."""


def _write(path: Path, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _keyed(text: str) -> dict[str, int]:
    """``key value`` lines (memory.events, pids.events, cpu.stat, memory.oom_control) as a dict."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            out[parts[0]] = int(parts[1])
    return out


def version() -> int | None:
    """2 for the unified hierarchy, 1 for per-controller hierarchies, None when neither is usable."""
    if (ROOT / "cgroup.controllers").is_file():
        return 2
    if all((ROOT / c / "cgroup.procs").is_file() for c in V1_CONTROLLERS):
        return 1
    return None


@dataclass
class JobCgroup:
    """The cgroup folders of one job (one per hierarchy) and how to read and stop them."""

    name: str
    version: int
    folders: dict[str, Path] = field(default_factory=dict)

    @property
    def procs_files(self) -> list[Path]:
        """The ``cgroup.procs`` files a process writes its pid to, to join the job."""
        return [folder / "cgroup.procs" for folder in dict.fromkeys(self.folders.values())]

    def pids(self) -> list[int]:
        """Every process in the job (all hierarchies hold the same ones)."""
        found: set[int] = set()
        for path in self.procs_files:
            found.update(int(p) for p in _read(path).split() if p.isdigit())
        return sorted(found)

    def memory_bytes(self) -> int:
        """Memory charged to the job now (anonymous, page cache, tmpfs)."""
        name = "memory.current" if self.version == 2 else "memory.usage_in_bytes"
        text = _read(self.folders["memory"] / name).strip()
        return int(text) if text.isdigit() else 0

    def memory_peak(self) -> int:
        """The highest memory charge seen (0 where the kernel does not report it)."""
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        text = _read(self.folders["memory"] / name).strip()
        return int(text) if text.isdigit() else 0

    def oom_kills(self) -> int:
        """Processes the kernel killed for exceeding the memory limit."""
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        return _keyed(_read(self.folders["memory"] / name)).get("oom_kill", 0)

    def memory_limit_hits(self) -> int:
        """How often the memory limit was reached (v1 ``failcnt``, v2 ``max`` events)."""
        if self.version == 2:
            return _keyed(_read(self.folders["memory"] / "memory.events")).get("max", 0)
        text = _read(self.folders["memory"] / "memory.failcnt").strip()
        return int(text) if text.isdigit() else 0

    def forks_refused(self) -> int:
        """Forks refused by the process limit."""
        return _keyed(_read(self.folders["pids"] / "pids.events")).get("max", 0)

    def cpu_seconds(self) -> float:
        """CPU time used by every process of the job, including those that ended."""
        if self.version == 2:
            return _keyed(_read(self.folders["cpu"] / "cpu.stat")).get("usage_usec", 0) / 1e6
        text = _read(self.folders["cpuacct"] / "cpuacct.usage").strip()
        return int(text) / 1e9 if text.isdigit() else 0.0

    def kill_all(self, timeout: float = 10.0) -> bool:
        """SIGKILL every process in the job until none is left; True when it is empty."""
        deadline = time.monotonic() + timeout
        if self.version == 2:
            try:
                _write(self.folders["memory"] / "cgroup.kill", "1")
            except OSError:
                pass
        while True:
            pids = self.pids()
            if not pids:
                return True
            if time.monotonic() > deadline:
                return False
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)

    def remove(self) -> None:
        """Kill what is left and delete the folders (empty cgroups only can be removed)."""
        self.kill_all()
        for folder in dict.fromkeys(self.folders.values()):
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # the last processes are still being reaped
                    time.sleep(0.05)


def _own_v1_paths() -> dict[str, str]:
    """This process' cgroup path in each v1 hierarchy (from ``/proc/self/cgroup``)."""
    out: dict[str, str] = {}
    for line in _read(Path("/proc/self/cgroup")).splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            out[controller] = path.lstrip("/")
    return out


def _v1_folders(name: str) -> dict[str, Path]:
    own = _own_v1_paths()
    return {c: ROOT / c / own.get(c, "") / PARENT / name for c in V1_CONTROLLERS}


def _v2_folders(name: str) -> dict[str, Path]:
    folder = ROOT / PARENT / name
    return {"memory": folder, "pids": folder, "cpu": folder}


def existing_job_cgroup(name: str) -> JobCgroup | None:
    """The job cgroup ``name`` if it exists (e.g. left by a worker that was killed), else None."""
    v = version()
    if v is None:
        return None
    folders = _v2_folders(name) if v == 2 else _v1_folders(name)
    present = {k: f for k, f in folders.items() if f.is_dir()}
    return JobCgroup(name, v, present) if present else None


def open_job_cgroup(name: str, memory_bytes: int, processes: int) -> JobCgroup:
    """Create (or reset) the job cgroup ``name`` with these limits; raises :class:`CgroupError` if impossible."""
    v = version()
    if v is None:
        raise CgroupError("no usable cgroup hierarchy (neither v2 nor v1 memory/pids/cpuacct) is mounted")
    stale = existing_job_cgroup(name)
    if stale is not None:
        stale.remove()
    try:
        return _create_v2(name, memory_bytes, processes) if v == 2 else _create_v1(name, memory_bytes, processes)
    except OSError as exc:
        raise CgroupError(f"cannot set up cgroup {PARENT}/{name}: {exc}") from exc


def _create_v1(name: str, memory_bytes: int, processes: int) -> JobCgroup:
    folders = _v1_folders(name)
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    memory = folders["memory"]
    _write(memory / "memory.limit_in_bytes", str(memory_bytes))
    if (memory / "memory.memsw.limit_in_bytes").exists():  # swap accounting: no escape into swap
        _write(memory / "memory.memsw.limit_in_bytes", str(memory_bytes))
    _write(folders["pids"] / "pids.max", str(processes))
    return JobCgroup(name, 1, folders)


def _create_v2(name: str, memory_bytes: int, processes: int) -> JobCgroup:
    parent = ROOT / PARENT
    parent.mkdir(exist_ok=True)
    for level in (ROOT, parent):
        _write(level / "cgroup.subtree_control", "+memory +pids +cpu")
    folders = _v2_folders(name)
    folder = folders["memory"]
    folder.mkdir(exist_ok=True)
    _write(folder / "memory.max", str(memory_bytes))
    if (folder / "memory.swap.max").exists():
        _write(folder / "memory.swap.max", "0")
    _write(folder / "pids.max", str(processes))
    return JobCgroup(name, 2, folders)
