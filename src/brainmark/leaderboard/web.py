"""The leaderboard web app: server-rendered pages (:mod:`.routes_pages`), a JSON API (:mod:`.routes_api`, OpenAPI at
``/docs`` and ``/redoc``, served locally), body caps and security headers (:mod:`.security`).

``create_app(database_url, executor=...)`` builds the app; with an executor it also runs the job dispatcher, so
submissions are scored. Pages authenticate with a browser-session cookie (``/login``), the API with
``Authorization: Bearer <token>``. Private models are invisible (404) to everyone but their owner.
"""
from __future__ import annotations

import asyncio
import logging
import os
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from brainmark._version import __version__
from brainmark.leaderboard import docs, routes_account, routes_api, routes_board, routes_pages
from brainmark.leaderboard.config import ServerConfig
from brainmark.leaderboard.db import open_database
from brainmark.leaderboard.ratelimit import RateLimiter
from brainmark.leaderboard.reportpages import REPORT_PAGES
from brainmark.leaderboard.sandbox import Limits
from brainmark.leaderboard.security import BodyLimit, SecurityHeaders
from brainmark.leaderboard.workers import Dispatcher

LOG = logging.getLogger(__name__)

HERE = Path(__file__).parent
UPLOAD_PATHS = ("/submit", "/api/submissions/upload")


def known_benchmarks() -> list[str]:
    """Offline benchmark identifiers the installed brainmark can run (empty if none are registered)."""
    try:
        from brainmark.benchmarks.base import benchmark_identifiers

        return benchmark_identifiers(offline_only=True)
    except Exception:  # a broken optional plugin must not take the site down
        return []


def _fmt(value: float | None, digits: int = 3) -> str:
    import math

    return "" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


class SandboxCheck:
    """Whether the workers can sandbox uploads: asked once, on a worker through the executor (None: they can)."""

    def __init__(self, executor: Any) -> None:
        self.executor = executor
        self._done = threading.Event()
        self._reason: str | None = None
        self._lock = threading.Lock()
        self._started = False

    def start(self) -> None:
        """Ask in the background (called at startup)."""
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._probe, name="brainmark-sandbox-probe", daemon=True).start()

    def _probe(self) -> None:
        from brainmark.leaderboard.jobs import sandbox_probe

        try:
            if self.executor is None:
                self._reason = sandbox_probe()
            else:
                self._reason = self.executor.submit(sandbox_probe).result(timeout=300)
        except Exception as exc:  # no worker answered: treat as unable to sandbox
            self._reason = f"the workers did not answer the sandbox check ({type(exc).__name__}: {exc})"
        self._done.set()

    def __call__(self) -> str | None:
        """The reason uploads cannot be sandboxed, or None (waits for the check)."""
        self.start()
        self._done.wait(320)
        return self._reason if self._done.is_set() else "the sandbox check did not finish"


def warm_board(sessions: Any) -> None:
    """Build the database's snapshot and the default view's ranking before the first visitor asks for them.

    Ranking a board (paired bootstrap comparisons for the tied-with-best group and rank intervals) takes seconds
    for hundreds of models; done inside a request it holds the interpreter, and every other request waits behind it.
    """
    from brainmark.leaderboard.boardview import board_for
    from brainmark.leaderboard.view import View

    try:
        with sessions() as session:
            board_for(session, View(), None).rows
    except Exception as exc:  # noqa: BLE001 - a board that cannot be ranked now is ranked (and fails) per request
        LOG.warning("could not prepare the board at start-up: %s", exc)


