"""What every metric and ceiling is: an estimator-style object with checked parameters, called on data.

- :class:`Metric` (``metric(source, target) -> Score``) and :class:`Ceiling` (``ceiling(data) -> Score``) are the
  protocols benchmarks rely on; any callable with that signature works.
- :class:`Estimator` is the small base class of brainmark's own metrics and ceilings (as scikit-learn's
  ``BaseEstimator``): ``__init__`` only stores its arguments; ``get_params``, ``set_params``, ``clone`` and the
  repr are derived from the ``__init__`` signature; :meth:`Estimator.check_params` validates every parameter when
  the object is built or changed, so a bad value fails at once with a :class:`~brainmark.errors.ParameterError`
  instead of deep inside a computation.
- :func:`check_metric` and :func:`check_ceiling` are conformance checks a plugin's tests can call.
"""
from __future__ import annotations

import copy
import functools
import inspect
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Protocol, runtime_checkable

import numpy as np

from brainmark.errors import InputError, MetricInputError, ParameterError
from brainmark.scores import Score


@dataclass(frozen=True)
class Computed:
    """A metric's (or ceiling's) Score with the resampler of what it computed (None: no bootstrap possible).

    ``metric.compute(...)`` returns it for brainmark's own metrics and ceilings; ``metric(...)`` is its ``score``.
    The resampler follows :class:`brainmark.stats.bootstrap.Resampler`.
    """

    score: Score
    resampler: Any = None


@runtime_checkable
class Metric(Protocol):
    """``metric(source, target) -> Score``: compares model responses with data."""

    def __call__(self, source: Any, target: Any) -> Score:
        """Score ``source`` (model responses) against ``target`` (recordings or behaviour)."""


@runtime_checkable
class Ceiling(Protocol):
    """``ceiling(data) -> Score``: how well the data predicts itself (the best score a model can expect)."""

    def __call__(self, data: Any) -> Score:
        """The noise ceiling of ``data``."""


