"""brainmark.leaderboard: the self-hostable platform (database, web leaderboard, submissions, scoring workers).

Modules: ``db`` (tables, migrations), ``store`` / ``boardcache`` (users, import, ranked queries), ``web`` (the app)
with ``routes_pages`` / ``routes_api`` / ``docs``, ``auth`` (tokens, sessions, CSRF), ``security`` (body caps,
headers), ``ratelimit``, ``submissions``, ``uploads`` (package checks), ``workers`` (dispatcher, outcome checks),
``jobs`` (what a worker runs), ``proxy`` / ``channel`` (trusted side of an uploaded model), ``sandbox`` with
``sandbox_mounts``, ``seccomp``, ``cgroups``, ``accounting``, ``slots`` (the sandbox), ``sandbox_entry`` (the
untrusted side). The names below load lazily, so the sandboxed process does not import the database layer.
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
