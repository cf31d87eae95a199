"""Run untrusted code in a bubblewrap sandbox with per-job limits on its whole process tree.

Each job takes a slot (:mod:`~brainmark.leaderboard.slots`: folder, host uid, cgroup) and runs as
``prlimit -> setpriv (dedicated uid, no capabilities, no_new_privs) -> bwrap`` with new user, pid, mount, ipc,
uts, net and cgroup namespaces, no further user namespaces, ``--die-with-parent``, a fresh ``/proc`` and ``/dev``,
size-limited private ``/tmp`` and ``/dev/shm``, a read-only root, read-only ``/usr``, interpreter, virtual
environment and brainmark sources, the job's package and stimuli read-only and only ``/job/work`` writable, and the
seccomp filter of :mod:`~brainmark.leaderboard.seccomp`. As root the read-only sources are first bound into the slot
inside a private mount namespace (``unshare --mount``) so the dedicated uid can reach an interpreter under a
private home. Limits: memory and processes through the job cgroup (else PSS accounting and ``RLIMIT_NPROC``), CPU
time of the tree and wall time (watched; past either everything is killed), file size and no core dumps
(rlimits). However the job ends, every process it started is killed and the slot is cleaned.
"""
from __future__ import annotations

import functools
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brainmark.leaderboard import accounting, seccomp
from brainmark.leaderboard.cgroups import CgroupError, JobCgroup, open_job_cgroup
from brainmark.leaderboard.sandbox_io import TailBuffer, folder_usage
from brainmark.leaderboard.sandbox_mounts import SandboxError, bound_sources, check_sources, sandbox_env
from brainmark.leaderboard.slots import Slot, acquire_slot, kill_uid

INSIDE = Path("/job")
#: uid and gid the code sees inside its user namespace.
SANDBOX_ID = 65534


@dataclass(frozen=True)
class Limits:
    """Per-job limits: ``seconds`` wall clock, ``cpu_seconds`` CPU time of the whole tree (None: = seconds),
    ``memory_bytes`` of the whole tree (tmpfs included), ``processes`` (tasks, threads included),
    ``file_bytes`` largest file written, ``tmp_bytes`` size of each private tmpfs (/tmp, /dev/shm),
    ``disk_bytes`` / ``files`` what the writable job folder may hold."""

    seconds: float = 1800.0
    memory_bytes: int = 8 * 1024**3
    file_bytes: int = 2 * 1024**3
    processes: int = 512
    tmp_bytes: int = 256 * 1024**2
    cpu_seconds: float | None = None
    disk_bytes: int = 4 * 1024**3
    files: int = 20000

    @property
    def cpu(self) -> float:
        """The CPU-time limit in seconds."""
        return float(self.cpu_seconds if self.cpu_seconds is not None else self.seconds)


