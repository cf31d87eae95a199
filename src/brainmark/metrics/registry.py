"""Registries of metrics and ceilings: ``load_metric(name, **params)`` / ``load_ceiling(name, **params)``.

A metric is a callable ``metric(source, target) -> Score``; a ceiling is ``ceiling(data) -> Score``
(:mod:`brainmark.metrics.base`). Both are configured at construction (scikit-learn style). Names are looked up
case-insensitively (``load_metric("PLS")`` finds ``pls``).
"""
from __future__ import annotations

from typing import Any, Callable

from brainmark.registry import Registry
from brainmark.scores import Score

METRICS: Registry[Callable[..., Score]] = Registry("metric", "brainmark.metrics")
CEILINGS: Registry[Callable[..., Score]] = Registry("ceiling", "brainmark.ceilings")


def load_metric(name: str, /, **params: Any) -> Callable[..., Score]:
    """A configured metric, e.g. ``load_metric("pls", n_components=25)``.

    Parameters
    ----------
    name : str
        A registered metric (``pls``, ``ridge``, ``linear``, ``rsa``, ``cka``, ``i2n``, ``error_consistency``...),
        case-insensitive.
    **params
        Constructor parameters of that metric; invalid values raise :class:`~brainmark.errors.ParameterError`.

    Returns
    -------
    Metric
        ``metric(source, target) -> Score``.
    """
    return METRICS.load(name, **params)


def load_ceiling(name: str, /, **params: Any) -> Callable[..., Score]:
    """A configured ceiling, e.g. ``load_ceiling("internal_consistency")`` (``ceiling(data) -> Score``)."""
    return CEILINGS.load(name, **params)
