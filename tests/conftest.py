"""Test configuration: a fresh BRAINMARK_HOME per session and the real-data mirror from ../shared/data."""
from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO_ROOT / ".." / "shared" / "data").resolve()
_SESSION_HOME: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Point BRAINMARK_HOME at a new, empty temporary folder (nothing carries over between runs)."""
    global _SESSION_HOME
    # Set before any brainmark module reads the environment.
    _SESSION_HOME = Path(tempfile.mkdtemp(prefix="brainmark-test-home-"))
    os.environ["BRAINMARK_HOME"] = str(_SESSION_HOME)
    if SHARED_DATA.is_dir():
        os.environ["BRAINMARK_DATA_MIRROR"] = str(SHARED_DATA)
    os.environ.setdefault("BRAINMARK_PROGRESS", "0")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the session's BRAINMARK_HOME."""
    if _SESSION_HOME is not None:
        shutil.rmtree(_SESSION_HOME, ignore_errors=True)


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


@pytest.fixture
def fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], Path]:
    """``fresh_home()`` switches to a new, empty BRAINMARK_HOME and forgets the in-process caches (parsed datasets,
    ceilings), so that what runs next recomputes every activation, commitment and ceiling."""
    counter = itertools.count()

    def switch() -> Path:
        from brainmark.benchmarks import ceilings
        from brainmark.data import registry

        home = tmp_path / f"fresh-home-{next(counter)}"
        monkeypatch.setenv("BRAINMARK_HOME", str(home))
        ceilings.clear_memory_cache()
        registry.clear_memory_cache()
        return home

    return switch


def _tiny_spec(untrained: bool = False, seed: int = 0, identifier: str = "tinynet-test", imagenet_top1: float = 1.0):
    """A tiny seeded CNN with an ImageNet-sized output: fast on CPU, for benchmark, scoring and CLI tests."""
    import torch
    from torch import nn

    from brainmark.models import ModelSpec, Preprocessing

    class TinyNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.block1 = nn.Sequential(nn.Conv2d(3, 8, 5, stride=4), nn.ReLU())
            self.block2 = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2), nn.ReLU())
            self.pool = nn.AdaptiveAvgPool2d(2)
            self.fc = nn.Linear(64, 1000)

        def forward(self, x: "torch.Tensor") -> "torch.Tensor":
            return self.fc(torch.flatten(self.pool(self.block2(self.block1(x))), 1))

    torch.manual_seed(seed + (1 if untrained else 0))
    return ModelSpec(TinyNet().eval(), layers=["block1", "block2", "pool"], preprocessing=Preprocessing(48),
                     identifier=identifier, readout_layer="fc:input", imagenet_output=True,
                     metadata={"imagenet_top1": imagenet_top1})


@pytest.fixture(scope="session")
def tiny_spec():
    """The factory of the tiny network's ModelSpec (``tiny_spec(identifier=..., imagenet_top1=...)``)."""
    return _tiny_spec


@pytest.fixture
def tiny_registered() -> str:
    """Registers the tiny network as model ``tinynet-test``."""
    from brainmark.models.loading import register_model

    register_model("tinynet-test", _tiny_spec, imagenet_top1=1.0, replace=True)
    return "tinynet-test"
