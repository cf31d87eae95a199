"""The official implementation's venv (``bench/.official-venv``); see :mod:`side_venvs`."""
from __future__ import annotations

from pathlib import Path

from side_venvs import SIDE_VENVS, ensure_venv

OFFICIAL_VERSION = "2.4.2"
VENV = SIDE_VENVS["official"][0]
PYTHON = VENV / "bin" / "python"


def ensure_official_venv() -> Path | None:
    """The official venv's python, installing ``brainscore-vision`` there if absent; None if that fails."""
    return ensure_venv("official")
