"""API documentation pages (Swagger UI at ``/docs``, ReDoc at ``/redoc``) served entirely from this server.

The JavaScript and CSS come from the ``fastapi-offline`` package's files, mounted at ``/static/docs``; the pages
start them from a static script, so the Content-Security-Policy needs no inline scripts and no CDN.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

SWAGGER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} · API</title>
<link rel="stylesheet" href="/static/docs/swagger-ui.css"><link rel="icon" href="/static/docs/favicon.png"></head>
<body><div id="swagger-ui"></div>
<script src="/static/docs/swagger-ui-bundle.js"></script><script src="/static/swagger-init.js"></script>
</body></html>"""
REDOC = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} · API</title>
<link rel="icon" href="/static/docs/favicon.png"></head>
<body><redoc spec-url="/openapi.json"></redoc><script src="/static/docs/redoc.standalone.js"></script>
</body></html>"""


def assets_folder() -> Path:
    """Where the installed fastapi-offline package keeps Swagger UI and ReDoc."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def add_docs(app: FastAPI) -> None:
    """Mount the assets and add ``/docs`` and ``/redoc`` (create the app with ``docs_url=None, redoc_url=None``)."""
    app.mount("/static/docs", StaticFiles(directory=assets_folder()), name="docs-assets")
    title = app.title

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        """Swagger UI."""
        return HTMLResponse(SWAGGER.format(title=title))

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        """ReDoc."""
        return HTMLResponse(REDOC.format(title=title))
