"""A signed-in user's own things: their queue (pages and API), re-running a failed job, their models' visibility.

Form posts pass the same Origin and CSRF checks as every other form (:func:`~brainmark.leaderboard.auth.
check_form_post`); the API takes only bearer tokens.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from brainmark.leaderboard.auth import check_form_post, get_session, page_login, require_api_user
from brainmark.leaderboard.db import LoginSession, User
from brainmark.leaderboard.queue import queue_json, rerun_job, set_visibility, user_models, user_queue
from brainmark.leaderboard.routes_pages import render
from brainmark.leaderboard.submissions import parse_public

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api")


def _signed_in(request: Request, login: LoginSession | None, csrf: str) -> User:
    check_form_post(request, login, csrf)
    if login is None:
        raise HTTPException(401, "sign in first (your session expired or you are not signed in)")
    return login.user


@pages.get("/submissions", response_class=HTMLResponse)
def queue_page(request: Request, session: Session = Depends(get_session),
               login: LoginSession | None = Depends(page_login)) -> Response:
    """Your submissions (pending, running, finished, failed with the reason and the log's end) and your models."""
    if login is None:
        return RedirectResponse("/login?next=/submissions", status_code=303)
    return render(request, "queue.html", login, queue=user_queue(session, login.user),
                  models=user_models(session, login.user))


@pages.post("/submissions/{submission_id}/jobs/{job_id}/rerun")
def rerun_form(submission_id: int, job_id: int, request: Request, csrf_token: str = Form(""),
               session: Session = Depends(get_session), login: LoginSession | None = Depends(page_login)) -> Response:
    """Queue one of your failed jobs again."""
    user = _signed_in(request, login, csrf_token)
    rerun_job(request, session, user, submission_id, job_id)
    return RedirectResponse(f"/submissions#submission-{submission_id}", status_code=303)


@pages.post("/models/{identifier:path}/visibility")
def visibility_form(identifier: str, request: Request, csrf_token: str = Form(""), public: str = Form(""),
                    next: str = Form(""), session: Session = Depends(get_session),
                    login: LoginSession | None = Depends(page_login)) -> Response:
    """Make one of your models public or private."""
    user = _signed_in(request, login, csrf_token)
    value = parse_public(public)
    if value is None:
        raise HTTPException(400, "say public=true or public=false")
    set_visibility(session, user, identifier, value)
    target = next if next.startswith("/") and not next.startswith("//") and "\\" not in next else "/submissions"
    return RedirectResponse(target, status_code=303)


class Visibility(BaseModel):
    """The new visibility of a model."""

    public: bool = Field(description="true: everyone sees it; false: only you")


@api.get("/queue", tags=["submissions"])
def api_queue(user: User = Depends(require_api_user), session: Session = Depends(get_session)) -> list[dict[str, Any]]:
    """Your submissions, newest first, with each job's state, failure reason and log tail."""
    return [queue_json(sub, jobs) for sub, jobs in user_queue(session, user)]


@api.post("/submissions/{submission_id}/jobs/{job_id}/rerun", tags=["submissions"])
def api_rerun(submission_id: int, job_id: int, request: Request, user: User = Depends(require_api_user),
              session: Session = Depends(get_session)) -> dict[str, Any]:
    """Queue one of your failed jobs again (a fresh attempt count; 409 unless it failed)."""
    job = rerun_job(request, session, user, submission_id, job_id)
    return {"id": job.id, "benchmark": job.benchmark, "status": job.status, "submission": submission_id}


@api.patch("/models/{identifier:path}", tags=["models"])
def api_visibility(identifier: str, body: Visibility, user: User = Depends(require_api_user),
                   session: Session = Depends(get_session)) -> dict[str, Any]:
    """Make one of your models public or private."""
    model = set_visibility(session, user, identifier, body.public)
    return {"identifier": model.identifier, "public": model.public}
