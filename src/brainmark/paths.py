"""Where brainmark keeps things: one home (``$BRAINMARK_HOME``, default ``~/.cache/brainmark``).

Layout: ``data/`` (verified files by checksum), ``activations/``, ``ceilings/``, ``commitments/``,
``results/``, ``leaderboard.sqlite``. Read from the environment at each call so tests can redirect it.
"""
from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The brainmark home folder (created on first use)."""
    path = Path(os.environ.get("BRAINMARK_HOME") or Path.home() / ".cache" / "brainmark").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def subdir(name: str) -> Path:
    """A named sub-folder of the home (``data``, ``activations``, ``ceilings``, ``commitments``...)."""
    path = home() / name
    path.mkdir(parents=True, exist_ok=True)
    return path
