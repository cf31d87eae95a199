"""The Benchmark type and its registry.

A benchmark = data (an assembly or matrices + the stimuli) + how the stimuli are presented (visual degrees,
number of trials) + a metric + a ceiling, under a versioned identifier. ``benchmark(model) -> Score`` runs the
experiment on a :class:`~brainmark.models.brain_model.BrainModel` and returns the ceiled score with provenance.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, Callable

from brainmark.errors import BrainmarkError
from brainmark.registry import Registry
from brainmark.scores import DEFAULT_CONVENTION, Score, check_convention

#: What a benchmark measures, used by the composites: a brain region or behaviour.
NEURAL, BEHAVIORAL = "neural", "behavioral"
_DEFAULT = object()


class BenchmarkError(BrainmarkError):
    """A benchmark cannot run (missing data, a model that cannot do the task...)."""


def computed(metric: Any, *args: Any) -> Any:
    """``metric.compute(*args)`` (a Score with its resampler) when the metric offers it, else its plain Score."""
    from brainmark.metrics.base import Computed

    compute = getattr(metric, "compute", None)
    return compute(*args) if callable(compute) else Computed(metric(*args), None)


class Benchmark(ABC):
    """Base class of all benchmarks.

    Subclasses set the class attributes (or pass them to ``__init__``) and implement :meth:`_compute_ceiling`
    and :meth:`_score`. The ceiling is computed once per process and cached on disk
    (``$BRAINMARK_HOME/ceilings``) by :mod:`brainmark.benchmarks.ceilings`.

    Every score gets a bootstrap confidence interval of its ceiled value (``bootstrap``, a
    :class:`~brainmark.stats.bootstrap.BootstrapScheme`; None turns intervals off): the metric's computation is
    resampled over stimuli and target units together with the ceiling's (:mod:`brainmark.stats.bootstrap`).
    """

    identifier: str
    version: int = 1
    bibtex: str = ""
    description: str = ""
    #: ``neural`` or ``behavioral``; ``region`` is the brain region for neural benchmarks (V1, V2, V4, IT).
    kind: str = NEURAL
    region: str | None = None
    #: True when the data ships with brainmark or is on the data mirror (no network needed).
    offline: bool = True
    #: Identifiers of the datasets and stimulus sets used (for provenance and listing).
    datasets: tuple[str, ...] = ()

    def __init__(self, convention: str = DEFAULT_CONVENTION) -> None:
        from brainmark.stats.bootstrap import BootstrapScheme

        self.convention = check_convention(convention)
        self.bootstrap: Any = BootstrapScheme()
        self._ceiling: Score | None = None
        self._ceiling_source: tuple[str, dict[str, Any], Any] | None = None
        self._ceiling_resampler: Any = None

    # --- ceiling ------------------------------------------------------------------------------------------
    @property
    def ceiling(self) -> Score:
        """The noise ceiling of this benchmark's data (computed once, cached in memory and on disk)."""
        if self._ceiling is None:
            self._ceiling = self._compute_ceiling()
        return self._ceiling

    @abstractmethod
    def _compute_ceiling(self) -> Score:
        """Compute (or load from the disk cache) the ceiling."""

    def _ceiling_of(self, name: str, params: dict[str, Any], data: Any) -> Score:
        """Ceiling ``name(**params)(data)``, cached on disk; its resampler is kept for the bootstrap."""
        from brainmark.benchmarks.ceilings import cached_ceiling
        from brainmark.data.checksum import data_checksum
        from brainmark.metrics import load_ceiling

        self._ceiling_source = (name, dict(params), data)

        def compute() -> Score:
            result = computed(load_ceiling(name, **params), data)
            self._ceiling_resampler = result.resampler
            return result.score

        return cached_ceiling(name, params, data_checksum(data), compute)

    def ceiling_resampler(self) -> Any:
        """The resampler of the ceiling's computation (None when the ceiling is a fixed number)."""
        _ = self.ceiling
        if self._ceiling_resampler is None and self._ceiling_source is not None:
            from brainmark.metrics import load_ceiling

            name, params, data = self._ceiling_source
            self._ceiling_resampler = computed(load_ceiling(name, **params), data).resampler
        return self._ceiling_resampler

    # --- scoring ------------------------------------------------------------------------------------------
    @abstractmethod
    def _score(self, model: Any) -> Any:
        """The raw computation on ``model``: a :class:`~brainmark.metrics.base.Computed` (Score, no ceiling
        applied, with ``meta`` describing how it was obtained, and the resampler of what it computed)."""

    def __call__(self, model: Any) -> Score:
        """Run the experiment on ``model``: the ceiled score with its interval and provenance."""
        result = self._score(model)
        ceiled = result.score.with_ceiling(self.ceiling, self.convention).with_meta(**self.provenance())
        return self.with_interval(ceiled, result.resampler, self.ceiling_resampler(), self.convention)

    def with_interval(self, score: Score, resampler: Any, ceiling_resampler: Any, convention: str | None) -> Score:
        """``score`` with its bootstrap interval, replicates and split-half scores (see the class docstring)."""
        from brainmark.benchmarks.intervals import add_interval

        return add_interval(score, resampler, ceiling_resampler, convention, self.bootstrap)

    def provenance(self) -> dict[str, Any]:
        """What identifies this benchmark in a score: identifier, version, kind, region, datasets, convention."""
        return {
            "benchmark": self.identifier,
            "benchmark_version": self.version,
            "kind": self.kind,
            "region": self.region,
            "datasets": list(self.datasets),
            "convention": self.convention,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.identifier!r}, version={self.version})"