@dataclass
class SandboxResult:
    """How a sandboxed command ended: exit status, output tails, duration and the limit that stopped it."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    stopped: str | None = None
    notes: list[str] = field(default_factory=list)
    sandboxed: bool = True

    @property
    def timed_out(self) -> bool:
        """True when the wall-clock limit stopped the command."""
        return bool(self.stopped and self.stopped.startswith("time limit"))

    @property
    def memory_exceeded(self) -> bool:
        """True when the memory limit stopped the command."""
        return bool(self.stopped and self.stopped.startswith("memory limit"))

    def describe(self) -> str:
        """One line saying how the process ended."""
        if self.stopped:
            return f"stopped: {self.stopped}"
        if self.returncode < 0:
            return f"stopped by signal {signal.Signals(-self.returncode).name}"
        if self.returncode != 0:
            return f"failed with exit status {self.returncode}"
        return f"finished in {self.seconds:.1f} s"


class Sandbox:
    """One job's sandbox (a context manager): take a slot, :meth:`start` a command, watch it, stop and clean.

    ``unsandboxed=True`` (only when the operator allowed it) runs the command as a plain limited subprocess.
    """

    def __init__(self, limits: Limits = Limits(), *, unsandboxed: bool = False) -> None:
        self.limits = limits
        self.unsandboxed = unsandboxed
        self.slot: Slot | None = None
        self.cgroup: JobCgroup | None = None
        self.proc: subprocess.Popen | None = None
        self.notes: list[str] = []
        self.stopped: str | None = None
        self.accounting = "none (unsandboxed)" if unsandboxed else "PSS accounting"
        self._start = 0.0
        self._stderr: TailBuffer | None = None
        self._stdout: TailBuffer | None = None
        self._disk_checked = 0.0

    # --- folders ------------------------------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        """The slot folder on the host."""
        assert self.slot is not None, "use the Sandbox as a context manager"
        return self.slot.folder

    def host(self, part: str) -> Path:
        """Host path of ``package``, ``stimuli`` or ``work``."""
        return self.folder / part

    def inside(self, part: str) -> str:
        """The path the sandboxed code sees for ``package``, ``stimuli`` or ``work``."""
        return str(self.host(part)) if self.unsandboxed else str(INSIDE / part)

    def __enter__(self) -> "Sandbox":
        self.slot = acquire_slot()
        try:
            self._prepare()
        except BaseException:
            self.slot.release()
            raise
        return self

    def _prepare(self) -> None:
        self.folder.mkdir(mode=0o755)
        for part in ("package", "stimuli", "stage"):
            self.host(part).mkdir(mode=0o755)
        work = self.host("work")
        work.mkdir(mode=0o700)
        (work / "out").mkdir(mode=0o700)
        if self.slot.uid is not None:
            os.chown(work, self.slot.uid, self.slot.uid)
            os.chown(work / "out", self.slot.uid, self.slot.uid)
        if self.unsandboxed:
            return
        if os.geteuid() == 0:
            try:
                self.cgroup = open_job_cgroup(self.slot.cgroup_name, self.limits.memory_bytes, self.limits.processes)
                self.accounting = f"cgroup v{self.cgroup.version}"
            except CgroupError as exc:
                self.notes.append(f"no cgroup ({exc}); memory counted as PSS, processes limited by RLIMIT_NPROC")
        else:
            self.notes.append("not root: no dedicated uid and no cgroup; memory counted as PSS")

    def __exit__(self, *exc: object) -> None:
        self.stop()
        if self.slot is not None:
            self.slot.release()
            self.slot = None

    # --- the command line ---------------------------------------------------------------------------------
    def _bwrap(self, argv: list[str], sources: list[tuple[str, Path]], seccomp_fd: int) -> list[str]:
        size = str(self.limits.tmp_bytes)
        cmd = ["bwrap", "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
               "--new-session", "--uid", str(SANDBOX_ID), "--gid", str(SANDBOX_ID), "--hostname", "sandbox",
               "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
               "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin"]
        for host_path, dest in sources:
            cmd += ["--ro-bind", host_path, str(dest)]
        cmd += ["--ro-bind", str(self.host("package")), self.inside("package"),
                "--ro-bind", str(self.host("stimuli")), self.inside("stimuli"),
                "--bind", str(self.host("work")), self.inside("work"),
                "--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/tmp",
                "--size", size, "--tmpfs", "/dev/shm", "--remount-ro", "/", "--chdir", self.inside("work"),
                "--seccomp", str(seccomp_fd), "--", *argv]
        return cmd

    def _prlimit(self) -> list[str]:
        cpu = int(self.limits.cpu) + 1
        cmd = ["prlimit", f"--cpu={cpu}:{cpu + 5}", f"--fsize={self.limits.file_bytes}", "--core=0"]
        if self.slot.uid is not None:  # per-slot uid: the count is this job's alone (a backstop to pids.max)
            slack = 16 if self.cgroup is not None else 0
            cmd.append(f"--nproc={self.limits.processes + slack}")
        return [*cmd, "--"]

    def command(self, argv: list[str], seccomp_fd: int) -> list[str]:
        """The full launcher command line for ``argv`` (paths as seen inside)."""
        if self.unsandboxed:
            return [*self._prlimit(), *argv]
        sources = bound_sources()
        check_sources(sources)
        if self.slot.uid is None:
            return [*self._prlimit(), *self._bwrap(argv, [(str(s), s) for s in sources], seccomp_fd)]
        staged = [(str(self.host("stage") / str(i)), src) for i, src in enumerate(sources)]
        uid = str(self.slot.uid)
        inner = [*self._prlimit(), "setpriv", "--reuid", uid, "--regid", uid, "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
                 *self._bwrap(argv, staged, seccomp_fd)]
        script = ["set -e"]
        for stage, src in staged:
            os.makedirs(stage, mode=0o755, exist_ok=True)
            script.append(f"mount --bind -o ro {shlex.quote(str(src))} {shlex.quote(stage)}")
        for procs in (self.cgroup.procs_files if self.cgroup else []):
            script.append(f"echo $$ > {shlex.quote(str(procs))}")
        script.append("exec " + shlex.join(inner))
        return ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", "\n".join(script)]

    # --- running ------------------------------------------------------------------------------------------
    def start(self, argv: list[str], env: dict[str, str] | None = None, pipes: bool = False) -> None:
        """Start ``argv`` (``pipes``: stdin/stdout are a request channel, else stdout is kept as a bounded tail)."""
        import brainmark

        src = str(Path(brainmark.__file__).parents[1])
        env = env or sandbox_env(src, self.inside("work"))
        fd = seccomp.filter_fd() if not self.unsandboxed else -1
        try:
            cmd = self.command(argv, fd)
            self._start = time.monotonic()
            self.proc = subprocess.Popen(
                cmd, cwd=self.host("work"), env=env, stdin=subprocess.PIPE if pipes else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(fd,) if fd >= 0 else (),
                start_new_session=True, close_fds=True,
            )
            self._stderr = TailBuffer(self.proc.stderr)
            self._stdout = None if pipes else TailBuffer(self.proc.stdout)
        finally:
            if fd >= 0:
                os.close(fd)

    @property
    def elapsed(self) -> float:
        """Seconds since the command started."""
        return time.monotonic() - self._start if self._start else 0.0

    def usage(self) -> accounting.TreeUsage:
        """Memory, CPU and process count of the job now (from the cgroup, else from the process tree)."""
        if self.cgroup is not None:
            return accounting.TreeUsage(self.cgroup.memory_bytes(), self.cgroup.cpu_seconds(), len(self.cgroup.pids()))
        if self.proc is None:
            return accounting.TreeUsage(0, 0.0, 0)
        return accounting.tree_usage(self.proc.pid, self.limits.tmp_bytes)

    def violation(self) -> str | None:
        """The limit the job broke, if any (checked by whoever waits on it, several times a second)."""
        limits = self.limits
        if self.elapsed > limits.seconds:
            return f"time limit exceeded after {self.elapsed:.1f} s (limit {limits.seconds:g} s)"
        if self.cgroup is not None:
            if self.cgroup.oom_kills():
                return f"memory limit exceeded (limit {limits.memory_bytes / 2**20:.0f} MiB; the kernel stopped a process)"
            if self.cgroup.forks_refused():
                return f"process limit reached ({limits.processes} processes/threads; {self.cgroup.forks_refused()} forks refused)"
        use = self.usage()
        if self.cgroup is None and use.memory_bytes > limits.memory_bytes:
            return f"memory limit exceeded ({use.memory_bytes / 2**20:.0f} MiB > {limits.memory_bytes / 2**20:.0f} MiB)"
        if self.cgroup is None and use.processes >= limits.processes - 2:  # bwrap's two count towards the uid too
            return f"process limit reached ({use.processes} processes)"
        if use.cpu_seconds > limits.cpu:
            return f"CPU time limit exceeded ({use.cpu_seconds:.1f} s > {limits.cpu:g} s)"
        return self._disk_violation()

    def _disk_violation(self) -> str | None:
        """The job folder over its size or file-count limit (measured at most once a second)."""
        if time.monotonic() - self._disk_checked < 1.0:
            return None
        self._disk_checked = time.monotonic()
        size, entries = folder_usage(str(self.host("work")), self.limits.files)
        if entries > self.limits.files:
            return f"disk limit exceeded (more than {self.limits.files} files in the job folder)"
        if size > self.limits.disk_bytes:
            return f"disk limit exceeded ({size / 2**20:.0f} MiB > {self.limits.disk_bytes / 2**20:.0f} MiB)"
        return None

    def check(self) -> str | None:
        """Stop the job if it broke a limit; returns the reason (also kept in :attr:`stopped`)."""
        if self.stopped is None and self.proc is not None:
            reason = self.violation()
            if reason is not None:
                self.stopped = reason
                self.kill()
        return self.stopped

    def wait(self, poll_seconds: float = 0.1) -> SandboxResult:
        """Wait for a command started without pipes, enforcing the limits; never raises for the child's failures."""
        while self.proc.poll() is None and self.check() is None:
            time.sleep(poll_seconds)
        self.stop()
        return SandboxResult(self.proc.returncode, self._stdout.text(wait=2), self.stderr_tail(), self.elapsed,
                             self.stopped, list(self.notes), not self.unsandboxed)

    def stderr_tail(self, chars: int = 20000) -> str:
        """The end of what the job wrote to stderr."""
        if self._stderr is None:
            return ""
        return self._stderr.text(chars, wait=2 if self.proc is not None and self.proc.poll() is not None else 0)

    # --- stopping -----------------------------------------------------------------------------------------
    def kill(self) -> None:
        """SIGKILL the whole tree: the launcher (bwrap's --die-with-parent chain and the pid namespace take
        everything inside with it), then every process left in the cgroup or of the slot's uid."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        leftovers = []
        if self.cgroup is not None and not self.cgroup.kill_all():
            leftovers.append(f"cgroup still holds {self.cgroup.pids()}")
        if self.slot is not None and self.slot.uid is not None:
            for _ in range(50):
                if not kill_uid(self.slot.uid):
                    break
                time.sleep(0.02)
            else:
                leftovers.append(f"processes of uid {self.slot.uid} survived SIGKILL")
        self.notes += leftovers

    def _late_reason(self) -> str | None:
        """A limit the kernel enforced by itself (OOM kill, refused forks) when the job ended on its own."""
        if self.cgroup is None:
            return None
        if self.cgroup.oom_kills():
            return f"memory limit exceeded (limit {self.limits.memory_bytes / 2**20:.0f} MiB; the kernel stopped a process)"
        if self.cgroup.forks_refused():
            return f"process limit reached ({self.limits.processes} processes/threads)"
        return None

    def stop(self) -> None:
        """End the job (if it still runs), kill everything it started and remove its cgroup."""
        if self.stopped is None and self.proc is not None and self.proc.poll() is not None:
            self.stopped = self._late_reason()
        if self.proc is not None:
            self.kill()
            for pipe in (self.proc.stdin, self.proc.stdout if self._stdout is None else None):
                if pipe:
                    pipe.close()
        if self.cgroup is not None:
            if self.cgroup.memory_peak():
                self.notes.append(f"peak memory {self.cgroup.memory_peak() / 2**20:.0f} MiB")
            self.cgroup.remove()
            self.cgroup = None


def run_sandboxed(argv: list[str], limits: Limits = Limits(), *, unsandboxed: bool = False,
                  setup: Any = None) -> SandboxResult:
    """Run ``argv`` once in a fresh sandbox; ``setup(sandbox)`` may fill its folders first."""
    with Sandbox(limits, unsandboxed=unsandboxed) as box:
        if setup is not None:
            setup(box)
        box.start(argv)
        return box.wait()


@functools.lru_cache(maxsize=1)
def unavailable_reason() -> str | None:
    """Why untrusted code cannot be sandboxed on this machine (None: it can). Probed once per process."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux namespaces; this is {sys.platform}"
    if os.geteuid() != 0:
        return ("the worker does not run as root, so a job can get neither its own uid nor its own cgroup: run the "
                "workers as root (every job is dropped to a dedicated unprivileged uid)")
    missing = [tool for tool in ("bwrap", "prlimit", "setpriv", "unshare") if shutil.which(tool) is None]
    if missing:
        return f"missing {', '.join(missing)} (install the bubblewrap and util-linux packages)"
    try:
        seccomp.filter_program()
    except seccomp.SeccompUnavailable as exc:
        return str(exc)
    try:
        result = run_sandboxed([sys.executable, "-s", "-c", "import brainmark"], Limits(seconds=60))
    except (OSError, SandboxError, RuntimeError) as exc:
        return f"the sandbox cannot be set up: {exc}"
    if result.returncode != 0:
        return f"a test run in the sandbox failed ({result.describe()}): {result.stderr.strip()[-500:]}"
    return None