def _checked_init(init: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(init)
    def wrapper(self: "Estimator", *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        if type(self).__init__ is wrapper:  # only the outermost __init__ validates (once, when all is stored)
            self.check_params()

    return wrapper


class Estimator:
    """Base class of metrics and ceilings: parameters from ``__init__``, validated before any work.

    Subclasses store each ``__init__`` argument under the same attribute name and override
    :meth:`check_params` (calling ``super().check_params()``) to validate them.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _checked_init(cls.__dict__["__init__"])  # type: ignore[method-assign]

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        return [p.name for p in signature.parameters.values() if p.name != "self" and p.kind in kinds]

    @classmethod
    def _defaults(cls) -> dict[str, Any]:
        signature = inspect.signature(cls.__init__)
        return {p.name: p.default for p in signature.parameters.values() if p.default is not inspect.Parameter.empty}

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters and their current values (always the same keys for a class)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> "Estimator":
        """Change parameters (validated); returns ``self``."""
        names = self._param_names()
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise ParameterError(f"{type(self).__name__} has no parameter(s) {unknown}; parameters: {names}")
        previous = {name: getattr(self, name) for name in params}
        for name, value in params.items():
            setattr(self, name, value)
        try:
            self.check_params()
        except ParameterError:
            for name, value in previous.items():
                setattr(self, name, value)
            raise
        return self

    def clone(self) -> "Estimator":
        """A new, equally configured instance."""
        return type(self)(**copy.deepcopy(self.get_params()))

    def check_params(self) -> None:
        """Validate the parameters (raise :class:`ParameterError` naming the bad one and what is allowed)."""

    def params_record(self) -> dict[str, Any]:
        """The parameters as recorded in a score's provenance (JSON-friendly: tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.get_params().items()}

    def __repr__(self) -> str:
        defaults = self._defaults()
        changed = {k: v for k, v in self.get_params().items() if k not in defaults or not _same(v, defaults[k])}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


# --- reusable parameter checks --------------------------------------------------------------------------------
def require_int(owner: Any, name: str, minimum: int = 1) -> None:
    """``owner.<name>`` must be an integer >= ``minimum``."""
    value = getattr(owner, name)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{type(owner).__name__}: {name} must be an integer >= {minimum}, got {value!r}")


def require_choice(owner: Any, name: str, choices: Iterable[Any]) -> None:
    """``owner.<name>`` must be one of ``choices``."""
    choices = tuple(choices)
    value = getattr(owner, name)
    if value not in choices:
        raise ParameterError(
            f"{type(owner).__name__}: unknown {name} {value!r}; choose one of {', '.join(map(str, choices))}"
        )


def require_fraction(owner: Any, name: str, *, closed: bool = False) -> None:
    """``owner.<name>`` must be a number in (0, 1) (or [0, 1] when ``closed``)."""
    value = getattr(owner, name)
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)
    ok = ok and (0 <= value <= 1 if closed else 0 < value < 1)
    if not ok:
        bounds = "[0, 1]" if closed else "(0, 1)"
        raise ParameterError(f"{type(owner).__name__}: {name} must be a number in {bounds}, got {value!r}")


def require_bool(owner: Any, name: str) -> None:
    """``owner.<name>`` must be True or False."""
    value = getattr(owner, name)
    if not isinstance(value, (bool, np.bool_)):
        raise ParameterError(f"{type(owner).__name__}: {name} must be True or False, got {value!r}")


# --- conformance ----------------------------------------------------------------------------------------------
def _check_estimator_api(obj: Any) -> None:
    if isinstance(obj, Estimator):
        params = obj.get_params()
        clone = obj.clone()
        assert clone.get_params().keys() == params.keys(), "clone() changed the parameter names"
        assert repr(obj).startswith(type(obj).__name__), "repr must start with the class name"
        obj.set_params(**params)


def _check_score(score: Any, what: str) -> None:
    assert isinstance(score, Score), f"{what} must return a brainmark Score, got {type(score).__name__}"
    assert math.isfinite(score.raw), f"{what} returned a non-finite raw value on valid data: {score!r}"
    assert Score.from_dict(score.to_dict()) == score, f"{what}'s Score does not round-trip through JSON"
    for key in ("parameters", "data_checksum"):
        assert key in score.meta, f"{what}'s Score.meta must record {key!r}"


def check_metric(metric: Metric, source: Any, target: Any, bad_source: Any = None) -> Score:
    """Conformance checks for a metric on valid ``source``/``target`` (returns the Score).

    Checked: the estimator API (when it is an :class:`Estimator`), a :class:`Score` with finite ``raw``, provenance
    (``parameters``, ``data_checksum``), JSON round-trip, determinism (a second call gives an equal Score), inputs
    left unchanged, and, when ``bad_source`` is given, that it is refused with an ``InputError``.
    """
    _check_estimator_api(metric)
    before = (copy.deepcopy(source), copy.deepcopy(target))
    score = metric(source, target)
    _check_score(score, "the metric")
    assert metric(source, target) == score, "the metric is not deterministic: a second call gave another Score"
    assert _unchanged(before[0], source) and _unchanged(before[1], target), "the metric modified its inputs"
    if bad_source is not None:
        try:
            metric(bad_source, target)
        except InputError:
            pass
        else:
            raise AssertionError("the metric accepted bad_source instead of raising an InputError")
    return score


def check_ceiling(ceiling: Ceiling, data: Any) -> Score:
    """Conformance checks for a ceiling on valid ``data`` (as :func:`check_metric`); returns the Score."""
    _check_estimator_api(ceiling)
    before = copy.deepcopy(data)
    score = ceiling(data)
    _check_score(score, "the ceiling")
    assert ceiling(data) == score, "the ceiling is not deterministic: a second call gave another Score"
    assert _unchanged(before, data), "the ceiling modified its input"
    return score


def _unchanged(before: Any, after: Any) -> bool:
    if hasattr(before, "identical"):
        return bool(before.identical(after))
    try:
        return bool(np.array_equal(np.asarray(before), np.asarray(after), equal_nan=True))
    except TypeError:
        return bool(np.array_equal(np.asarray(before), np.asarray(after)))


__all__ = ["Ceiling", "Computed", "Estimator", "Metric", "MetricInputError", "ParameterError", "check_ceiling", "check_metric",
           "require_bool", "require_choice", "require_fraction", "require_int"]
