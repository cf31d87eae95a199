"""A tiny CNN used by the model tests (and as a user-model file: ``tiny_net.py:factory``)."""
from __future__ import annotations

import torch
from torch import nn

from brainmark.models import ModelSpec, Preprocessing


class TinyNet(nn.Module):
    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.block2 = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, classes)
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.fc(torch.flatten(self.pool(self.block2(self.block1(x))), 1))


def factory(untrained: bool = False, seed: int = 0) -> ModelSpec:
    return ModelSpec(
        TinyNet(),
        layers=["block1", "block2", "pool"],
        preprocessing=Preprocessing(32),
        identifier="tinynet",
        readout_layer="fc:input",
    )


def not_a_spec():
    return 42
