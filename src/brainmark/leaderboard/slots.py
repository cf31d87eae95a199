"""Sandbox slots: one per concurrently running job on a machine, each with its own folder, uid and cgroup.

A slot is held through an exclusive ``flock`` on ``ROOT/slot-N.lock`` for as long as its job runs; the kernel
drops the lock when the holder dies, however it dies (even ``kill -9``). A slot whose lock can be taken is
therefore not in use, and whatever it still holds (folder, cgroup, processes of its uid) is stale and is
removed: when a slot is taken, and by :func:`sweep_stale` when a worker starts.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from brainmark.leaderboard.cgroups import existing_job_cgroup

MAX_SLOTS = 64
#: First host uid of the slots (slot N runs as ``UID_BASE + N``): a range no distribution allocates.
DEFAULT_UID_BASE = 2_000_000_000


class NoFreeSlot(RuntimeError):
    """Every sandbox slot of this machine is in use."""


def sandbox_root() -> Path:
    """Where slot folders live (``BRAINMARK_SANDBOX_ROOT``, default ``<tmp>/brainmark-sandbox``); never in the home."""
    root = Path(os.environ.get("BRAINMARK_SANDBOX_ROOT") or Path(tempfile.gettempdir()) / "brainmark-sandbox")
    root.mkdir(mode=0o711, parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chmod(root, 0o711)
    return root


def uid_base() -> int:
    """The first slot uid (``BRAINMARK_SANDBOX_UID_BASE`` overrides it)."""
    return int(os.environ.get("BRAINMARK_SANDBOX_UID_BASE", DEFAULT_UID_BASE))


@dataclass
class Slot:
    """A held slot: its number, folder, host uid (None when not running as root) and lock."""

    index: int
    folder: Path
    uid: int | None
    lock_fd: int

    @property
    def cgroup_name(self) -> str:
        """The name of the slot's job cgroup."""
        return f"slot-{self.index}"

    def release(self) -> None:
        """Remove the folder and drop the lock."""
        remove_folder(self.folder)
        os.close(self.lock_fd)


def _try_lock(path: Path) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def remove_folder(folder: Path) -> None:
    """Delete a slot folder even where the sandbox left read-only directories."""
    if not folder.exists():
        return

    def fix(function: Any, path: str, _exc: Any) -> None:
        """Make a read-only directory writable, then retry the removal."""
        try:
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
        except OSError:
            pass
        function(path)

    shutil.rmtree(folder, onerror=fix)


def kill_uid(uid: int) -> int:
    """SIGKILL every process whose real uid is ``uid`` (a slot's uid runs nothing but its job); returns how many."""
    killed = 0
    for proc in psutil.process_iter(["uids", "status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if proc.info["uids"] is not None and proc.info["uids"].real == uid:
                os.kill(proc.pid, signal.SIGKILL)
                killed += 1
        except (psutil.Error, ProcessLookupError):
            continue
    return killed


def clean_slot(index: int, folder: Path) -> list[str]:
    """Remove what a dead job left in slot ``index``; returns what was found (for the log)."""
    found = []
    if os.geteuid() == 0:
        killed = kill_uid(uid_base() + index)
        if killed:
            found.append(f"{killed} processes of uid {uid_base() + index}")
    cgroup = existing_job_cgroup(f"slot-{index}")
    if cgroup is not None:
        if cgroup.pids():
            found.append(f"{len(cgroup.pids())} processes in cgroup slot-{index}")
        cgroup.remove()
    if folder.exists():
        found.append(f"folder {folder}")
        remove_folder(folder)
    return found


def acquire_slot() -> Slot:
    """Take a free slot (cleaning what a dead job left in it); raises :class:`NoFreeSlot`."""
    root = sandbox_root()
    for index in range(MAX_SLOTS):
        fd = _try_lock(root / f"slot-{index}.lock")
        if fd is None:
            continue
        folder = root / f"slot-{index}"
        clean_slot(index, folder)
        uid = uid_base() + index if os.geteuid() == 0 else None
        return Slot(index, folder, uid, fd)
    raise NoFreeSlot(f"all {MAX_SLOTS} sandbox slots in {root} are in use")


def sweep_stale() -> list[str]:
    """Clean every slot that no live job holds (run when a worker starts); returns what was removed."""
    root = sandbox_root()
    removed = []
    for index in range(MAX_SLOTS):
        lock = root / f"slot-{index}.lock"
        folder = root / f"slot-{index}"
        if not lock.exists() and not folder.exists():
            continue
        fd = _try_lock(lock)
        if fd is None:
            continue
        try:
            removed += [f"slot {index}: {what}" for what in clean_slot(index, folder)]
        finally:
            os.close(fd)
    return removed
