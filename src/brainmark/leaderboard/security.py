"""ASGI middleware in front of the app: request-body caps and security headers on every response.

:class:`BodyLimit` answers 413 from the ``Content-Length`` header alone, before a byte of the body is read, and
stops a body without one (chunked) as soon as it passes the cap. Upload routes have the upload cap, everything
else a small one. :class:`SecurityHeaders` adds a strict Content-Security-Policy (scripts only from this site,
no framing), ``nosniff``, a referrer policy and a permissions policy.
"""
from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class BodyTooLarge(Exception):
    """The request body went past its cap while being read."""


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), *HEADERS]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Cap request bodies: ``upload_bytes`` on ``upload_paths``, ``default_bytes`` elsewhere."""

    def __init__(self, app: ASGIApp, default_bytes: int, upload_bytes: int, upload_paths: tuple[str, ...]) -> None:
        self.app, self.default_bytes, self.upload_bytes, self.upload_paths = app, default_bytes, upload_bytes, upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse by declared length, or count the body as it streams in."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.upload_bytes if scope["path"] in self.upload_paths else self.default_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > cap):
            await _refuse(send, 413, f"request body larger than the {cap} byte limit")
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            """Pass body chunks on, refusing the one that goes past the cap."""
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            """Note whether the response has started."""
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _refuse(send, 413, f"request body larger than the {cap} byte limit")


class SecurityHeaders:
    """Add the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass through, adding headers at response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            """Append the headers the response does not set itself."""
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in HEADERS if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)
