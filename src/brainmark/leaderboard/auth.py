"""Who is asking: API tokens (``Authorization: Bearer``, the API only) and browser sessions (a cookie, pages only).

The session cookie holds a random session id, never the API token; only its hash is stored, with an expiry and a
CSRF token that every form post must echo. Form posts must also come from this site (``Origin``, else
``Referer``, equal to the server's own origin). Failed authentications are rate limited per client IP, API use
per token; a client over a limit gets 429 before its token is even looked at.
"""
from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Iterator
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request, Response
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from brainmark.leaderboard.db import LoginSession, User, utcnow
from brainmark.leaderboard.store import authenticate, hash_token

SESSION_COOKIE = "brainmark_session"
CSRF_FIELD = "csrf_token"


def get_session(request: Request) -> Iterator[Session]:
    """A database session for one request."""
    with request.app.state.sessions() as session:
        yield session


def client_ip(request: Request) -> str:
    """The peer address (behind a proxy, run uvicorn with ``--proxy-headers`` so this is the real client)."""
    return request.client.host if request.client else "unknown"


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def check_token(request: Request, session: Session, token: str) -> User:
    """The token's user; 429 when this IP failed too often (checked first), 401 for a wrong token."""
    config, limiter = request.app.state.config, request.app.state.limiter
    ip = client_ip(request)
    if limiter.exceeded(config.auth_failures, "auth-failure", ip):
        raise limiter.refuse(config.auth_failures, "auth-failure", ip, "failed authentications from this address")
    user = authenticate(session, token)
    if user is None:
        limiter.hit(config.auth_failures, "auth-failure", ip)
        raise HTTPException(401, "invalid API token", headers={"WWW-Authenticate": "Bearer"})
    limiter.check(config.api_requests, "api", hash_token(token)[:32], "API requests with this token")
    return user


def api_user(request: Request, session: Session = Depends(get_session)) -> User | None:
    """The API caller (bearer token only; cookies are ignored by the API)."""
    token = bearer_token(request)
    return None if token is None else check_token(request, session, token)


def require_api_user(user: User | None = Depends(api_user)) -> User:
    """The API caller, or 401."""
    if user is None:
        raise HTTPException(401, "a valid API token is required (Authorization: Bearer <token>)",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


# --- browser sessions ---------------------------------------------------------------------------------------
def create_login(session: Session, user: User, hours: float) -> tuple[str, LoginSession]:
    """Start a browser session for ``user``; returns the cookie value (shown once) and the stored row."""
    session.execute(delete(LoginSession).where(LoginSession.expires < utcnow()))
    token = secrets.token_urlsafe(32)
    login = LoginSession(token_hash=hash_token(token), user=user, csrf_token=secrets.token_urlsafe(24),
                         created=utcnow(), expires=utcnow() + timedelta(hours=hours))
    session.add(login)
    session.flush()
    return token, login


def current_login(request: Request, session: Session) -> LoginSession | None:
    """The unexpired browser session of the request's cookie, or None."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    login = session.scalar(select(LoginSession).where(LoginSession.token_hash == hash_token(cookie)))
    if login is None or login.expires < utcnow():
        return None
    return login


def page_login(request: Request, session: Session = Depends(get_session)) -> LoginSession | None:
    """The browser session of a page request (pages never read bearer tokens)."""
    return current_login(request, session)


def page_user(login: LoginSession | None = Depends(page_login)) -> User | None:
    """The signed-in user of a page request, or None."""
    return login.user if login is not None else None


def set_session_cookie(response: Response, token: str, request: Request) -> None:
    """``Secure``, ``HttpOnly``, ``SameSite=Lax`` cookie expiring with the session."""
    config = request.app.state.config
    response.set_cookie(SESSION_COOKIE, token, max_age=int(config.session_hours * 3600), httponly=True,
                        secure=config.secure_cookies, samesite="lax", path="/")


def same_origin(request: Request) -> bool:
    """True when the request's ``Origin`` (else ``Referer``) is this server's own origin."""
    expected = f"{request.url.scheme}://{request.headers.get('host', '')}"
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        referer = request.headers.get("referer")
        if not referer:
            return False
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    return hmac.compare_digest(origin.encode(), expected.encode())


def check_origin(request: Request) -> None:
    """Refuse (403) a form post that does not come from this site."""
    if not same_origin(request):
        raise HTTPException(403, "form posts must come from this site (Origin/Referer check failed)")


def check_form_post(request: Request, login: LoginSession | None, csrf: str | None) -> None:
    """Refuse cross-site form posts (403) and posts without the session's CSRF token."""
    check_origin(request)
    if login is not None and not hmac.compare_digest((csrf or "").encode(), login.csrf_token.encode()):
        raise HTTPException(403, "the form's CSRF token is missing or stale; reload the page and try again")
