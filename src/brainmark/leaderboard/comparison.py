"""Two models side by side: each benchmark's ceiled scores with intervals and, where the records allow a paired
bootstrap, the difference, its interval and the adjusted p-value from :func:`brainmark.compare`.

The records are rebuilt from the board's rows (the newest benchmark versions). ``brainmark.compare`` refuses a
pair of records as a whole when one benchmark cannot be paired (no replicates in an older record, other data or
benchmark version): here such benchmarks are found one by one, listed with compare's reason, and the others are
still compared, with the p-values adjusted across the comparisons actually made.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from brainmark.leaderboard.boardview import Interval
from brainmark.leaderboard.db import Model
from brainmark.leaderboard.snapshot import Snapshot
from brainmark.leaderboard.store import export_record, row_interval


@dataclass
class Line:
    """One benchmark or composite of the comparison."""

    name: str
    kind: str  # "benchmark" | "composite"
    group: str
    a: Interval | None
    b: Interval | None
    comparison: Any = None  # brainmark.scoring.compare.PairedComparison
    reason: str = ""  # why there is no comparison


@dataclass
class Comparison:
    """The comparison of models ``a`` and ``b`` (``error``: why none could be made at all)."""

    a: Model
    b: Model
    adjust: str
    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""
    level: float | None = None

    @property
    def benchmarks(self) -> list[Line]:
        """The per-benchmark lines."""
        return [line for line in self.lines if line.kind == "benchmark"]

    @property
    def composites(self) -> list[Line]:
        """The composite lines."""
        return [line for line in self.lines if line.kind == "composite"]


def _interval(row: Any) -> Interval | None:
    if row is None:
        return None
    ci = row_interval(row)
    return Interval(row.ceiled, None if ci is None else (ci[0], ci[1]), None if ci is None else ci[2])


def _only(record: Any, names: set[str]) -> Any:
    return dataclasses.replace(record, scores=[s for s in record.scores if s.benchmark in names], composites=[])


def _unpairable(ra: Any, rb: Any, common: list[str], adjust: str) -> dict[str, str]:
    """Benchmarks ``brainmark.compare`` refuses to pair, with its reason."""
    from brainmark.scoring.compare import ComparisonError, compare

    out = {}
    for name in common:
        try:
            compare([_only(ra, {name}), _only(rb, {name})], adjust=adjust)
        except ComparisonError as exc:
            out[name] = str(exc)
    return out


def compare_models(snapshot: Snapshot, a: Model, b: Model, adjust: str = "holm") -> Comparison:
    """Side-by-side scores and paired comparisons of two models on the board's benchmark columns."""
    from brainmark.scoring.compare import ComparisonError, compare

    result = Comparison(a, b, adjust)
    cells_a, cells_b = snapshot.column_cells(a), snapshot.column_cells(b)
    ra, rb = export_record(a, cells_a.values()), export_record(b, cells_b.values())
    names_a = {k[0] for k in cells_a}
    names_b = {k[0] for k in cells_b}
    common = sorted(names_a & names_b)
    try:
        report = compare([ra, rb], adjust=adjust)
        refused: dict[str, str] = {}
    except ComparisonError as exc:
        refused = _unpairable(ra, rb, common, adjust)
        if not refused:  # the refusal was about the records as a whole (e.g. the same model twice)
            result.error = str(exc)
            report = None
        else:
            keep = set(common) - set(refused)
            report = compare([_only(ra, keep), _only(rb, keep)], adjust=adjust) if keep else None
    found = {c.benchmark: c for c in (report.comparisons if report else [])}
    result.level = report.level if report else None
    result.notes = list(report.notes) if report else []
    from brainmark.leaderboard.view import GROUPS

    order = sorted(snapshot.columns, key=lambda c: (GROUPS.index(snapshot.groups.get(c.identifier, "other")), c.identifier))
    for column in order:
        name = column.identifier
        if name not in names_a | names_b:
            continue
        key = (name, column.version)
        if name in found:
            reason = ""
        elif name in refused:
            reason = refused[name]
        elif name in names_a and name in names_b:
            reason = "not compared (a failed score)"
        else:
            reason = f"scored by {a.identifier if name in names_a else b.identifier} only"
        result.lines.append(Line(name, "benchmark", snapshot.groups.get(name, "other"), _interval(cells_a.get(key)),
                                 _interval(cells_b.get(key)), found.get(name), reason))
    values = {(rank.composite, row.model): Interval(row.value, row.ci, result.level)
              for rank in (report.rankings if report else []) for row in rank.rows}
    counted = _composite_components(ra, set(found))
    for name, c in sorted(found.items()):
        if c.kind == "composite":
            n = len(counted.get(name, []))
            result.lines.append(Line(name, "composite", "", values.get((name, a.identifier)),
                                     values.get((name, b.identifier)), c,
                                     f"over the {n} benchmark{'s' if n != 1 else ''} both models scored that count in it"))
    return result


def _composite_components(record: Any, compared: set[str]) -> dict[str, list[str]]:
    """Composite -> the compared benchmarks it averages (what the paired composites were computed over)."""
    from brainmark.scoring.composites import compute_composites

    return {c.identifier: list(c.components)
            for c in compute_composites([s for s in record.scores if s.benchmark in compared])}
