"""Test configuration: an isolated BRAINMARK_HOME per session and the real-data mirror from ../shared/data."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO_ROOT / ".." / "shared" / "data").resolve()


def pytest_configure(config: pytest.Config) -> None:
    # Set before any brainmark module reads the environment.
    home = Path(config.rootpath) / ".pytest_cache" / "brainmark-home"
    os.environ["BRAINMARK_HOME"] = str(home)
    if SHARED_DATA.is_dir():
        os.environ["BRAINMARK_DATA_MIRROR"] = str(SHARED_DATA)
    os.environ.setdefault("BRAINMARK_PROGRESS", "0")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real datasets' mirror; tests that need it skip only if it is absent (never in CI)."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture
def brainmark_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty BRAINMARK_HOME for one test."""
    home = tmp_path / "home"
    monkeypatch.setenv("BRAINMARK_HOME", str(home))
    return home
