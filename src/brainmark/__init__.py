"""brainmark: measure how brain-like a vision model is.

Public API (imported lazily, so ``import brainmark`` stays fast and does not import torch):

- :func:`load_dataset`, :func:`load_stimulus_set` — data through the checksummed store
- :func:`load_metric`, :func:`load_ceiling` — neural and behavioural metrics
- :func:`load_model` — a :class:`~brainmark.models.BrainModel`
- :func:`load_benchmark`, :func:`score` — benchmarks and scoring
- :class:`Score` — the result type of all of the above
- :func:`compare` — paired comparisons, rankings and benchmark reliability of results records
"""
from __future__ import annotations

import importlib
from typing import Any

from brainmark._version import __version__

_LAZY = {
    "Score": "brainmark.scores",
    "load_dataset": "brainmark.datasets",
    "load_stimulus_set": "brainmark.datasets",
    "load_metric": "brainmark.metrics",
    "load_ceiling": "brainmark.metrics",
    "load_model": "brainmark.models",
    "load_benchmark": "brainmark.benchmarks",
    "score": "brainmark.scoring",
    "compare": "brainmark.scoring.compare",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'brainmark' has no attribute {name!r}")
