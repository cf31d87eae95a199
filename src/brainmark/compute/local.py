"""The Executor protocol and its local implementations (serial, threads, processes)."""
from __future__ import annotations

import os
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, Callable, Iterable, Protocol, Sequence, TypeVar, runtime_checkable

T = TypeVar("T")
R = TypeVar("R")

#: A handle on one submitted job; ``result()`` blocks until it is done and re-raises its exception.
Job = Future


@runtime_checkable
class Executor(Protocol):
    """Runs independent jobs. ``map`` keeps the order of ``items``; ``submit``/``gather`` for finer control."""

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``fn`` applied to every item, results in the order of ``items``."""

    def submit(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> Job:
        """Start ``fn(*args, **kwargs)``; returns a job whose ``result()`` is its value."""

    def gather(self, jobs: Sequence[Job]) -> list[Any]:
        """The results of ``jobs``, in order (re-raising a job's exception)."""

    def close(self) -> None:
        """Release the workers (idempotent)."""


class SerialExecutor:
    """Runs each job at once in the calling thread (the reference against which others are checked)."""

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``fn`` applied to every item, one after the other."""
        return [fn(item) for item in items]

    def submit(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> Job:
        """Run ``fn`` now; returns a finished job holding its value or exception."""
        job: Future = Future()
        try:
            job.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # delivered by result(), like a pool would
            job.set_exception(exc)
        return job

    def gather(self, jobs: Sequence[Job]) -> list[Any]:
        """The results of ``jobs``, in order."""
        return [job.result() for job in jobs]

    def close(self) -> None:
        """Nothing to release."""
        return None

    def __enter__(self) -> "SerialExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalExecutor:
    """A thread or process pool on this machine.

    ``kind="thread"`` suits NumPy/PyTorch work (they release the GIL) and shares caches in memory;
    ``kind="process"`` isolates jobs (functions and items must then be picklable, i.e. module-level).
    The pool starts on first use, so constructing one does no work.
    """

    def __init__(self, max_workers: int | None = None, kind: str = "thread") -> None:
        if kind not in ("thread", "process"):
            raise ValueError(f"unknown executor kind {kind!r}; choose 'thread' or 'process'")
        self.max_workers = max_workers
        self.kind = kind
        self._pool: ThreadPoolExecutor | ProcessPoolExecutor | None = None

    def _get_pool(self) -> ThreadPoolExecutor | ProcessPoolExecutor:
        if self._pool is None:
            workers = self.max_workers or max(1, min(4, os.cpu_count() or 1))
            self._pool = ThreadPoolExecutor(workers) if self.kind == "thread" else ProcessPoolExecutor(workers)
        return self._pool

    def submit(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> Job:
        """Run ``fn(*args, **kwargs)`` on the pool (started on first use)."""
        return self._get_pool().submit(fn, *args, **kwargs)

    def gather(self, jobs: Sequence[Job]) -> list[Any]:
        """The results of ``jobs``, in order (re-raising a job's exception)."""
        return [job.result() for job in jobs]

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``fn`` applied to every item on the pool, results in the order of ``items``."""
        return self.gather([self.submit(fn, item) for item in items])

    def close(self) -> None:
        """Shut the pool down, waiting for running jobs."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __enter__(self) -> "LocalExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def default_executor(max_workers: int | None = None) -> Executor:
    """A serial executor for one worker, a thread pool otherwise."""
    if max_workers is not None and max_workers <= 1:
        return SerialExecutor()
    return LocalExecutor(max_workers=max_workers, kind="thread")
