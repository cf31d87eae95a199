"""Metrics and ceilings. Importing this package registers all built-in ones.

``load_metric(name, **params)`` / ``load_ceiling(name, **params)`` build a configured metric or ceiling; every
built-in one is an :class:`~brainmark.metrics.base.Estimator` (``get_params``/``set_params``/``clone``, parameters
checked at construction) and follows the :class:`Metric` / :class:`Ceiling` protocols. Plugin authors can test
theirs with :func:`check_metric` / :func:`check_ceiling`.
"""
from brainmark.errors import MetricInputError, ParameterError
from brainmark.metrics.base import Ceiling, Estimator, Metric, check_ceiling, check_metric
from brainmark.metrics.registry import CEILINGS, METRICS, load_ceiling, load_metric
from brainmark.metrics import neural as _neural  # noqa: F401,E402  (the package registers its metrics)
from brainmark.metrics import behavioral as _behavioral  # noqa: F401,E402

__all__ = ["CEILINGS", "Ceiling", "Estimator", "METRICS", "Metric", "MetricInputError", "ParameterError",
           "check_ceiling", "check_metric", "load_ceiling", "load_metric"]
