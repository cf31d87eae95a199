"""brainmark.leaderboard: the self-hostable platform (database, web leaderboard, submissions, scoring workers).

Modules: ``db`` (tables, migrations), ``store`` (users, import/export, history), ``snapshot`` / ``boardview`` /
``view`` (the board's data per database state, a view of it: composites, intervals, the tied group, filters),
``exports``, ``comparison``, ``correlations``, ``reportpages`` (pages from report functions), ``facets``,
``present`` / ``plots`` / ``svgcharts``, ``boardcache`` (anonymous responses), ``queue`` (a user's jobs), ``web``
(the app) with ``routes_board`` / ``routes_pages`` / ``routes_account`` / ``routes_api`` / ``docs``, ``auth`` (tokens, sessions, CSRF), ``security`` (body caps,
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
