"""The JSON API (OpenAPI at ``/docs``): the board, models, benchmarks, and your submissions.

Only ``Authorization: Bearer <token>`` authenticates here; cookies are ignored. An upload is authenticated (and
rate limited) from its headers before its body is read.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from brainmark.leaderboard.auth import api_user, get_session, require_api_user
from brainmark.leaderboard.boardcache import anonymous_body, fingerprint, send_body
from brainmark.leaderboard.boardview import board_for
from brainmark.leaderboard.db import Benchmark, ScoreHistory, Submission, User
from brainmark.leaderboard.exports import board_json
from brainmark.leaderboard.routes_pages import load_model_row
from brainmark.leaderboard.store import LIGHT, export_record, row_interval
from brainmark.leaderboard.view import View, parse_view
from brainmark.leaderboard.submissions import create_submission, own_submission, parse_public, submission_json
from brainmark.leaderboard.uploads import UploadError, read_stream

router = APIRouter(prefix="/api")

UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["package"],
    "properties": {
        "package": {"type": "string", "format": "binary",
                    "description": "zip: a Python module with a factory + metadata.json"},
        "benchmarks": {"type": "array", "items": {"type": "string"}, "description": "default: all"},
        "public": {"type": "boolean", "description": "default: metadata.json's, else private; must agree"},
    }}}}}}


class ZooSubmission(BaseModel):
    """A zoo model to score."""

    model_identifier: str = Field(description="a model identifier from the brainmark zoo")
    benchmarks: list[str] | None = Field(default=None, description="benchmark identifiers (default: all)")


@router.get("/leaderboard", tags=["leaderboard"], response_model=None)
def api_leaderboard(request: Request, session: Session = Depends(get_session),
                    user: User | None = Depends(api_user)) -> Response:
    """The ranked board of a view (the board page's query: ``composite``, ``w.<benchmark>``, ``as_of``, ``q``,
    ``family``, ``training``, ``trained``, ``params_min``/``params_max``): composites with intervals, rank
    intervals, the group tied with the best, per-benchmark scores with intervals."""
    view = parse_view(request.query_params)
    if user is not None:
        return JSONResponse(board_json(board_for(session, view, user)))
    key = ("api", session.get_bind().url.render_as_string(hide_password=True), fingerprint(session), view.key())
    bodies = anonymous_body(key, lambda: JSONResponse(board_json(board_for(session, view, None))).body)
    return send_body(request, bodies, "application/json")


@router.get("/compare", tags=["leaderboard"])
def api_compare(request: Request, a: str, b: str, adjust: str = "holm", session: Session = Depends(get_session),
                user: User | None = Depends(api_user)) -> dict[str, Any]:
    """Models ``a`` and ``b`` compared benchmark by benchmark (paired bootstrap, adjusted p-values), as on the
    compare page; benchmarks that cannot be paired are listed with the reason."""
    from brainmark.leaderboard.comparison import compare_models
    from brainmark.stats.inference import ADJUSTMENTS

    if adjust not in ADJUSTMENTS:
        raise HTTPException(400, f"adjust must be one of {', '.join(ADJUSTMENTS)}, got {adjust!r}")
    view = parse_view(request.query_params)
    board = board_for(session, View(as_of=view.as_of), user)
    by_name = {r.model.identifier: r.model for r in board.rows}
    for name in (a, b):
        if name not in by_name:
            raise HTTPException(404, f"no model {name!r} on the board")
    if a == b:
        raise HTTPException(400, f"choose two different models (both are {a!r})")
    result = compare_models(board.snapshot, by_name[a], by_name[b], adjust)
    return comparison_json(result)


def comparison_json(result: Any) -> dict[str, Any]:
    """The API view of a two-model comparison."""
    from brainmark._json import to_jsonable

    def side(item: Any) -> Any:
        return None if item is None else {"value": item.value, "ci": item.ci, "ci_level": item.level}

    return to_jsonable({
        "a": result.a.identifier, "b": result.b.identifier, "adjust": result.adjust, "level": result.level,
        "error": result.error or None, "notes": result.notes,
        "comparisons": [{"benchmark": line.name, "kind": line.kind, "a_score": side(line.a), "b_score": side(line.b),
                         **({k: getattr(line.comparison, k) for k in ("difference", "ci", "p", "p_adjusted")}
                            if line.comparison is not None else {"difference": None}),
                         "reason": line.reason or None} for line in result.lines],
    })


@router.get("/correlations", tags=["leaderboard"])
def api_correlations(request: Request, session: Session = Depends(get_session),
                     user: User | None = Depends(api_user)) -> dict[str, Any]:
    """Which benchmarks agree across the models of a view (the board's query): Pearson r, its p-value, Spearman's
    rho and the number of models for each pair; each benchmark's split-half reliability."""
    from brainmark._json import to_jsonable
    from brainmark.leaderboard.correlations import correlations

    records = board_for(session, parse_view(request.query_params), user).records()
    order, pairs, reliability = correlations(records)
    return to_jsonable({
        "benchmarks": order, "models": [r.model_identifier for r in records],
        "pairs": [{"a": a, "b": b, "pearson": p.pearson, "p": p.p, "spearman": p.spearman, "n": p.n}
                  for (a, b), p in sorted(pairs.items()) if a < b],
        "reliability": {b: {"value": v, "n": n} for b, (v, n) in reliability.items()},
    })


def _ci(row: Any) -> list[float] | None:
    ci = row_interval(row)
    return None if ci is None else [ci[0], ci[1]]


@router.get("/history/{identifier:path}", tags=["models"])
def api_history(identifier: str, session: Session = Depends(get_session),
                user: User | None = Depends(api_user)) -> list[dict[str, Any]]:
    """Every score of the model ever imported, newest first: when it was made and imported, with which brainmark
    and benchmark version, its value and interval."""
    model = load_model_row(session, identifier, user)
    rows = session.scalars(select(ScoreHistory).where(ScoreHistory.model_id == model.id)
                           .order_by(ScoreHistory.created.desc(), ScoreHistory.id.desc()).options(*LIGHT))
    return [{"benchmark": h.benchmark.identifier, "benchmark_version": h.benchmark.version, "ceiled": h.ceiled,
             "ci": _ci(h), "ci_level": (row_interval(h) or (None, None, None))[2], "raw": h.raw, "layer": h.layer,
             "brainmark_version": h.brainmark_version,
             "scored_at": h.scored_at.isoformat() if h.scored_at else None, "imported_at": h.created.isoformat()}
            for h in rows]


@router.get("/models/{identifier:path}", tags=["models"])
def api_model(identifier: str, session: Session = Depends(get_session),
              user: User | None = Depends(api_user)) -> dict[str, Any]:
    """The model's results record (schema brainmark.results/1)."""
    model = load_model_row(session, identifier, user)
    return export_record(model).to_dict() | {"public": model.public}


@router.get("/benchmarks", tags=["benchmarks"])
def api_benchmarks(session: Session = Depends(get_session)) -> list[dict[str, Any]]:
    """Every benchmark version on the board, with its ceiling and description."""
    return [
        {"identifier": b.identifier, "version": b.version, "ceiling": b.ceiling, "ceiling_error": b.ceiling_error,
         "description": b.description, "data": b.data, "bibtex": b.bibtex}
        for b in session.scalars(select(Benchmark).order_by(Benchmark.identifier, Benchmark.version))
    ]


@router.get("/me", tags=["submissions"])
def api_me(user: User = Depends(require_api_user)) -> dict[str, Any]:
    """Who the token belongs to."""
    return {"name": user.name}


@router.post("/submissions", status_code=201, tags=["submissions"])
def api_submit_zoo(body: ZooSubmission, request: Request, user: User = Depends(require_api_user),
                   session: Session = Depends(get_session)) -> dict[str, Any]:
    """Score a zoo model on the given benchmarks (default: all)."""
    sub = create_submission(request, session, user, zoo_identifier=body.model_identifier, benchmarks=body.benchmarks)
    return submission_json(sub)


@router.post("/submissions/upload", status_code=201, tags=["submissions"], openapi_extra=UPLOAD_BODY)
async def api_submit_upload(request: Request, user: User = Depends(require_api_user),
                            session: Session = Depends(get_session)) -> dict[str, Any]:
    """Upload a model package: only its activations are computed in the sandbox; everything else is scored here.

    The model is named ``<your user name>/<metadata identifier>`` and is private unless you say otherwise.
    """
    form = await request.form(max_files=1, max_fields=100)
    package = form.get("package")
    if package is None or isinstance(package, str):
        raise HTTPException(400, "send the zip as the multipart field 'package'")
    try:
        data = read_stream(package.file)
    except UploadError as exc:
        raise HTTPException(413, str(exc)) from exc
    sub = create_submission(request, session, user, benchmarks=[str(b) for b in form.getlist("benchmarks")],
                            public=parse_public(form.get("public")), package=data)
    return submission_json(sub)


@router.get("/submissions", tags=["submissions"])
def api_submissions(user: User = Depends(require_api_user),
                    session: Session = Depends(get_session)) -> list[dict[str, Any]]:
    """Your submissions, newest first."""
    subs = session.scalars(select(Submission).where(Submission.user_id == user.id).order_by(Submission.id.desc()))
    return [submission_json(s) for s in subs]


@router.get("/submissions/{submission_id}", tags=["submissions"])
def api_submission(submission_id: int, user: User = Depends(require_api_user),
                   session: Session = Depends(get_session)) -> dict[str, Any]:
    """One of your submissions with its jobs and logs."""
    return submission_json(own_submission(session, submission_id, user))
