"""Composite scores over the benchmarks that were run, each named and versioned.

- ``brainscore2018`` (v1): the 2018 Brain-Score: the mean of a V4 score, an IT score and a behaviour score, each
  the mean ceiled score of the benchmarks of that group that ran (groups that did not run are left out).
- ``hierarchical`` (v1): benchmarks -> their region (V1, V2, V4, IT: mean per region) -> ``neural`` (mean over
  regions) ; behavioural benchmarks -> ``behavior`` ; overall = mean of ``neural`` and ``behavior``.

Errors propagate as for a mean of independent values: sqrt(sum of squared errors) / n at each level (components
without an error estimate contribute none).
Benchmarks whose ceiled score is not finite are left out and named in ``meta["excluded"]``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from brainmark.scores import Score, per_unit
from brainmark.scoring.results import BenchmarkResult, CompositeResult

BEHAVIOR = "behavior"


@dataclass(frozen=True)
class _Item:
    name: str
    value: float
    error: float


def _mean(items: Sequence[_Item]) -> _Item | None:
    if not items:
        return None
    values = np.array([i.value for i in items], dtype=float)
    errors = np.array([i.error for i in items], dtype=float)
    finite = np.isfinite(errors)
    # components without an error estimate (e.g. a single RDM) contribute none
    error = float(np.sqrt(np.sum(errors[finite] ** 2)) / len(items)) if finite.any() else math.nan
    return _Item("", float(np.mean(values)), error)


def _group_of(result: BenchmarkResult) -> str | None:
    meta = result.score.meta
    if meta.get("kind") == "behavioral":
        return BEHAVIOR
    return meta.get("region")


def _usable(results: Sequence[BenchmarkResult]) -> tuple[list[tuple[str, BenchmarkResult]], list[str]]:
    usable, excluded = [], []
    for r in results:
        group = _group_of(r)
        if group is None or not math.isfinite(r.score.ceiled) or r.score.meta.get("in_composites") is False:
            excluded.append(r.benchmark)
        else:
            usable.append((group, r))
    return usable, excluded


def _by_group(usable: list[tuple[str, BenchmarkResult]]) -> dict[str, _Item]:
    groups: dict[str, list[_Item]] = {}
    for group, r in usable:
        err = r.score.ceiled_error
        groups.setdefault(group, []).append(_Item(r.benchmark, r.score.ceiled, err))
    out = {}
    for group, items in sorted(groups.items()):
        mean = _mean(sorted(items, key=lambda i: i.name))
        if mean is not None:
            out[group] = mean
    return out


def _composite(identifier: str, version: int, value: _Item | None, parts: dict[str, _Item], components: list[str],
               excluded: list[str], conventions: set[str], description: str, **extra_meta: object) -> CompositeResult | None:
    if value is None:
        return None
    names = sorted(parts)
    score = Score(
        raw=value.value,
        error=value.error,
        ceiled=value.value,
        ceiled_error=value.error,
        convention=None,  # a mean of ceiled scores: no ceiling of its own (the components' is in meta)
        values={"group": per_unit([parts[n].value for n in names], "group", names)},
        meta={"composite": identifier, "composite_version": version, "description": description,
              "groups": {n: parts[n].value for n in names}, "excluded": sorted(excluded),
              "conventions": sorted(conventions) if conventions else None, **extra_meta},
    )
    return CompositeResult(identifier, version, sorted(components), score)


def brainscore2018(results: Sequence[BenchmarkResult]) -> CompositeResult | None:
    """The Brain-Score 2018 composite: mean of V4, IT and behaviour (None when nothing is usable)."""
    usable, excluded = _usable(results)
    usable = [(g, r) for g, r in usable if g in ("V4", "IT", BEHAVIOR)]
    excluded += [r.benchmark for r in results if _group_of(r) not in ("V4", "IT", BEHAVIOR, None) and r.benchmark not in excluded]
    groups = _by_group(usable)
    conventions = {r.score.convention for _, r in usable if r.score.convention}
    return _composite("brainscore2018", 1, _mean(list(groups.values())), groups, [r.benchmark for _, r in usable],
                      excluded, conventions, "mean of V4, IT and behaviour (Schrimpf et al. 2018), over the groups that ran")


def hierarchical(results: Sequence[BenchmarkResult]) -> CompositeResult | None:
    """The hierarchical composite: regions -> neural; neural and behaviour -> overall."""
    usable, excluded = _usable(results)
    groups = _by_group(usable)
    regions = {g: v for g, v in groups.items() if g != BEHAVIOR}
    top: dict[str, _Item] = {}
    neural = _mean(list(regions.values()))
    if neural is not None:
        top["neural"] = neural
    if BEHAVIOR in groups:
        top[BEHAVIOR] = groups[BEHAVIOR]
    conventions = {r.score.convention for _, r in usable if r.score.convention}
    return _composite("hierarchical", 1, _mean(list(top.values())), top, [r.benchmark for _, r in usable],
                      excluded, conventions, "regions -> neural; neural and behaviour -> overall",
                      regions={g: v.value for g, v in regions.items()})


#: Composite identifier -> function of the benchmark results.
COMPOSITES: dict[str, Callable[[Sequence[BenchmarkResult]], CompositeResult | None]] = {
    "brainscore2018": brainscore2018,
    "hierarchical": hierarchical,
}


def compute_composites(results: Sequence[BenchmarkResult]) -> list[CompositeResult]:
    """Every composite that has at least one usable component."""
    out = []
    for fn in COMPOSITES.values():
        composite = fn(results)
        if composite is not None:
            out.append(composite)
    return out
