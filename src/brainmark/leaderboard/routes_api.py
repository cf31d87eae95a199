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
from brainmark.leaderboard.db import Benchmark, Submission, User
from brainmark.leaderboard.routes_pages import load_model_row
from brainmark.leaderboard.boardcache import anonymous_body, cached_leaderboard, fingerprint, send_body
from brainmark.leaderboard.store import Board, export_record, score_dict
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


SUMMARY = ("raw", "error", "ceiling", "ceiled", "ceiled_error", "convention")


def board_json(board: Board) -> dict[str, Any]:
    """The board as JSON: benchmarks, then ranked models with a summary of each score (full records, with
    per-split values and provenance, are at ``/api/models/{identifier}``)."""
    return {
        "count": len(board.rows),
        "benchmarks": [{"identifier": b.identifier, "version": b.version, "ceiling": b.ceiling} for b in board.benchmarks],
        "models": [
            {
                "rank": i + 1, "identifier": r.model.identifier, "composite": r.composite, "imagenet_top1": r.top1,
                "public": r.model.public,
                "scores": {
                    b.identifier: {k: score_dict(r.cells[(b.identifier, b.version)])[k] for k in SUMMARY}
                    | {"version": b.version, "layer": r.cells[(b.identifier, b.version)].layer}
                    for b in board.benchmarks if (b.identifier, b.version) in r.cells
                },
            }
            for i, r in enumerate(board.rows)
        ],
    }


@router.get("/leaderboard", tags=["leaderboard"], response_model=None)
def api_leaderboard(request: Request, q: str = "", session: Session = Depends(get_session),
                    user: User | None = Depends(api_user)) -> Response:
    """Ranked models (composite = the hierarchical v1 composite of the benchmarks each has), per-benchmark scores."""
    if user is not None:
        return JSONResponse(board_json(cached_leaderboard(session, user, q)))
    bodies = anonymous_body(("api", fingerprint(session), q),  # encoded once per database state
                            lambda: JSONResponse(board_json(cached_leaderboard(session, None, q))).body)
    return send_body(request, bodies, "application/json")


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
