"""The board and its tools: the ranked view (``/``), its exports, two models compared, the history, report pages.

Every page here takes the view's query string (:mod:`brainmark.leaderboard.view`); what anonymous visitors get
is rendered once per database state and view (:mod:`brainmark.leaderboard.boardcache`).
"""
from __future__ import annotations

from typing import Any, Callable

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from brainmark.leaderboard import exports, plots, present
from brainmark.leaderboard.auth import get_session, page_login
from brainmark.leaderboard.boardcache import anonymous_body, send_body
from brainmark.leaderboard.boardview import GROUP_LABELS, BoardView, board_for, column_groups
from brainmark.leaderboard.comparison import compare_models
from brainmark.leaderboard.db import LoginSession, ScoreHistory
from brainmark.leaderboard.reportpages import REPORT_PAGES
from brainmark.leaderboard.routes_pages import render
from brainmark.leaderboard.snapshot import fingerprint
from brainmark.leaderboard.store import LIGHT, visible
from brainmark.leaderboard.view import COMPOSITES, View, parse_view

router = APIRouter(include_in_schema=False)
SMALL_BOARD = 6  # up to this many benchmark columns, every group starts expanded


def _cached(request: Request, session: Session, login: LoginSession | None, kind: str, view: View,
            build: Callable[[], Response], media_type: str = "text/html; charset=utf-8") -> Response:
    """``build()``, kept per database state and view for anonymous visitors (never with a session)."""
    if login is not None:
        return build()
    key = (kind, session.get_bind().url.render_as_string(hide_password=True), fingerprint(session), view.key(), tuple(sorted(request.query_params.multi_items())))
    return send_body(request, anonymous_body(key, lambda: build().body), media_type)


def open_groups(board: BoardView) -> list[str]:
    """The column groups shown expanded: the view's choice, else all on a small board and none on a large one."""
    if board.view.open is not None:
        return [g.name for g in board.groups if g.name in board.view.open]
    return [g.name for g in board.groups] if len(board.benchmarks) <= SMALL_BOARD else []


def _board_context(board: BoardView) -> dict[str, Any]:
    scales = {b.id: present.scale_of(r.interval(b) for r in board.rows) for b in board.benchmarks}
    groups = {g.name: present.scale_of(r.groups.get(g.name) for r in board.rows) for g in board.groups}
    points = [(r.model.identifier, r.top1, r.composite.value, r.composite.ci) for r in board.rows
              if r.top1 is not None and r.composite.value is not None]
    return {"board": board, "view": board.view, "scales": scales, "group_scales": groups,
            "composite_scale": present.scale_of(r.composite for r in board.rows), "open": open_groups(board),
            "figure": plots.composite_vs_top1(points), "composites": COMPOSITES, "reports": REPORT_PAGES,
            "present": present, "q": board.view.q,
            "all_groups": column_groups(board.snapshot, board.snapshot.columns)}


@router.get("/", response_class=HTMLResponse)
def leaderboard_page(request: Request, session: Session = Depends(get_session),
                     login: LoginSession | None = Depends(page_login)) -> Response:
    """The ranked board of the view in the URL, with its intervals, tied group, column groups and tools."""
    view = parse_view(request.query_params)

    def build() -> Response:
        board = board_for(session, view, login.user if login else None)
        return render(request, "leaderboard.html", login, **_board_context(board))

    return _cached(request, session, login, "page", view, build)


