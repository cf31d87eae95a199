"""Server-rendered pages: model and benchmark pages, sign-in, the submission form and its status page.

Pages know a user only through the browser-session cookie (never a bearer token or an API token in a cookie);
every form post passes the same-origin and CSRF checks of :mod:`brainmark.leaderboard.auth`. The submission
form is authenticated from its cookie before its body is read.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from brainmark.leaderboard import plots
from brainmark.leaderboard.auth import (
    CSRF_FIELD, SESSION_COOKIE, check_form_post, check_origin, check_token, create_login, current_login, get_session, page_login,
    set_session_cookie,
)
from brainmark.leaderboard.db import Benchmark, LoginSession, Model, ScoreRow
from brainmark.leaderboard.store import export_record, visible
from brainmark.leaderboard.submissions import create_submission, own_submission, parse_public
from brainmark.leaderboard.uploads import MAX_BYTES, UploadError, read_stream

router = APIRouter(include_in_schema=False)


def render(request: Request, name: str, login: LoginSession | None, status_code: int = 200, **context: Any) -> Response:
    """A template with the signed-in user and the CSRF token of their session."""
    return request.app.state.templates.TemplateResponse(
        request, name, {"user": login.user if login else None, "login": login, **context}, status_code=status_code)


def load_model_row(session: Session, identifier: str, user: Any) -> Model:
    """The model with its scores, or 404 when it does not exist or is private to someone else."""
    model = session.scalar(
        select(Model).where(Model.identifier == identifier)
        .options(selectinload(Model.scores).selectinload(ScoreRow.benchmark), selectinload(Model.composites)))
    if model is None or not visible(model, user):
        raise HTTPException(404, f"no model {identifier!r}")
    return model


@router.get("/models/{identifier:path}.json")
def model_json_download(identifier: str, session: Session = Depends(get_session),
                        login: LoginSession | None = Depends(page_login)) -> Response:
    """The model's results record as a file."""
    model = load_model_row(session, identifier, login.user if login else None)
    name = identifier.replace("/", "_")
    return Response(export_record(model).to_json(), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}.json"'})


@router.get("/models/{identifier:path}", response_class=HTMLResponse)
def model_page(identifier: str, request: Request, session: Session = Depends(get_session),
               login: LoginSession | None = Depends(page_login)) -> Response:
    """Scores with intervals, layer curves in network order, history, environment and metadata of one model."""
    from brainmark.leaderboard.modelpage import model_context

    user = login.user if login else None
    model = load_model_row(session, identifier, user)
    return render(request, "model.html", login, **model_context(session, model, user))


@router.get("/benchmarks/{identifier}", response_class=HTMLResponse)
def benchmark_page(identifier: str, request: Request, version: int | None = None,
                   session: Session = Depends(get_session), login: LoginSession | None = Depends(page_login)) -> Response:
    """A benchmark's visible scores and their distribution."""
    query = (select(Benchmark).where(Benchmark.identifier == identifier)
             .options(selectinload(Benchmark.scores).selectinload(ScoreRow.model)))
    if version is not None:
        query = query.where(Benchmark.version == version)
    bench = session.scalars(query.order_by(Benchmark.version.desc())).first()
    if bench is None:
        raise HTTPException(404, f"no benchmark {identifier!r}" + (f" version {version}" if version else ""))
    rows = [s for s in bench.scores if visible(s.model, login.user if login else None)]
    rows.sort(key=lambda s: (s.ceiled is None, -(s.ceiled or 0)))
    versions = list(session.scalars(select(Benchmark.version).where(Benchmark.identifier == identifier)))
    from brainmark.leaderboard.modelpage import exclusion, interval_of
    from brainmark.leaderboard.present import ci_text

    return render(request, "benchmark.html", login, bench=bench, rows=rows, versions=sorted(versions),
                  figure=plots.distribution([s.ceiled for s in rows]), ci_text=ci_text,
                  intervals={s.id: interval_of(s) for s in rows}, excluded=exclusion(rows[0]) if rows else None)


# --- signing in ---------------------------------------------------------------------------------------------
def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/submit"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/submit", login: LoginSession | None = Depends(page_login)) -> Response:
    """The sign-in form (an API token starts a browser session)."""
    return render(request, "login.html", login, next=_safe_next(next), error=None)


@router.post("/login")
def login_post(request: Request, token: str = Form(""), next: str = Form("/submit"),
               session: Session = Depends(get_session)) -> Response:
    """Check the token (rate limited), start a session, set its cookie."""
    try:
        check_origin(request)
        user = check_token(request, session, token.strip())
    except HTTPException as exc:
        return render(request, "login.html", None, status_code=exc.status_code, next=_safe_next(next),
                      error=exc.detail)
    cookie, _ = create_login(session, user, request.app.state.config.session_hours)
    session.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(response, cookie, request)
    return response


@router.post("/logout")
def logout_post(request: Request, csrf_token: str = Form(""), session: Session = Depends(get_session),
                login: LoginSession | None = Depends(page_login)) -> Response:
    """End the browser session."""
    check_form_post(request, login, csrf_token)
    if login is not None:
        session.delete(session.merge(login))
        session.commit()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- submitting ---------------------------------------------------------------------------------------------
def _submit_context(request: Request) -> dict[str, Any]:
    return {"benchmarks": request.app.state.benchmarks(), "max_mb": MAX_BYTES // 2**20, "error": None}


@router.get("/submit", response_class=HTMLResponse)
def submit_page(request: Request, login: LoginSession | None = Depends(page_login)) -> Response:
    """The submission form (signed-in users only)."""
    if login is None:
        return RedirectResponse("/login?next=/submit", status_code=303)
    return render(request, "submit.html", login, **_submit_context(request))


@router.post("/submit")
async def submit_form(request: Request) -> Response:
    """Queue a zoo model or an uploaded package: origin and session first, then the body, then its CSRF token."""
    with request.app.state.sessions() as session:
        login = current_login(request, session)
        try:
            check_origin(request)
            if login is None:
                raise HTTPException(401, "sign in first (your session expired or you are not signed in)")
            form = await request.form(max_files=1, max_fields=100)
            check_form_post(request, login, str(form.get(CSRF_FIELD) or ""))
            package = form.get("package")
            data = None
            if package is not None and not isinstance(package, str) and package.filename:
                data = read_stream(package.file)
            sub = create_submission(request, session, login.user, zoo_identifier=str(form.get("model_identifier") or ""),
                                    benchmarks=[str(b) for b in form.getlist("benchmarks")],
                                    public=parse_public(form.get("public") if data is not None else None), package=data)
        except UploadError as exc:
            return render(request, "submit.html", login, status_code=413, **{**_submit_context(request), "error": str(exc)})
        except HTTPException as exc:
            return render(request, "submit.html", login, status_code=exc.status_code,
                          **{**_submit_context(request), "error": exc.detail})
        return RedirectResponse(f"/submissions/{sub.id}", status_code=303)


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(submission_id: int, request: Request, session: Session = Depends(get_session),
                    login: LoginSession | None = Depends(page_login)) -> Response:
    """Status, jobs and log of one of your submissions."""
    if login is None:
        return RedirectResponse(f"/login?next=/submissions/{submission_id}", status_code=303)
    return render(request, "submission.html", login, sub=own_submission(session, submission_id, login.user))
