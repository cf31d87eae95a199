"""Registers a tiny seeded network as model ``tinynet-test`` for scoring and CLI tests."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from brainmark.models import ModelSpec, Preprocessing
from brainmark.models.loading import register_model


class TinyNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(3, 8, 5, stride=4), nn.ReLU())
        self.block2 = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc = nn.Linear(64, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.block2(self.block1(x))), 1))


def tiny_spec(untrained: bool = False, seed: int = 0) -> ModelSpec:
    torch.manual_seed(seed + (1 if untrained else 0))
    return ModelSpec(TinyNet().eval(), layers=["block1", "block2", "pool"], preprocessing=Preprocessing(48),
                     identifier="tinynet-test", readout_layer="fc:input", imagenet_output=True,
                     metadata={"imagenet_top1": 1.0})


@pytest.fixture(autouse=True)
def tiny_registered():
    register_model("tinynet-test", tiny_spec, imagenet_top1=1.0)
    return "tinynet-test"