def _export(request: Request, session: Session, login: LoginSession | None, kind: str,
            make: Callable[[BoardView], str], media_type: str, filename: str) -> Response:
    view = parse_view(request.query_params)

    def build() -> Response:
        board = board_for(session, view, login.user if login else None)
        return Response(make(board), media_type=media_type)

    response = _cached(request, session, login, kind, view, build, media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get("/export.csv")
def export_csv(request: Request, session: Session = Depends(get_session),
               login: LoginSession | None = Depends(page_login)) -> Response:
    """The current view as CSV (the view stated in ``#`` lines before the header)."""
    url = str(request.url.replace(path="/"))
    return _export(request, session, login, "csv", lambda b: exports.board_csv(b, url), "text/csv; charset=utf-8",
                   "brainmark-leaderboard.csv")


@router.get("/export.json")
def export_json(request: Request, session: Session = Depends(get_session),
                login: LoginSession | None = Depends(page_login)) -> Response:
    """The current view as JSON (as ``/api/leaderboard`` returns it)."""
    import json

    return _export(request, session, login, "json", lambda b: json.dumps(exports.board_json(b), indent=1),
                   "application/json", "brainmark-leaderboard.json")


@router.get("/export.bib")
def export_bibtex(request: Request, session: Session = Depends(get_session),
                  login: LoginSession | None = Depends(page_login)) -> Response:
    """The BibTeX of the benchmarks in the current view."""
    return _export(request, session, login, "bib", exports.board_bibtex, "application/x-bibtex; charset=utf-8",
                   "brainmark-benchmarks.bib")


@router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request, a: str = "", b: str = "", adjust: str = "holm",
                 session: Session = Depends(get_session), login: LoginSession | None = Depends(page_login)) -> Response:
    """Two models side by side: per-benchmark scores, differences, intervals and adjusted p-values."""
    from brainmark.stats.inference import ADJUSTMENTS

    if adjust not in ADJUSTMENTS:
        raise HTTPException(400, f"adjust must be one of {', '.join(ADJUSTMENTS)}, got {adjust!r}")
    view = parse_view(request.query_params)
    user = login.user if login else None

    def build() -> Response:
        board = board_for(session, View(as_of=view.as_of), user)
        names = [r.model.identifier for r in board.rows]
        first, second = (a or (names[0] if names else "")), (b or (names[1] if len(names) > 1 else ""))
        if first and first == second:
            raise HTTPException(400, f"choose two different models (both are {first!r})")
        missing = [n for n in (first, second) if n and n not in names]
        if missing:
            raise HTTPException(404, f"no model {missing[0]!r} on the board")
        by_name = {r.model.identifier: r.model for r in board.rows}
        result = compare_models(board.snapshot, by_name[first], by_name[second], adjust) \
            if first and second else None
        return render(request, "compare.html", login, names=names, a=first, b=second, adjust=adjust,
                      adjustments=ADJUSTMENTS, result=result, present=present, view=view,
                      group_labels=GROUP_LABELS)

    return _cached(request, session, login, "compare", view, build)


@router.get("/history", response_class=HTMLResponse)
def history_page(request: Request, session: Session = Depends(get_session),
                 login: LoginSession | None = Depends(page_login)) -> Response:
    """Every score imported onto the board, newest first, with links to the board as it stood then."""
    view = parse_view(request.query_params)
    user = login.user if login else None

    def build() -> Response:
        rows = session.scalars(select(ScoreHistory).order_by(ScoreHistory.created.desc(), ScoreHistory.id.desc())
                               .options(selectinload(ScoreHistory.model), selectinload(ScoreHistory.benchmark),
                                        *LIGHT)
                               .limit(2000))
        shown = [h for h in rows if visible(h.model, user)][:500]
        return render(request, "history.html", login, rows=shown, view=view, present=present)

    return _cached(request, session, login, "history", view, build)


@router.get("/reports/{slug}", response_class=HTMLResponse)
def report_page(slug: str, request: Request, session: Session = Depends(get_session),
                login: LoginSession | None = Depends(page_login)) -> Response:
    """A registered report page over the results records of the models in the current view."""
    page = REPORT_PAGES.get(slug)
    if page is None:
        raise HTTPException(404, f"no report page {slug!r}; there are: {', '.join(REPORT_PAGES) or 'none'}")
    view = parse_view(request.query_params)

    def build() -> Response:
        board = board_for(session, view, login.user if login else None)
        records = board.records()
        body = board.snapshot.memoised(("report", slug, view.key(), tuple(r.model_identifier for r in records)),
                                       lambda: page.render(records))
        return render(request, "report.html", login, page=page, body=body, view=view, n_models=len(records))

    return _cached(request, session, login, f"report:{slug}", view, build)
