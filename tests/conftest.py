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
