"""Registries of metrics and ceilings: ``load_metric(name, **params)`` / ``load_ceiling(name, **params)``.

A metric is a callable ``metric(source, target) -> Score``; a ceiling is ``ceiling(assembly) -> Score``.
Both are configured at construction (scikit-learn style: parameters in ``__init__``, no work there).
"""
from __future__ import annotations

from typing import Any, Callable

from brainmark.registry import Registry
from brainmark.scores import Score

METRICS: Registry[Callable[..., Score]] = Registry("metric", "brainmark.metrics")
CEILINGS: Registry[Callable[..., Score]] = Registry("ceiling", "brainmark.ceilings")


def load_metric(name: str, **params: Any) -> Callable[..., Score]:
    """A configured metric, e.g. ``load_metric("pls", n_components=25)``."""
    return METRICS.load(name, **params)


def load_ceiling(name: str, **params: Any) -> Callable[..., Score]:
    """A configured ceiling, e.g. ``load_ceiling("internal_consistency")``."""
    return CEILINGS.load(name, **params)
