"""``brainmark verify``: recompute a results record with the same model, options and benchmarks, and diff."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TypeVar

from brainmark.scoring.results import ResultsRecord

T = TypeVar("T")
#: The numbers compared for each score (plus the interval's bounds: intervals are seeded, so they recompute exactly).
FIELDS = ("raw", "error", "ceiling", "ceiling_error", "ceiled", "ceiled_error")


@dataclass(frozen=True)
class Difference:
    """One value that differs between the recorded and the recomputed record."""
    item: str
    field: str
    recorded: Any
    recomputed: Any
    difference: float | None


@dataclass
class VerifyReport:
    """The outcome of a verification: the differences and how many values were compared."""
    differences: list[Difference] = field(default_factory=list)
    compared: int = 0
    n_scores: int = 0
    n_composites: int = 0

    @property
    def identical(self) -> bool:
        """Whether no difference was found."""
        return not self.differences


def _same(a: float, b: float, tolerance: float) -> bool:
    if math.isnan(a) and math.isnan(b):
        return True
    return abs(a - b) <= tolerance


def compare_records(recorded: ResultsRecord, recomputed: ResultsRecord, tolerance: float = 0.0) -> VerifyReport:
    """Every score field, benchmark version, committed layer and composite of ``recorded`` vs ``recomputed``."""
    report = VerifyReport(n_scores=len(recorded.scores), n_composites=len(recorded.composites))
    for item, old, new in _found_again(report, recorded.scores, recomputed.scores, lambda s: s.benchmark):
        for name, a, b in (("benchmark_version", old.benchmark_version, new.benchmark_version), ("layer", old.layer, new.layer)):
            report.compared += 1
            if a != b:
                report.differences.append(Difference(item, name, a, b, None))
        _compare_scores(report, item, old.score, new.score, tolerance)
    for item, old, new in _found_again(report, recorded.composites, recomputed.composites, lambda c: c.identifier):
        _compare_scores(report, item, old.score, new.score, tolerance)
    return report


def _found_again(report: VerifyReport, recorded: Iterable[T], recomputed: Iterable[T],
                 key: Callable[[T], str]) -> Iterator[tuple[str, T, T]]:
    """(key, recorded, recomputed) of each recorded entry; one that was not recomputed is a ``missing`` difference."""
    by_key = {key(entry): entry for entry in recomputed}
    for old in recorded:
        new = by_key.get(key(old))
        if new is None:
            report.differences.append(Difference(key(old), "missing", "present", "absent", None))
            continue
        yield key(old), old, new


def _numbers(score: Any) -> dict[str, float]:
    """The compared numbers of a score: :data:`FIELDS` and the interval's bounds (NaN when it has none)."""
    ci = score.ci if score.ci is not None else (math.nan, math.nan)
    return {**{name: float(getattr(score, name)) for name in FIELDS}, "ci_low": float(ci[0]), "ci_high": float(ci[1])}


def _compare_scores(report: VerifyReport, item: str, old: Any, new: Any, tolerance: float) -> None:
    recorded, recomputed = _numbers(old), _numbers(new)
    for name in recorded:
        a, b = recorded[name], recomputed[name]
        report.compared += 1
        if not _same(a, b, tolerance):
            diff = abs(a - b) if math.isfinite(a) and math.isfinite(b) else None
            report.differences.append(Difference(item, name, a, b, diff))
    report.compared += 1
    if old.convention != new.convention:
        report.differences.append(Difference(item, "convention", old.convention, new.convention, None))


def verify(path: str | Path, *, tolerance: float = 0.0,
           rescore: Callable[..., ResultsRecord] | None = None) -> VerifyReport:
    """Load ``path``, score the same model (same options) on the same benchmarks again, and compare."""
    recorded = ResultsRecord.load(path)
    if rescore is None:
        from brainmark.scoring.api import score_model as rescore
    benchmarks = [s.benchmark for s in recorded.scores]
    conventions = {s.score.convention for s in recorded.scores if s.score.convention}
    options = dict(recorded.model.get("options") or {})
    kwargs: dict[str, Any] = {"model_options": options, "errors": "record"}
    if len(conventions) == 1:
        kwargs["convention"] = conventions.pop()
    recomputed = rescore(recorded.model_identifier, benchmarks, **kwargs)
    return compare_records(recorded, recomputed, tolerance)
