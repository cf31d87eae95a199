"""The leaderboard web app: server-rendered pages (Jinja2) and a JSON API (OpenAPI at ``/docs``, ``/openapi.json``).

``create_app(database_url, executor=...)`` builds the app; with an executor it also runs the job dispatcher, so
submissions are scored. Authentication: ``Authorization: Bearer <token>`` on the API; pages take the token in the
submission form and keep it in an http-only cookie. Private models are invisible (404) to everyone but their owner.
"""
from __future__ import annotations

import json
import math
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from brainmark._version import __version__
from brainmark.leaderboard import plots
from brainmark.leaderboard.db import Benchmark, Model, ScoreRow, Submission, User, open_database
from brainmark.leaderboard.sandbox import Limits
from brainmark.leaderboard.store import (
    authenticate,
    export_record,
    leaderboard,
    score_dict,
    visible,
)
from brainmark.leaderboard.uploads import MAX_BYTES, UploadError, check_identifier, validate_package
from brainmark.leaderboard.workers import Dispatcher, create_jobs

HERE = Path(__file__).parent
TOKEN_COOKIE = "brainmark_token"


def known_benchmarks() -> list[str]:
    """Offline benchmark identifiers the installed brainmark can run (empty if none are registered)."""
    try:
        from brainmark.benchmarks.base import benchmark_identifiers

        return benchmark_identifiers(offline_only=True)
    except Exception:  # a broken optional plugin must not take the site down
        return []


def known_models() -> list[str] | None:
    """Zoo model identifiers, or None when the models layer offers no registry to check against."""
    try:
        import brainmark.models as models

        registry = getattr(models, "MODELS", None)
        return sorted(registry.names()) if registry is not None else None
    except Exception:
        return None


def _fmt(value: float | None, digits: int = 3) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _colour(value: float | None, lo: float, hi: float) -> str:
    """Background colour on a red -> yellow -> green scale for ``value`` within [lo, hi]."""
    if value is None or not math.isfinite(value):
        return "transparent"
    t = 0.5 if hi <= lo else min(1.0, max(0.0, (value - lo) / (hi - lo)))
    return f"hsl({int(120 * t)}, 70%, 80%)"


class ZooSubmission(BaseModel):
    model_identifier: str = Field(description="a model identifier from the brainmark zoo")
    benchmarks: list[str] | None = Field(default=None, description="benchmark identifiers (default: all)")


