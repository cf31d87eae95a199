"""The ranked board, computed once per database state and shared by all requests.

Ranking every model (composites recomputed from their scores) is the expensive part of the board page and API.
It depends only on the stored scores and models, so it is cached under a fingerprint of those tables (row counts,
newest ids and ``created`` stamps: two aggregate queries; every import and every finished job changes them,
whichever process wrote) and filtered per request for the viewer's visibility and search, keeping the ranking.
"""
from __future__ import annotations

import gzip
import threading
from typing import Any, Callable

from fastapi import Request
from fastapi.responses import Response

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from brainmark.leaderboard.db import Model, ScoreRow, User
from brainmark.leaderboard.store import Board, leaderboard, visible

_LOCK = threading.Lock()
_CACHE: dict[str, tuple[Any, Board]] = {}


def fingerprint(session: Session) -> tuple[Any, ...]:
    """What changes whenever a score or a model is added or updated."""
    scores = session.execute(select(func.count(ScoreRow.id), func.max(ScoreRow.created), func.max(ScoreRow.id))).one()
    models = session.execute(select(func.count(Model.id), func.max(Model.created), func.max(Model.id))).one()
    return (*scores, *models)


def cached_leaderboard(session: Session, user: User | None = None, search: str = "") -> Board:
    """:func:`~brainmark.leaderboard.store.leaderboard` for ``user``, from the shared ranking when it is current."""
    key = session.get_bind().url.render_as_string(hide_password=True)
    stamp = fingerprint(session)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is None or hit[0] != stamp:
            hit = (stamp, leaderboard(session, include_private=True))
            _CACHE[key] = hit
    board = hit[1]
    query = search.lower()
    rows = [r for r in board.rows if visible(r.model, user) and (not query or query in r.model.identifier.lower())]
    return Board(benchmarks=board.benchmarks, rows=rows)


_BODIES: dict[tuple[Any, ...], tuple[bytes, bytes]] = {}


def anonymous_body(key: tuple[Any, ...], build: Callable[[], bytes]) -> tuple[bytes, bytes]:
    """The (plain, gzip) body of a response anonymous visitors get, built once per ``key`` (which must include the
    database fingerprint). Compressing is safe here: these pages hold no secret (no session, no CSRF token)."""
    hit = _BODIES.get(key)
    if hit is None:
        body = build()
        hit = (body, gzip.compress(body, compresslevel=6, mtime=0))
        if len(_BODIES) > 256:
            _BODIES.clear()
        _BODIES[key] = hit
    return hit


def send_body(request: Request, bodies: tuple[bytes, bytes], media_type: str) -> Response:
    """The gzip body when the client accepts it, else the plain one."""
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(bodies[1], media_type=media_type,
                        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    return Response(bodies[0], media_type=media_type, headers={"Vary": "Accept-Encoding"})
