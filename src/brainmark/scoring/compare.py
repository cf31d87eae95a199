"""Which differences between models are real: paired comparisons, rankings and benchmark reliability from results
records alone (``brainmark compare A.json B.json ...`` / :func:`compare`).

Every benchmark score carries the bootstrap replicates of its ceiled value; two records of the same benchmark data
drew the same resamples (their ``meta["bootstrap"]["key"]`` is equal), so replicate differences are paired
(:mod:`brainmark.stats.inference`). Records made on different machines compare as long as they used the same
benchmark version, data, stimuli and resampling scheme; anything else is refused with the reason.

- Comparisons: for each pair of models, every benchmark both scored and every composite (recomputed over the
  benchmarks both scored when their sets differ, and said so), with the difference, its interval and a two-sided
  p-value, adjusted across all comparisons (Holm by default, or Benjamini-Hochberg).
- Rankings: per composite, over the benchmarks *every* model scored (the others are listed per model, never
  silently dropped or counted as zero): value, interval, rank, rank interval, and the group tied with the best
  (not significantly worse after adjustment). Composites are the records' own (``brainscore2018``,
  ``hierarchical``) plus ``zscore-mean`` and ``mean-rank`` across the compared models (Ahlert et al. 2024).
- Reliability: per benchmark, the Spearman-Brown corrected split-half (over stimuli) correlation across models.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from brainmark.errors import BrainmarkError
from brainmark.scoring.composites import compute_composites, replicates_of
from brainmark.scoring.results import BenchmarkResult, ResultsRecord
from brainmark.stats import inference, ranking

ACROSS_MODELS = ("zscore-mean", "mean-rank")


class ComparisonError(BrainmarkError, ValueError):
    """Records cannot be compared as given (the message names the record and what to do)."""


@dataclass(frozen=True)
class PairedComparison:
    """Model ``a`` minus model ``b`` on one benchmark or composite."""

    a: str
    b: str
    benchmark: str
    kind: str  # "benchmark" | "composite"
    difference: float
    ci: tuple[float, float]
    p: float
    p_adjusted: float
    level: float
    higher_is_better: bool = True
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN as None)."""
        from brainmark._json import to_jsonable

        return to_jsonable(asdict(self))


@dataclass(frozen=True)
class RankRow:
    """One model in a ranking."""

    model: str
    value: float
    ci: tuple[float, float]
    rank: float
    rank_ci: tuple[float, float]
    tied_with_best: bool
    p_vs_best: float


@dataclass(frozen=True)
class Ranking:
    """The models ordered on one composite, over the benchmarks all of them scored."""

    composite: str
    higher_is_better: bool
    benchmarks: list[str]
    rows: list[RankRow]
    left_out: dict[str, list[str]] = field(default_factory=dict)  # model -> benchmarks it scored beyond the set


@dataclass(frozen=True)
class Reliability:
    """How reliably a benchmark orders the compared models."""

    benchmark: str
    reliability: float
    n_models: int


@dataclass(frozen=True)
class ComparisonReport:
    """Everything :func:`compare` found (``to_dict()`` is what ``--json`` writes)."""

    models: list[str]
    comparisons: list[PairedComparison]
    rankings: list[Ranking]
    reliability: list[Reliability]
    adjust: str
    level: float
    alpha: float
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        """``{"comparisons": [...], "rankings": [...], "reliability": [...], ...}``."""
        from brainmark._json import to_jsonable

        return to_jsonable({
            "models": self.models, "adjust": self.adjust, "level": self.level, "alpha": self.alpha,
            "comparisons": [c.to_dict() for c in self.comparisons],
            "rankings": [asdict(r) for r in self.rankings], "reliability": [asdict(r) for r in self.reliability],
            "notes": self.notes,
        })


# --- loading and compatibility ----------------------------------------------------------------------------------
def _load(records: Sequence[ResultsRecord | str | Path]) -> list[ResultsRecord]:
    loaded = [r if isinstance(r, ResultsRecord) else ResultsRecord.load(r) for r in records]
    if len(loaded) < 2:
        raise ComparisonError("compare needs at least two results records (one per model), got "
                              f"{len(loaded)}; score another model first, e.g. `brainmark score resnet18 --untrained`")
    names = [r.model_identifier for r in loaded]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ComparisonError(f"several records of model(s) {duplicated}: compare one record per model")
    return loaded


