"""A tiny, seeded PyTorch model (fast on CPU) for end-to-end benchmark tests on the real stimuli."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from brainmark.models import ModelSpec, Preprocessing, PytorchBrainModel


class TinyNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(3, 8, 5, stride=4), nn.ReLU())
        self.block2 = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc = nn.Linear(64, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.block2(self.block1(x))), 1))


def tiny_model(layers: dict[str, str] | None = None, identifier: str = "tinynet") -> PytorchBrainModel:
    torch.manual_seed(0)
    spec = ModelSpec(TinyNet().eval(), layers=["block1", "block2", "pool"], preprocessing=Preprocessing(48),
                     identifier=identifier, readout_layer="fc:input", imagenet_output=True,
                     metadata={"imagenet_top1": 0.1})
    return PytorchBrainModel(spec, batch_size=64, layers=layers, workers=1)


@pytest.fixture
def make_tiny_model():
    return tiny_model
