"""Metrics and ceilings. Importing this package registers all built-in ones."""
from brainmark.metrics.registry import CEILINGS, METRICS, load_ceiling, load_metric
from brainmark.metrics import neural as _neural  # noqa: F401  (registers neural metrics)
from brainmark.metrics import behavioral as _behavioral  # noqa: F401  (registers behavioural metrics)

__all__ = ["CEILINGS", "METRICS", "load_ceiling", "load_metric"]