def _usable(record: ResultsRecord) -> dict[str, BenchmarkResult]:
    return {s.benchmark: s for s in record.scores if not s.score.meta.get("failed")}


def _check_pairable(name: str, a: ResultsRecord, x: BenchmarkResult, b: ResultsRecord, y: BenchmarkResult) -> None:
    """Refuse, with the reason and what to do, unless ``x`` and ``y`` can be compared by a paired bootstrap."""
    for record, entry in ((a, x), (b, y)):
        if replicates_of(entry.score) is None:
            raise ComparisonError(
                f"the record of {record.model_identifier!r} has no bootstrap replicates for {name!r} (an older "
                "results file, or intervals turned off); rescore it with this brainmark version")
    checks = (("benchmark version", x.benchmark_version, y.benchmark_version),
              ("data checksum", x.score.meta.get("data_checksum"), y.score.meta.get("data_checksum")),
              ("stimulus set", x.score.meta.get("stimulus_set_hash"), y.score.meta.get("stimulus_set_hash")),
              ("resampling scheme", x.score.meta["bootstrap"].get("key"), y.score.meta["bootstrap"].get("key")))
    for what, left, right in checks:
        if left != right:
            raise ComparisonError(
                f"{name!r} differs in {what} between {a.model_identifier!r} ({left}) and {b.model_identifier!r} "
                f"({right}): rescore both with the same brainmark and benchmark version")


def _level(records: list[ResultsRecord]) -> float:
    levels = {float(s.score.meta["bootstrap"]["level"]) for r in records for s in r.scores
              if isinstance(s.score.meta.get("bootstrap"), dict) and "level" in s.score.meta["bootstrap"]}
    if len(levels) > 1:
        raise ComparisonError(f"the records' intervals have different levels {sorted(levels)}; rescore with one level")
    return levels.pop() if levels else 0.95


# --- comparisons ------------------------------------------------------------------------------------------------
def _pair(name: str, kind: str, a: str, b: str, x: Any, y: Any, level: float, higher: bool = True,
          note: str = "") -> PairedComparison:
    _, ci, p = inference.paired_difference(replicates_of(x), replicates_of(y), level)
    return PairedComparison(a, b, name, kind, float(x) - float(y), ci, p, math.nan, level, higher, note)


def _pair_comparisons(a: ResultsRecord, b: ResultsRecord, level: float) -> tuple[list[PairedComparison], list[str]]:
    ua, ub = _usable(a), _usable(b)
    common = sorted(set(ua) & set(ub))
    notes = [f"{sorted(set(u) - set(common))} scored by {r.model_identifier!r} only: not compared"
             for r, u in ((a, ua), (b, ub)) if set(u) - set(common)]
    out = []
    for name in common:
        _check_pairable(name, a, ua[name], b, ub[name])
        out.append(_pair(name, "benchmark", a.model_identifier, b.model_identifier, ua[name].score,
                         ub[name].score, level))
    ca = {c.identifier: c for c in compute_composites([ua[n] for n in common])}
    cb = {c.identifier: c for c in compute_composites([ub[n] for n in common])}
    for name in sorted(set(ca) & set(cb)):
        if replicates_of(ca[name].score) is None or replicates_of(cb[name].score) is None:
            continue
        stored = [sorted(c.components) for c in (*a.composites, *b.composites) if c.identifier == name]
        same = len(stored) == 2 and all(v == sorted(ca[name].components) for v in stored)
        note = "" if same else f"recomputed over the {len(ca[name].components)} benchmarks both models scored"
        out.append(_pair(name, "composite", a.model_identifier, b.model_identifier, ca[name].score,
                         cb[name].score, level, note=note))
    return out, notes


