"""Composite scores over the benchmarks that were run, each named and versioned.

- ``brainscore2018`` (v1): the 2018 Brain-Score: the mean of a V4 score, an IT score and a behaviour score, each
  the mean ceiled score of the benchmarks of that group that ran (groups that did not run are left out).
- ``hierarchical`` (v1): benchmarks -> their region (V1, V2, V4, IT: mean per region) -> ``neural`` (mean over
  regions) ; behavioural benchmarks -> ``behavior`` ; overall = mean of ``neural`` and ``behavior``.

Errors propagate as for a mean of independent values: sqrt(sum of squared errors) / n at each level (components
without an error estimate contribute none). Intervals come from the same resamples: the composite of the b-th
bootstrap replicates of its components (independent datasets resampled independently) is the composite's b-th
replicate, and its percentile interval is the composite's ``ci``; when a component has no replicates the
composite has no interval (and says why in ``meta["bootstrap"]``).
Benchmarks whose ceiled score is not finite are left out and named in ``meta["excluded"]``, as are benchmarks
without a ceiling (their raw value is not on the ceiled scale).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from brainmark.scores import Score, per_unit
from brainmark.stats.bootstrap import percentile_interval
from brainmark.stats.correction import Replicates
from brainmark.scoring.results import BenchmarkResult, CompositeResult

BEHAVIOR = "behavior"


@dataclass(frozen=True)
class _Item:
    name: str
    value: float
    error: float
    replicates: Replicates | None = None  # bootstrap replicates of the ceiled value (None: no interval)


def _mean(items: Sequence[_Item]) -> _Item | None:
    if not items:
        return None
    values = np.array([i.value for i in items], dtype=float)
    errors = np.array([i.error for i in items], dtype=float)
    finite = np.isfinite(errors)
    # components without an error estimate (e.g. a single RDM) contribute none
    error = float(np.sqrt(np.sum(errors[finite] ** 2)) / len(items)) if finite.any() else math.nan
    reps = [i.replicates for i in items]
    same = all(r is not None for r in reps) and len({len(r) for r in reps}) == 1
    return _Item("", float(np.mean(values)), error, Replicates.mean(reps) if same else None)


def replicates_of(score: Score) -> Replicates | None:
    """The bootstrap replicates of a score's ceiled value (joint, stimulus-only, unit-only), or None."""
    names = ("bootstrap", "bootstrap_stimuli", "bootstrap_units")
    if not all(n in score.values for n in names):
        return None
    resampled = dict(score.meta.get("bootstrap", {}).get("resampled") or {})
    n_stimuli = resampled.pop("stimuli", None)
    n_units = next(iter(resampled.values()), None) if len(resampled) == 1 else None
    return Replicates(*(np.asarray(score.values[n].values, dtype=float) for n in names), n_stimuli, n_units)


def _group_of(result: BenchmarkResult) -> str | None:
    meta = result.score.meta
    if meta.get("kind") == "behavioral":
        return BEHAVIOR
    return meta.get("region")


def exclusion_reason(result: BenchmarkResult) -> str | None:
    """Why a benchmark result is left out of the composites (None: it counts)."""
    if result.score.meta.get("failed"):
        return "failed"
    if _group_of(result) is None:
        return "no region or behaviour group"
    if result.score.meta.get("in_composites") is False:
        return "reported only (not a brain-likeness benchmark)"
    if not_ceiled(result.score):
        return "no ceiling (its raw value is not on the ceiled scale)"
    if not math.isfinite(result.score.ceiled):
        return "ceiled score is not finite"
    return None


def _usable(results: Sequence[BenchmarkResult]) -> tuple[list[tuple[str, BenchmarkResult]], dict[str, str]]:
    usable, excluded = [], {}
    for r in results:
        reason = exclusion_reason(r)
        if reason is None:
            usable.append((_group_of(r), r))
        else:
            excluded[r.benchmark] = reason
    return usable, excluded


