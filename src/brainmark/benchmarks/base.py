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


class BenchmarkError(BrainmarkError):
    """A benchmark cannot run (missing data, a model that cannot do the task...)."""


class Benchmark(ABC):
    """Base class of all benchmarks.

    Subclasses set the class attributes (or pass them to ``__init__``) and implement :meth:`_compute_ceiling`
    and :meth:`_score`. The ceiling is computed once per process and cached on disk
    (``$BRAINMARK_HOME/ceilings``) by :mod:`brainmark.benchmarks.ceilings`.
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
        self.convention = check_convention(convention)
        self._ceiling: Score | None = None

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

    # --- scoring ------------------------------------------------------------------------------------------
    @abstractmethod
    def _score(self, model: Any) -> Score:
        """The raw score of ``model`` (no ceiling applied), with ``meta`` describing how it was obtained."""

    def __call__(self, model: Any) -> Score:
        raw = self._score(model)
        ceiled = raw.with_ceiling(self.ceiling, self.convention)
        return ceiled.with_meta(**self.provenance())

    def provenance(self) -> dict[str, Any]:
        """What every score of this benchmark records: identifier, version, kind, region, datasets, convention."""
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
        return self.build(**{**self.defaults, **options})


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