# --- rankings ---------------------------------------------------------------------------------------------------
def _composite_matrix(records: list[ResultsRecord], common: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per composite: (values (models,), replicates (models x B)) over the ``common`` benchmarks."""
    out: dict[str, tuple[list[float], list[np.ndarray]]] = {}
    for record in records:
        usable = _usable(record)
        for c in compute_composites([usable[n] for n in common]):
            reps = replicates_of(c.score)
            if reps is not None:
                out.setdefault(c.identifier, ([], []))
                out[c.identifier][0].append(float(c.score))
                out[c.identifier][1].append(reps)
    result = {k: (np.asarray(v), np.stack(r)) for k, (v, r) in out.items() if len(v) == len(records)}
    included = [n for n in common if not _usable(records[0])[n].score.meta.get("in_composites") is False]
    if included:
        values = np.asarray([[float(_usable(r)[n].score) for r in records] for n in included])  # benchmarks x models
        reps = np.stack([np.stack([replicates_of(_usable(r)[n].score) for r in records]) for n in included])
        result["zscore-mean"] = (ranking.zscore_mean(values), ranking.zscore_mean(reps))
        result["mean-rank"] = (ranking.mean_rank(values), ranking.mean_rank(reps))
    return result


def _ranking(name: str, values: np.ndarray, reps: np.ndarray, records: list[ResultsRecord], common: list[str],
             level: float, alpha: float, method: str) -> Ranking:
    higher = name != "mean-rank"
    from brainmark.stats.bootstrap import percentile_interval

    point_ranks = ranking.ranks(values, higher)
    rank_ci = ranking.rank_intervals(reps, level, higher)
    tied, p_best = ranking.tied_with_best(values, reps, alpha, method, higher)
    rows = [RankRow(r.model_identifier, float(values[i]), percentile_interval(reps[i], level), float(point_ranks[i]),
                    (float(rank_ci[i, 0]), float(rank_ci[i, 1])), bool(tied[i]), float(p_best[i]))
            for i, r in enumerate(records)]
    rows.sort(key=lambda row: row.rank)
    left_out = {r.model_identifier: sorted(set(_usable(r)) - set(common)) for r in records}
    return Ranking(name, higher, list(common), rows, {k: v for k, v in left_out.items() if v})


def _reliabilities(records: list[ResultsRecord], common: list[str]) -> list[Reliability]:
    out = []
    for name in common:
        halves = [_usable(r)[name].score.values.get("split_half") for r in records]
        if any(h is None for h in halves):
            continue
        value, n = ranking.benchmark_reliability(np.stack([np.asarray(h.values) for h in halves]))
        out.append(Reliability(name, value, n))
    return out


def compare(records: Sequence[ResultsRecord | str | Path], *, adjust: str = "holm",
            alpha: float = 0.05) -> ComparisonReport:
    """Paired comparisons, rankings and benchmark reliability of two or more results records (paths or records).

    Parameters
    ----------
    records : sequence of ResultsRecord or paths to results JSON files, one per model (at least two)
    adjust : ``holm`` (default), ``bh`` (Benjamini-Hochberg) or ``none``, applied across all comparisons
    alpha : significance level for the group tied with the best

    Returns
    -------
    ComparisonReport
    """
    if adjust not in inference.ADJUSTMENTS:
        raise ComparisonError(f"unknown adjustment {adjust!r}; choose one of {', '.join(inference.ADJUSTMENTS)}")
    loaded = _load(records)
    level = _level(loaded)
    comparisons, notes = [], []
    for a, b in itertools.combinations(loaded, 2):
        found, pair_notes = _pair_comparisons(a, b, level)
        comparisons += found
        notes += pair_notes
    adjusted = inference.adjust(np.asarray([c.p for c in comparisons]), adjust)
    comparisons = [PairedComparison(**{**asdict(c), "p_adjusted": float(p), "ci": c.ci})
                   for c, p in zip(comparisons, adjusted)]
    common = sorted(set.intersection(*[set(_usable(r)) for r in loaded]))  # every pair was checked above
    rankings = [_ranking(name, v, r, loaded, common, level, alpha, adjust)
                for name, (v, r) in sorted(_composite_matrix(loaded, common).items())] if common else []
    if not common:
        notes.append("no benchmark was scored by every model: no ranking")
    return ComparisonReport([r.model_identifier for r in loaded], comparisons, rankings,
                            _reliabilities(loaded, common), adjust, level, alpha, sorted(set(notes)))