def create_app(
    database_url: str | None = None,
    executor: Any = None,
    limits: Limits = Limits(),
    default_benchmarks: list[str] | None = None,
    runner: Any = None,
) -> FastAPI:
    """The web app on ``database_url`` (default SQLite in the brainmark home); ``executor`` runs submissions."""
    engine, sessions = open_database(database_url)
    state: dict[str, Any] = {"dispatcher": None}

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # noqa: ANN202
        if executor is not None:
            kwargs = {"runner": runner} if runner is not None else {}
            state["dispatcher"] = Dispatcher(sessions, executor, limits=limits, **kwargs).start()
        yield
        if state["dispatcher"] is not None:
            state["dispatcher"].stop()
        engine.dispose()

    app = FastAPI(title="brainmark leaderboard", version=__version__, lifespan=lifespan)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["fmt"] = _fmt
    app.state.sessions = sessions
    app.state.engine = engine

    def benchmarks_for_submission(requested: list[str] | None) -> list[str]:
        available = default_benchmarks or known_benchmarks()
        chosen = [b for b in (requested or []) if b] or available
        if not chosen:
            raise HTTPException(400, "no benchmarks given and none are configured; pass benchmark identifiers")
        unknown = [b for b in chosen if available and b not in available]
        if unknown:
            raise HTTPException(400, f"unknown benchmarks {unknown}; choose from {available}")
        return chosen

    def get_session():  # noqa: ANN202
        with sessions() as session:
            yield session

    def token_of(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip()
        return request.cookies.get(TOKEN_COOKIE)

    def current_user(request: Request, session: Session = Depends(get_session)) -> User | None:
        return authenticate(session, token_of(request))

    def require_user(user: User | None = Depends(current_user)) -> User:
        if user is None:
            raise HTTPException(401, "a valid API token is required (Authorization: Bearer <token>)",
                                headers={"WWW-Authenticate": "Bearer"})
        return user

    def load_model_row(session: Session, identifier: str, user: User | None) -> Model:
        model = session.scalar(
            select(Model).where(Model.identifier == identifier)
            .options(selectinload(Model.scores).selectinload(ScoreRow.benchmark), selectinload(Model.composites))
        )
        if model is None or not visible(model, user):
            raise HTTPException(404, f"no model {identifier!r}")
        return model

    def board_json(board) -> dict[str, Any]:  # noqa: ANN001
        return {
            "count": len(board.rows),
            "benchmarks": [{"identifier": b.identifier, "version": b.version, "ceiling": b.ceiling} for b in board.benchmarks],
            "models": [
                {
                    "rank": i + 1, "identifier": r.model.identifier, "composite": r.composite, "imagenet_top1": r.top1,
                    "public": r.model.public,
                    "scores": {
                        b.identifier: (score_dict(r.cells[(b.identifier, b.version)]) | {"version": b.version})
                        for b in board.benchmarks if (b.identifier, b.version) in r.cells
                    },
                }
                for i, r in enumerate(board.rows)
            ],
        }

    # ---------------------------------------------------------------- pages
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def leaderboard_page(request: Request, q: str = "", session: Session = Depends(get_session),
                         user: User | None = Depends(current_user)):
        board = leaderboard(session, user, q)
        ranges = {}
        for b in board.benchmarks:
            vals = [r.cells[(b.identifier, b.version)].ceiled for r in board.rows if (b.identifier, b.version) in r.cells]
            vals = [v for v in vals if v is not None and math.isfinite(v)]
            ranges[b.id] = (min(vals), max(vals)) if vals else (0.0, 1.0)
        comps = [r.composite for r in board.rows if r.composite is not None]
        crange = (min(comps), max(comps)) if comps else (0.0, 1.0)
        points = [(r.model.identifier, r.top1, r.composite) for r in board.rows
                  if r.top1 is not None and r.composite is not None]
        return templates.TemplateResponse(request, "leaderboard.html", {
            "board": board, "ranges": ranges, "crange": crange, "colour": _colour, "q": q, "user": user,
            "figure": plots.composite_vs_top1(points),
        })

    @app.get("/models/{identifier}.json", include_in_schema=False)
    def model_json_download(identifier: str, session: Session = Depends(get_session),
                            user: User | None = Depends(current_user)):
        model = load_model_row(session, identifier, user)
        return Response(export_record(model).to_json(), media_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{identifier}.json"'})

    @app.get("/models/{identifier}", response_class=HTMLResponse, include_in_schema=False)
    def model_page(identifier: str, request: Request, session: Session = Depends(get_session),
                   user: User | None = Depends(current_user)):
        model = load_model_row(session, identifier, user)
        scores = sorted(model.scores, key=lambda s: (s.benchmark.identifier, s.benchmark.version))
        curves = []
        for s in scores:
            layers = plots.layer_scores(s.meta or {})
            if layers:
                curves.append(plots.layer_curve(f"{s.benchmark.identifier} v{s.benchmark.version}", layers, s.layer))
        bars = plots.distribution([s.ceiled for s in scores], label="ceiled score per benchmark") if scores else ""
        return templates.TemplateResponse(request, "model.html", {
            "model": model, "scores": scores, "curves": curves, "bars": bars, "user": user,
            "environment": json.dumps(model.environment or {}, indent=2, sort_keys=True),
            "metadata": json.dumps(model.model_metadata or {}, indent=2, sort_keys=True),
        })

    @app.get("/benchmarks/{identifier}", response_class=HTMLResponse, include_in_schema=False)
    def benchmark_page(identifier: str, request: Request, version: int | None = None,
                       session: Session = Depends(get_session), user: User | None = Depends(current_user)):
        bench = _benchmark(session, identifier, version)
        rows = [s for s in bench.scores if visible(s.model, user)]
        rows.sort(key=lambda s: (s.ceiled is None, -(s.ceiled or 0)))
        versions = list(session.scalars(select(Benchmark.version).where(Benchmark.identifier == identifier)))
        return templates.TemplateResponse(request, "benchmark.html", {
            "bench": bench, "rows": rows, "versions": sorted(versions), "user": user,
            "figure": plots.distribution([s.ceiled for s in rows]),
        })

    def _benchmark(session: Session, identifier: str, version: int | None) -> Benchmark:
        query = select(Benchmark).where(Benchmark.identifier == identifier)
        if version is not None:
            query = query.where(Benchmark.version == version)
        bench = session.scalars(query.order_by(Benchmark.version.desc())).first()
        if bench is None:
            raise HTTPException(404, f"no benchmark {identifier!r}" + (f" version {version}" if version else ""))
        return bench

    @app.get("/submit", response_class=HTMLResponse, include_in_schema=False)
    def submit_page(request: Request, user: User | None = Depends(current_user)):
        return templates.TemplateResponse(request, "submit.html", {
            "user": user, "benchmarks": default_benchmarks or known_benchmarks(), "error": None,
            "max_mb": MAX_BYTES // 2**20,
        })

    @app.post("/submit", include_in_schema=False)
    async def submit_form(
        request: Request,
        token: str = Form(""),
        model_identifier: str = Form(""),
        benchmarks: list[str] = Form(default_factory=list),
        public: bool = Form(False),
        package: UploadFile | None = File(None),
        session: Session = Depends(get_session),
    ):
        token = token.strip() or request.cookies.get(TOKEN_COOKIE, "")
        user = authenticate(session, token)
        context = {"user": user, "benchmarks": default_benchmarks or known_benchmarks(),
                   "max_mb": MAX_BYTES // 2**20}
        if user is None:
            return templates.TemplateResponse(request, "submit.html", context | {"error": "a valid API token is required"},
                                              status_code=401)
        try:
            data = await _read_upload(package) if package is not None and package.filename else None
            sub = _create_submission(session, user, model_identifier.strip(), benchmarks, public, data)
        except HTTPException as exc:
            return templates.TemplateResponse(request, "submit.html", context | {"error": exc.detail},
                                              status_code=exc.status_code)
        response = RedirectResponse(f"/submissions/{sub.id}", status_code=303)
        response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response

    @app.get("/submissions/{submission_id}", response_class=HTMLResponse, include_in_schema=False)
    def submission_page(submission_id: int, request: Request, session: Session = Depends(get_session),
                        user: User | None = Depends(current_user)):
        if user is None:
            return templates.TemplateResponse(request, "submit.html", {
                "user": None, "benchmarks": [], "max_mb": MAX_BYTES // 2**20,
                "error": "log in with your token (submit form) to see your submissions"}, status_code=401)
        sub = _own_submission(session, submission_id, user)
        return templates.TemplateResponse(request, "submission.html", {"sub": sub, "user": user})

    # ---------------------------------------------------------------- helpers for submissions
    async def _read_upload(upload: UploadFile) -> bytes:
        data = await upload.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise HTTPException(413, f"upload rejected: larger than the {MAX_BYTES} byte limit")
        return data

    def _create_submission(session: Session, user: User, model_identifier: str, benchmarks: list[str] | None,
                           public: bool, package: bytes | None) -> Submission:
        chosen = benchmarks_for_submission(benchmarks)
        factory = None
        if package is not None:
            try:
                info = validate_package(package)
            except UploadError as exc:
                raise HTTPException(400, str(exc)) from exc
            model_identifier, factory, kind = info.identifier, info.factory, "upload"
            public = bool(info.metadata.get("public", public))
        else:
            kind = "zoo"
            if not model_identifier:
                raise HTTPException(400, "give a zoo model identifier or upload a model package zip")
            try:
                check_identifier(model_identifier)
            except UploadError as exc:
                raise HTTPException(400, str(exc)) from exc
            zoo = known_models()
            base = model_identifier.removesuffix("-untrained")
            if zoo is not None and base not in zoo:
                raise HTTPException(400, f"unknown zoo model {model_identifier!r}; known: {', '.join(zoo[:30])}")
            public = True  # zoo models are shared
        existing = session.scalar(select(Model).where(Model.identifier == model_identifier))
        if existing is not None and kind == "upload" and existing.owner_id != user.id:
            raise HTTPException(409, f"model identifier {model_identifier!r} is taken; choose another in metadata.json")
        sub = Submission(user_id=user.id, kind=kind, model_identifier=model_identifier, public=public,
                         benchmarks=chosen, package=package, factory=factory, status="queued",
                         log=f"submitted {kind} model {model_identifier} on {', '.join(chosen)}")
        session.add(sub)
        create_jobs(session, sub)
        session.commit()
        if state["dispatcher"] is not None:
            state["dispatcher"].wake()
        return sub

    def _own_submission(session: Session, submission_id: int, user: User) -> Submission:
        sub = session.get(Submission, submission_id)
        if sub is None or sub.user_id != user.id:
            raise HTTPException(404, f"no submission {submission_id} of yours")
        return sub

    def submission_json(sub: Submission) -> dict[str, Any]:
        return {
            "id": sub.id, "kind": sub.kind, "model_identifier": sub.model_identifier, "status": sub.status,
            "benchmarks": sub.benchmarks, "public": sub.public, "log": sub.log,
            "created": sub.created.isoformat() if sub.created else None,
            "started": sub.started.isoformat() if sub.started else None,
            "finished": sub.finished.isoformat() if sub.finished else None,
            "jobs": [{"id": j.id, "benchmark": j.benchmark, "status": j.status, "attempts": j.attempts, "log": j.log}
                     for j in sub.jobs],
            "results": f"/api/models/{sub.model_identifier}" if sub.status in ("done", "failed") else None,
        }

    # ---------------------------------------------------------------- JSON API
    @app.get("/api/leaderboard", tags=["leaderboard"])
    def api_leaderboard(q: str = "", session: Session = Depends(get_session),
                        user: User | None = Depends(current_user)) -> dict[str, Any]:
        """Ranked models (composite = the hierarchical v1 composite of the benchmarks each has), per-benchmark scores."""
        return board_json(leaderboard(session, user, q))

    @app.get("/api/models/{identifier}", tags=["models"])
    def api_model(identifier: str, session: Session = Depends(get_session),
                  user: User | None = Depends(current_user)) -> dict[str, Any]:
        """The model's results record (schema brainmark.results/1)."""
        model = load_model_row(session, identifier, user)
        return export_record(model).to_dict() | {"public": model.public}

    @app.get("/api/benchmarks", tags=["benchmarks"])
    def api_benchmarks(session: Session = Depends(get_session)) -> list[dict[str, Any]]:
        return [
            {"identifier": b.identifier, "version": b.version, "ceiling": b.ceiling, "ceiling_error": b.ceiling_error,
             "description": b.description, "data": b.data, "bibtex": b.bibtex}
            for b in session.scalars(select(Benchmark).order_by(Benchmark.identifier, Benchmark.version))
        ]

    @app.get("/api/me", tags=["submissions"])
    def api_me(user: User = Depends(require_user)) -> dict[str, Any]:
        return {"name": user.name}

    @app.post("/api/submissions", status_code=201, tags=["submissions"])
    def api_submit_zoo(body: ZooSubmission, user: User = Depends(require_user),
                       session: Session = Depends(get_session)) -> dict[str, Any]:
        """Score a zoo model on the given benchmarks (default: all)."""
        sub = _create_submission(session, user, body.model_identifier.strip(), body.benchmarks, True, None)
        return submission_json(sub)

    @app.post("/api/submissions/upload", status_code=201, tags=["submissions"])
    async def api_submit_upload(
        package: UploadFile = File(..., description="zip: a Python module with a factory + metadata.json"),
        benchmarks: list[str] = Form(default_factory=list),
        public: bool = Form(True),
        user: User = Depends(require_user),
        session: Session = Depends(get_session),
    ) -> dict[str, Any]:
        """Upload a model package; it is scored in a sandbox (time and memory limits, no network)."""
        data = await _read_upload(package)
        return submission_json(_create_submission(session, user, "", benchmarks, public, data))

    @app.get("/api/submissions", tags=["submissions"])
    def api_submissions(user: User = Depends(require_user), session: Session = Depends(get_session)) -> list[dict[str, Any]]:
        subs = session.scalars(select(Submission).where(Submission.user_id == user.id).order_by(Submission.id.desc()))
        return [submission_json(s) for s in subs]

    @app.get("/api/submissions/{submission_id}", tags=["submissions"])
    def api_submission(submission_id: int, user: User = Depends(require_user),
                       session: Session = Depends(get_session)) -> dict[str, Any]:
        return submission_json(_own_submission(session, submission_id, user))

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"ok": True, "version": __version__})

    return app


def app_from_env() -> FastAPI:
    """App factory for ``uvicorn --factory``: settings from ``BRAINMARK_LEADERBOARD_*`` environment variables.

    ``..._DATABASE_URL`` (default SQLite in the home), ``..._EXECUTOR`` (``none`` | ``serial`` | ``thread`` |
    ``dask`` for a LocalCluster | ``tcp://host:port``), ``..._WORKERS`` (LocalCluster size, default 2),
    ``..._BENCHMARKS`` (comma-separated default benchmarks), ``..._TIME_LIMIT`` / ``..._MEMORY_LIMIT_MB`` (sandbox).
    """
    env = os.environ.get
    kind = env("BRAINMARK_LEADERBOARD_EXECUTOR", "dask")
    executor = make_executor(kind, int(env("BRAINMARK_LEADERBOARD_WORKERS", "2")))
    limits = Limits(
        seconds=float(env("BRAINMARK_LEADERBOARD_TIME_LIMIT", Limits.seconds)),
        memory_bytes=int(float(env("BRAINMARK_LEADERBOARD_MEMORY_LIMIT_MB", Limits.memory_bytes / 2**20)) * 2**20),
    )
    benchmarks = [b for b in env("BRAINMARK_LEADERBOARD_BENCHMARKS", "").split(",") if b] or None
    return create_app(env("BRAINMARK_LEADERBOARD_DATABASE_URL") or None, executor, limits, benchmarks)


def make_executor(kind: str, n_workers: int = 2) -> Any:
    """``none`` -> no scoring; ``serial``/``thread`` -> local; ``dask`` -> LocalCluster; ``tcp://...`` -> that scheduler."""
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
    if kind.startswith("tcp://") or kind.startswith("tls://"):
        return DaskExecutor(scheduler=kind)
    raise ValueError(f"unknown executor {kind!r}; use none, serial, thread, dask or tcp://HOST:PORT")