#: Benchmark identifier -> factory ``(**options) -> Benchmark``; extensible by the ``brainmark.benchmarks``
#: entry-point group.
BENCHMARKS: Registry[Benchmark] = Registry("benchmark", "brainmark.benchmarks")


class BenchmarkFactory:
    """A registered benchmark: ``factory(**options)`` builds it; ``offline``/``kind``/``region``/``description``
    can be listed without constructing it (or touching its data)."""

    def __init__(self, build: Callable[..., Benchmark], *, offline: bool, kind: str, region: str | None,
                 description: str, params: dict[str, Any] | None = None) -> None:
        self.build, self.offline, self.kind, self.region, self.description = build, offline, kind, region, description
        self.defaults = dict(params or {})

    def __call__(self, **options: Any) -> Benchmark:
        """Build the benchmark; ``bootstrap=`` (a BootstrapScheme or None) sets its intervals."""
        bootstrap = options.pop("bootstrap", _DEFAULT)
        benchmark = self.build(**{**self.defaults, **options})
        if bootstrap is not _DEFAULT and isinstance(benchmark, Benchmark):
            benchmark.bootstrap = bootstrap
        return benchmark


def register_benchmark(identifier: str, build: Callable[..., Benchmark], *, offline: bool = True, kind: str = NEURAL,
                       region: str | None = None, description: str = "", params: dict[str, Any] | None = None,
                       replace: bool = False) -> BenchmarkFactory:
    """Register ``build(identifier=identifier, **params, **options)`` as benchmark ``identifier``."""
    factory = BenchmarkFactory(build, offline=offline, kind=kind, region=region, description=description,
                               params={"identifier": identifier, **(params or {})})
    BENCHMARKS.register(identifier, factory, replace=replace)
    return factory


def load_benchmark(identifier: str, **options: Any) -> Benchmark:
    """The benchmark registered as ``identifier`` (e.g. ``"Cowley2023.V4-pls"``), constructed with ``options``."""
    benchmark = BENCHMARKS.load(identifier, **options)
    if not isinstance(benchmark, Benchmark):
        raise BenchmarkError(f"the factory registered as benchmark {identifier!r} returned {type(benchmark).__name__}, not a Benchmark")
    return benchmark


def benchmark_identifiers(offline_only: bool = False) -> list[str]:
    """All registered benchmark identifiers (sorted); with ``offline_only`` those that need no network."""
    names = BENCHMARKS.names()
    if not offline_only:
        return names
    return [n for n in names if getattr(BENCHMARKS.factory(n), "offline", True)]


def nan_score(reason: str, **meta: Any) -> Score:
    """A score that could not be computed, with the reason in ``meta``."""
    return Score(raw=math.nan, meta={"failed": reason, **meta})