def not_ceiled(score: Score) -> bool:
    """True for a benchmark score without a real ceiling (its ceiling was set to 1 for want of one)."""
    ceiling_meta = score.meta.get("ceiling")
    text = ceiling_meta.get("ceiling", "") if isinstance(ceiling_meta, Mapping) else str(ceiling_meta or "")
    return str(text).startswith("none:")


def _by_group(usable: list[tuple[str, BenchmarkResult]]) -> dict[str, _Item]:
    groups: dict[str, list[_Item]] = {}
    for group, r in usable:
        err = r.score.ceiled_error
        groups.setdefault(group, []).append(_Item(r.benchmark, r.score.ceiled, err, replicates_of(r.score)))
    out = {}
    for group, items in sorted(groups.items()):
        mean = _mean(sorted(items, key=lambda i: i.name))
        if mean is not None:
            out[group] = mean
    return out


def _interval(value: _Item, scores: Sequence[Score]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The composite's interval fields, replicate values and bootstrap record, from its components' replicates."""
    levels = {s.meta.get("bootstrap", {}).get("level") for s in scores}
    keys = [s.meta.get("bootstrap", {}).get("key") for s in scores]
    if value.replicates is None or len(levels) != 1 or None in levels:
        why = "a component has no bootstrap replicates" if value.replicates is None else "components differ in level"
        return {}, {}, {"skipped": why}
    level = float(levels.pop())
    reps = value.replicates
    ci = percentile_interval(reps.corrected(value.value), level)
    record = {"method": "percentile, dual-bootstrap corrected (Schütt et al. 2023)",
              "from": "the composite of the components' replicates, resample by resample",
              "n_resamples": int(len(reps)), "level": level, "component_keys": keys}
    boot = {"bootstrap": per_unit(reps.joint, "resample"), "bootstrap_stimuli": per_unit(reps.stimuli, "resample"),
            "bootstrap_units": per_unit(reps.units, "resample")}
    return {"ci": ci, "ci_level": level}, boot, record


def _composite(identifier: str, version: int, value: _Item | None, parts: dict[str, _Item],
               usable: list[tuple[str, BenchmarkResult]], excluded: dict[str, str], description: str,
               **extra_meta: object) -> CompositeResult | None:
    if value is None:
        return None
    names = sorted(parts)
    scores = [r.score for _, r in usable]
    conventions = {s.convention for s in scores if s.convention}
    interval, boot_values, boot_record = _interval(value, scores)
    score = Score(
        raw=value.value,
        error=value.error,
        ceiled=value.value,
        ceiled_error=value.error,
        convention=None,  # a mean of ceiled scores: no ceiling of its own (the components' is in meta)
        values={"group": per_unit([parts[n].value for n in names], "group", names), **boot_values},
        meta={"composite": identifier, "composite_version": version, "description": description,
              "groups": {n: parts[n].value for n in names}, "excluded": sorted(excluded),
              "excluded_reasons": dict(sorted(excluded.items())), "bootstrap": boot_record,
              "conventions": sorted(conventions) if conventions else None, **extra_meta},
        **interval,
    )
    return CompositeResult(identifier, version, sorted(r.benchmark for _, r in usable), score)


def brainscore2018(results: Sequence[BenchmarkResult]) -> CompositeResult | None:
    """The 2018 Brain-Score: mean of the V4, IT and behaviour groups that ran."""
    usable, excluded = _usable(results)
    for g, r in usable:
        if g not in ("V4", "IT", BEHAVIOR):
            excluded[r.benchmark] = f"region {g} is not part of the 2018 composite (V4, IT, behaviour)"
    usable = [(g, r) for g, r in usable if g in ("V4", "IT", BEHAVIOR)]
    groups = _by_group(usable)
    return _composite("brainscore2018", 1, _mean(list(groups.values())), groups, usable, excluded,
                      "mean of V4, IT and behaviour (Schrimpf et al. 2018), over the groups that ran")


def hierarchical(results: Sequence[BenchmarkResult]) -> CompositeResult | None:
    """Benchmarks -> regions -> neural; neural and behaviour -> overall."""
    usable, excluded = _usable(results)
    groups = _by_group(usable)
    regions = {g: v for g, v in groups.items() if g != BEHAVIOR}
    top: dict[str, _Item] = {}
    neural = _mean(list(regions.values()))
    if neural is not None:
        top["neural"] = neural
    if BEHAVIOR in groups:
        top[BEHAVIOR] = groups[BEHAVIOR]
    return _composite("hierarchical", 1, _mean(list(top.values())), top, usable, excluded,
                      "regions -> neural; neural and behaviour -> overall",
                      regions={g: v.value for g, v in regions.items()})


@dataclass(frozen=True)
class GroupScore:
    """One group of the 2018 composite (V4, IT or behaviour): the mean ceiled score of its benchmarks."""

    group: str
    value: float
    error: float
    benchmarks: tuple[str, ...]
    ci: tuple[float, float] | None = None
    ci_level: float | None = None
    replicates: Replicates | None = None  # of the group's mean, resample by resample (None: no interval)


def brainscore2018_groups(results: Sequence[BenchmarkResult]) -> dict[str, GroupScore]:
    """The V4, IT and behaviour groups that :func:`brainscore2018` averages, each with its bootstrap interval."""
    usable, _ = _usable(results)
    usable = [(g, r) for g, r in usable if g in ("V4", "IT", BEHAVIOR)]
    out = {}
    for group, item in _by_group(usable).items():
        members = [r for g, r in usable if g == group]
        levels = {r.score.meta.get("bootstrap", {}).get("level") for r in members}
        ci, level, reps = None, None, item.replicates
        if len(members) == 1 and members[0].score.ci is not None:  # the benchmark's own interval (its counts known)
            ci, level, reps = members[0].score.ci, members[0].score.ci_level, replicates_of(members[0].score)
        elif item.replicates is not None and len(levels) == 1 and None not in levels:
            level = float(levels.pop())
            ci = percentile_interval(item.replicates.corrected(item.value), level)
        out[group] = GroupScore(group, item.value, item.error, tuple(sorted(r.benchmark for r in members)), ci, level,
                                reps)
    return out


def _weighted_mean(items: Sequence[_Item], weights: Sequence[float]) -> _Item | None:
    w = np.asarray(weights, dtype=float)
    if not items or w.sum() <= 0:
        return None
    w = w / w.sum()
    values = np.array([i.value for i in items], dtype=float)
    errors = np.array([i.error for i in items], dtype=float)
    finite = np.isfinite(errors)
    error = float(np.sqrt(np.sum((w[finite] * errors[finite]) ** 2))) if finite.any() else math.nan
    reps = [i.replicates for i in items]
    combined = None
    if all(r is not None for r in reps) and len({len(r) for r in reps}) == 1:
        combined = Replicates(*(np.tensordot(w, np.stack([getattr(r, k) for r in reps]), axes=1)
                                for k in ("joint", "stimuli", "units")))
    return _Item("", float(values @ w), error, combined)


def weighted(results: Sequence[BenchmarkResult], weights: Mapping[str, float]) -> CompositeResult | None:
    """The weighted mean of the ceiled scores of the benchmarks given a positive weight (the others and those
    left out of composites are named in ``meta["excluded"]``); weights are renormalised over the benchmarks that
    ran, and the interval is the weighted mean of the components' replicates, resample by resample."""
    usable, excluded = _usable(results)
    for g, r in usable:
        if not weights.get(r.benchmark, 0) > 0:
            excluded[r.benchmark] = "weight 0 (not chosen)"
    usable = sorted(((g, r) for g, r in usable if weights.get(r.benchmark, 0) > 0), key=lambda gr: gr[1].benchmark)
    items = [_Item(r.benchmark, r.score.ceiled, r.score.ceiled_error, replicates_of(r.score)) for _, r in usable]
    chosen = {r.benchmark: float(weights[r.benchmark]) for _, r in usable}
    value = _weighted_mean(items, list(chosen.values()))
    parts = {i.name: i for i in items}
    total = sum(chosen.values())
    return _composite("weighted", 1, value, parts, usable, excluded,
                      "weighted mean of the chosen benchmarks' ceiled scores (weights renormalised over those that ran)",
                      weights={k: v / total for k, v in chosen.items()} if total else {})


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
