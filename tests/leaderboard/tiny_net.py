"""Two tiny, seeded CNNs used as user models by the leaderboard tests (fast to score on small benchmarks)."""
from __future__ import annotations

import torch
from torch import nn

from brainmark.models import ModelSpec, Preprocessing


def _net(seed: int, width: int) -> ModelSpec:
    torch.manual_seed(seed)
    net = nn.Sequential(
        nn.Conv2d(3, width, 5, stride=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(width, 2 * width, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(4), nn.Flatten(),
        nn.Linear(32 * width, 10),
    ).eval()
    return ModelSpec(net, layers=["1", "4", "7"], preprocessing=Preprocessing(input_size=64))


def build_a() -> ModelSpec:
    return _net(seed=1, width=8)


def build_b() -> ModelSpec:
    return _net(seed=2, width=12)
