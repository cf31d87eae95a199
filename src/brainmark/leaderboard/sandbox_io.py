"""Bounded views of what a sandbox produces: the tail of an output pipe, and the size of its writable folder.

A sandbox's stdout/stderr are pipes drained by a thread that keeps only the last ``limit`` bytes, so a job that
prints gigabytes costs no disk and no memory. :func:`folder_usage` measures the job folder (without following
links) for the disk limit.
"""
from __future__ import annotations

import os
import threading
from collections import deque
from typing import IO


class TailBuffer:
    """Drain ``stream`` in a daemon thread, keeping its last ``limit`` bytes."""

    def __init__(self, stream: IO[bytes], limit: int = 64 * 1024) -> None:
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._limit = limit
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._drain, args=(stream,), name="brainmark-sandbox-output",
                                        daemon=True)
        self._thread.start()

    def _drain(self, stream: IO[bytes]) -> None:
        try:
            while chunk := stream.read1(65536):
                with self._lock:
                    self._chunks.append(chunk)
                    self._size += len(chunk)
                    while self._size - len(self._chunks[0]) >= self._limit:
                        self._size -= len(self._chunks.popleft())
        except (OSError, ValueError):  # the pipe was closed while reading
            pass

    def text(self, chars: int = 20000, wait: float = 0.0) -> str:
        """The last ``chars`` characters (after waiting up to ``wait`` s for the writer to finish)."""
        if wait:
            self._thread.join(wait)
        with self._lock:
            data = b"".join(self._chunks)
        return data.decode(errors="replace")[-chars:]


def folder_usage(folder: str, stop_after: int) -> tuple[int, int]:
    """(bytes allocated, entries) under ``folder``, links not followed; stops counting past ``stop_after`` entries."""
    total, entries = 0, 0
    stack = [folder]
    while stack and entries <= stop_after:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    entries += 1
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    total += info.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return total, entries
