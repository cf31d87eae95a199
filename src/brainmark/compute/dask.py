"""A Dask distributed executor: the same :class:`~brainmark.compute.Executor` protocol, on a cluster.

``DaskExecutor()`` starts a loopback ``LocalCluster`` (worker *processes*, one thread each) on first use;
``DaskExecutor("tcp://host:8786")`` joins an existing scheduler that ``brainmark worker`` / ``dask worker``
processes have joined. A task whose worker dies is re-run by the scheduler on another worker
(``allowed_failures``), and ``retries`` re-runs tasks that raised.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class DaskExecutor:
    """Run jobs on Dask distributed; results of ``map`` keep the order of ``items``.

    Parameters: ``scheduler`` (address of a running scheduler; None starts a LocalCluster), ``n_workers``
    (LocalCluster size), ``memory_limit`` per worker (LocalCluster), ``retries`` for tasks that raise.
    Nothing starts until the first job (scikit-learn style: no work in ``__init__``).
    """

    def __init__(
        self,
        scheduler: str | None = None,
        n_workers: int = 2,
        memory_limit: str | int | None = "auto",
        retries: int = 0,
    ) -> None:
        self.scheduler = scheduler
        self.n_workers = n_workers
        self.memory_limit = memory_limit
        self.retries = retries
        self._cluster = None
        self._client = None

    @property
    def client(self):  # noqa: ANN201 - distributed.Client
        """The Dask client (connects, or starts the LocalCluster, on first access)."""
        if self._client is None:
            from distributed import Client, LocalCluster

            if self.scheduler is None:
                self._cluster = LocalCluster(
                    n_workers=self.n_workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    memory_limit=self.memory_limit,
                )
                self._client = Client(self._cluster)
            else:
                self._client = Client(self.scheduler, timeout="30s")
        return self._client

    @property
    def scheduler_address(self) -> str:
        """The address of the scheduler in use (connects first)."""
        return self.client.scheduler.address

    def submit(self, fn: Callable[..., R], *args: Any, **kwargs: Any):  # noqa: ANN201 - distributed.Future
        # pure=False: identical arguments are still separate jobs (a retry must really re-run)
        """Run ``fn(*args, **kwargs)`` on the cluster as a new job (never deduplicated)."""
        return self.client.submit(fn, *args, pure=False, retries=self.retries, **kwargs)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``fn`` applied to every item on the cluster, results in the order of ``items``."""
        items = list(items)
        if not items:
            return []
        futures = self.client.map(fn, items, pure=False, retries=self.retries)
        return self.client.gather(futures)

    def gather(self, jobs: Sequence[Any]) -> list[Any]:
        """The results of ``jobs`` (Dask futures), in order."""
        return list(self.client.gather(list(jobs)))

    def close(self) -> None:
        """Close the client and any LocalCluster this executor started (idempotent)."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> "DaskExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
