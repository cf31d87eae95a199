"""brainmark.leaderboard: the self-hostable platform (database, web leaderboard, submissions, scoring workers).

Import the pieces from their modules (``db``, ``store``, ``web``, ``workers``, ``sandbox``, ``uploads``); the
names below are the main entry points.
"""
from brainmark.leaderboard.db import open_database
from brainmark.leaderboard.store import add_user, authenticate, import_record, leaderboard

__all__ = ["open_database", "add_user", "authenticate", "import_record", "leaderboard", "create_app"]


def __getattr__(name: str):  # noqa: ANN202 - lazy: the web app pulls in FastAPI and matplotlib
    if name == "create_app":
        from brainmark.leaderboard.web import create_app

        return create_app
    raise AttributeError(name)
