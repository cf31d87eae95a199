"""Resource accounting of a sandbox's process tree where no cgroup can be created (the fallback).

Memory is the sum of every process' *proportional* set size (PSS: a page shared by k processes counts 1/k in
each, so forks of a model process are not charged k times for the pages they share) plus what the job holds in
its private ``/tmp`` and ``/dev/shm`` (tmpfs pages belong to no process). CPU time adds the live processes' times
to those of the children they already reaped.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import psutil

#: Where a sandboxed process keeps memory that is not in any process' PSS.
TMPFS_MOUNTS = ("tmp", "dev/shm")


@dataclass(frozen=True)
class TreeUsage:
    """Resource use of a process tree at one moment."""

    memory_bytes: int
    cpu_seconds: float
    processes: int


def tree(root_pid: int) -> list[psutil.Process]:
    """The process and all its descendants (orphans reparented to the pid namespace's init stay in the tree)."""
    try:
        root = psutil.Process(root_pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _tmpfs_bytes(pid: int, tmp_bytes: int) -> int:
    """Bytes used in the process' private tmpfs mounts (none while it still sees the host's: it has not entered
    its sandbox yet, and the host's /tmp is not the job's)."""
    total = 0
    for mount in TMPFS_MOUNTS:
        path = f"/proc/{pid}/root/{mount}"
        try:
            if os.stat(path).st_dev == os.stat(f"/{mount}").st_dev:
                continue
            stat = os.statvfs(path)
        except OSError:
            continue
        if stat.f_blocks * stat.f_frsize > tmp_bytes + 65536:  # not a sandbox tmpfs of the configured size
            continue
        total += (stat.f_blocks - stat.f_bfree) * stat.f_frsize
    return total


def tree_usage(root_pid: int, tmp_bytes: int) -> TreeUsage:
    """PSS + private tmpfs bytes (mounts of at most ``tmp_bytes``), CPU seconds and process count of the tree."""
    processes = tree(root_pid)
    memory = 0
    cpu = 0.0
    for proc in processes:
        try:
            memory += proc.memory_full_info().pss
            times = proc.cpu_times()
            cpu += times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            continue
    if len(processes) > 1:  # the first is bubblewrap outside the sandbox; the others see its tmpfs mounts
        memory += _tmpfs_bytes(processes[-1].pid, tmp_bytes)
    return TreeUsage(memory, cpu, len(processes))
