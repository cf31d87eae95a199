"""A Dask distributed executor: the same :class:`~brainmark.compute.Executor` protocol, on a cluster.

``DaskExecutor()`` starts a loopback ``LocalCluster`` (worker *processes*, one thread each) on first use, with
mutual TLS from temporary in-memory certificates: only holders of its key (this process and its workers) can
connect, so no other local process can submit work or run code in the scheduler. ``DaskExecutor("tls://host:8786")``
joins an existing scheduler with certificates from Dask's configuration (``DASK_DISTRIBUTED__COMM__TLS__CA_FILE``,
``..._CLIENT__CERT``, ``..._CLIENT__KEY``) or a :class:`distributed.security.Security`. A plain ``tcp://`` scheduler
accepts anyone who can reach it and is refused unless ``allow_insecure=True`` (a trusted network only).
A task whose worker dies is re-run by the scheduler on another worker (``allowed_failures``), and ``retries``
re-runs tasks that raised.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class InsecureSchedulerError(ValueError):
    """A scheduler address or configuration without authentication was refused."""


def remote_security(scheduler: str, security: Any = None, allow_insecure: bool = False) -> Any:
    """The Security to reach ``scheduler``: TLS with certificates, or None for an allowed insecure ``tcp://``."""
    from distributed.security import Security

    if scheduler.startswith("tcp://"):
        if not allow_insecure:
            raise InsecureSchedulerError(
                f"refusing the plain scheduler {scheduler}: it runs code for any client that can reach it. Use "
                "tls:// with certificates (see the README's deployment section), or pass --insecure-scheduler "
                "only on a trusted, private network")
        return None
    if not scheduler.startswith("tls://"):
        raise InsecureSchedulerError(f"unsupported scheduler address {scheduler!r}; use tls://HOST:PORT")
    security = security or Security(require_encryption=True)
    if not (security.tls_ca_file and security.tls_client_cert):
        raise InsecureSchedulerError(
            "a tls:// scheduler needs certificates: set DASK_DISTRIBUTED__COMM__TLS__CA_FILE, "
            "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT and DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY")
    return security


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
        security: Any = None,
        allow_insecure: bool = False,
    ) -> None:
        self.scheduler = scheduler
        self.n_workers = n_workers
        self.memory_limit = memory_limit
        self.retries = retries
        self.security = security
        self.allow_insecure = allow_insecure
        if scheduler is not None:  # refuse an unauthenticated scheduler now, not at the first job
            remote_security(scheduler, security, allow_insecure)
        self._cluster = None
        self._client = None

    @property
    def client(self) -> Any:
        """The Dask client (connects, or starts the LocalCluster, on first access)."""
        if self._client is None:
            from distributed import Client, LocalCluster

            if self.scheduler is None:
                from distributed.security import Security

                self._cluster = LocalCluster(
                    n_workers=self.n_workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    memory_limit=self.memory_limit,
                    security=self.security or Security.temporary(),
                    protocol="tls://",
                )
                self._client = Client(self._cluster)
            else:
                security = remote_security(self.scheduler, self.security, self.allow_insecure)
                self._client = Client(self.scheduler, timeout="30s", security=security)
        return self._client

    @property
    def scheduler_address(self) -> str:
        """The scheduler's address (``tls://...`` unless an insecure one was allowed)."""
        return self.client.scheduler.address

    def submit(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(*args, **kwargs)`` on a worker; returns a ``distributed.Future``."""
        # pure=False: identical arguments are still separate jobs (a retry must really re-run)
        """Run ``fn(*args, **kwargs)`` on the cluster as a new job (never deduplicated)."""
        return self.client.submit(fn, *args, pure=False, retries=self.retries, **kwargs)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``[fn(item) for item in items]`` on the workers, in order."""
        items = list(items)
        if not items:
            return []
        futures = self.client.map(fn, items, pure=False, retries=self.retries)
        return self.client.gather(futures)

    def gather(self, jobs: Sequence[Any]) -> list[Any]:
        """The results of submitted jobs, in order."""
        return list(self.client.gather(list(jobs)))

    def close(self) -> None:
        """Close the client and the LocalCluster, if any."""
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