def create_app(
    database_url: str | None = None,
    executor: Any = None,
    limits: Limits = Limits(),
    default_benchmarks: list[str] | None = None,
    runner: Callable[[dict], dict] | None = None,
    config: ServerConfig = ServerConfig(),
) -> FastAPI:
    """The web app on ``database_url`` (default SQLite in the brainmark home); ``executor`` runs submissions."""
    engine, sessions = open_database(database_url)
    check = SandboxCheck(executor)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """Start the sandbox check and the dispatcher, rank the default board once; stop them at shutdown."""
        check.start()
        await asyncio.to_thread(warm_board, sessions)
        if executor is not None:
            from brainmark.leaderboard.jobs import register_sweeper

            register_sweeper(executor)
            kwargs = {"runner": runner} if runner is not None else {}
            app.state.dispatcher = Dispatcher(sessions, executor, limits=limits,
                                              allow_unsandboxed=config.allow_unsandboxed, **kwargs).start()
        yield
        if app.state.dispatcher is not None:
            app.state.dispatcher.stop()
        engine.dispose()

    app = FastAPI(title="brainmark leaderboard", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.sessions, app.state.engine, app.state.config = sessions, engine, config
    app.state.limiter, app.state.dispatcher, app.state.sandbox_reason = RateLimiter(), None, check
    app.state.benchmarks = (lambda: list(default_benchmarks)) if default_benchmarks else known_benchmarks
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["fmt"] = _fmt
    templates.env.globals["report_pages"] = REPORT_PAGES
    app.state.templates = templates
    docs.add_docs(app)  # before /static: its assets live under /static/docs
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(routes_board.router)
    app.include_router(routes_account.pages)
    app.include_router(routes_pages.router)
    app.include_router(routes_account.api)
    app.include_router(routes_api.router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        """Liveness."""
        return JSONResponse({"ok": True, "version": __version__})

    app.add_middleware(BodyLimit, default_bytes=config.max_body_bytes, upload_bytes=config.max_upload_bytes,
                       upload_paths=UPLOAD_PATHS)
    app.add_middleware(SecurityHeaders)
    return app


def _flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")


def config_from_env() -> ServerConfig:
    """``BRAINMARK_LEADERBOARD_ALLOW_UNSANDBOXED``, ``..._INSECURE_COOKIES`` and rate-limit overrides."""
    env = os.environ.get
    defaults = ServerConfig()
    return ServerConfig(
        secure_cookies=not _flag("BRAINMARK_LEADERBOARD_INSECURE_COOKIES"),
        allow_unsandboxed=_flag("BRAINMARK_LEADERBOARD_ALLOW_UNSANDBOXED"),
        auth_failures=env("BRAINMARK_LEADERBOARD_AUTH_FAILURES", defaults.auth_failures),
        api_requests=env("BRAINMARK_LEADERBOARD_API_REQUESTS", defaults.api_requests),
        submissions_per_user=env("BRAINMARK_LEADERBOARD_SUBMISSIONS_PER_USER", defaults.submissions_per_user),
        submissions_per_ip=env("BRAINMARK_LEADERBOARD_SUBMISSIONS_PER_IP", defaults.submissions_per_ip),
        max_active_jobs=int(env("BRAINMARK_LEADERBOARD_MAX_ACTIVE_JOBS", defaults.max_active_jobs)),
    )


def app_from_env() -> FastAPI:
    """App factory for ``uvicorn --factory``: settings from ``BRAINMARK_LEADERBOARD_*`` environment variables.

    ``..._DATABASE_URL`` (default SQLite in the home), ``..._EXECUTOR`` (``none`` | ``serial`` | ``thread`` |
    ``dask`` for a TLS LocalCluster | ``tls://host:port`` | ``tcp://host:port`` with ``..._INSECURE_SCHEDULER=1``),
    ``..._WORKERS`` (LocalCluster size, default 2), ``..._BENCHMARKS`` (comma-separated), ``..._TIME_LIMIT`` /
    ``..._MEMORY_LIMIT_MB`` (sandbox), plus :func:`config_from_env`.
    """
    env = os.environ.get
    kind = env("BRAINMARK_LEADERBOARD_EXECUTOR", "dask")
    executor = make_executor(kind, int(env("BRAINMARK_LEADERBOARD_WORKERS", "2")),
                             insecure=_flag("BRAINMARK_LEADERBOARD_INSECURE_SCHEDULER"))
    limits = Limits(
        seconds=float(env("BRAINMARK_LEADERBOARD_TIME_LIMIT", Limits.seconds)),
        memory_bytes=int(float(env("BRAINMARK_LEADERBOARD_MEMORY_LIMIT_MB", Limits.memory_bytes / 2**20)) * 2**20),
    )
    benchmarks = [b for b in env("BRAINMARK_LEADERBOARD_BENCHMARKS", "").split(",") if b] or None
    return create_app(env("BRAINMARK_LEADERBOARD_DATABASE_URL") or None, executor, limits, benchmarks,
                      config=config_from_env())


def make_executor(kind: str, n_workers: int = 2, insecure: bool = False) -> Any:
    """``none`` -> no scoring; ``serial``/``thread`` -> local; ``dask`` -> TLS LocalCluster; ``tls://`` / ``tcp://``."""
    if kind == "none":
        return None
    if kind == "serial":
        from brainmark.compute import SerialExecutor

        return SerialExecutor()
    if kind == "thread":
        from brainmark.compute import LocalExecutor

        return LocalExecutor(n_workers, kind="thread")
    from brainmark.compute.dask import DaskExecutor

    if kind == "dask":
        return DaskExecutor(n_workers=n_workers)
    if kind.startswith(("tcp://", "tls://")):
        return DaskExecutor(scheduler=kind, allow_insecure=insecure)
    raise ValueError(f"unknown executor {kind!r}; use none, serial, thread, dask, tls://HOST:PORT or tcp://HOST:PORT")
