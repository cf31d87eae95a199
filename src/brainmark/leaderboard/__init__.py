"""brainmark.leaderboard: the self-hostable platform (database, web leaderboard, submissions, scoring workers).

Modules: ``db`` (tables, migrations), ``store`` (users, import, queries), ``web`` (FastAPI app), ``workers``
(job dispatcher), ``jobs`` (what a worker runs), ``sandbox`` / ``uploads`` (untrusted code). The names below load
lazily, so the sandboxed child process does not import the database layer.
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "open_database": "brainmark.leaderboard.db",
    "add_user": "brainmark.leaderboard.store",
    "authenticate": "brainmark.leaderboard.store",
    "import_record": "brainmark.leaderboard.store",
    "leaderboard": "brainmark.leaderboard.store",
    "create_app": "brainmark.leaderboard.web",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'brainmark.leaderboard' has no attribute {name!r}")
