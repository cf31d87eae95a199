"""Responses anonymous visitors get, built once per database state and kept gzipped.

The board's data is shared through :mod:`brainmark.leaderboard.snapshot` (built once per database fingerprint:
row counts, newest ids and time stamps of the scores, models and history; every import, finished job and
visibility change alters it, whichever process wrote). Pages and exports without a session are also kept as
finished bodies here, keyed by that fingerprint and the request's view.
"""
from __future__ import annotations

import gzip
from typing import Any, Callable

from fastapi import Request
from fastapi.responses import Response

from brainmark.leaderboard.snapshot import fingerprint

__all__ = ["anonymous_body", "fingerprint", "send_body"]


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
