"""A tiny, seeded PyTorch model (fast on CPU) for end-to-end benchmark tests on the real stimuli."""
from __future__ import annotations

import pytest

from brainmark.models import PytorchBrainModel


@pytest.fixture
def make_tiny_model(tiny_spec):
    def make(layers: dict[str, str] | None = None, identifier: str = "tinynet") -> PytorchBrainModel:
        spec = tiny_spec(identifier=identifier, imagenet_top1=0.1)
        return PytorchBrainModel(spec, batch_size=64, layers=layers, workers=1)

    return make
