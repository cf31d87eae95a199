"""The ranked board of one view: composites with intervals, the group tied with the best, column groups, filters.

- Composite per model over the view's benchmarks (:mod:`brainmark.scoring.composites`: ``hierarchical`` by
  default, ``brainscore2018``, or ``weighted`` with the visitor's weights), with its bootstrap interval from the
  components' replicates. Benchmarks left out of composites (no ceiling, accuracy, ...) are named with the reason.
- Ranking statistics, as ``brainmark compare`` computes them (:mod:`brainmark.stats.ranking`: rank intervals
  and paired tests against the best, Holm-adjusted), among the models shown that scored every counted benchmark
  of the view with the same resamples. Models with fewer benchmarks keep their composite over what they have and
  are marked partial: they are never ranked against the others without saying so.
- Column groups: one aggregate column per region and for behaviour (the mean of the group's counted benchmarks,
  with its interval), each expandable into its benchmarks.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from brainmark.leaderboard.db import Benchmark, Model, User
from brainmark.leaderboard.facets import Facets, model_facets
from brainmark.leaderboard.snapshot import Snapshot
from brainmark.leaderboard.store import imagenet_top1, row_interval, visible
from brainmark.leaderboard.view import GROUPS, View

ALPHA = 0.05
GROUP_LABELS = {"V1": "V1", "V2": "V2", "V4": "V4", "IT": "IT", "behavior": "Behaviour", "other": "Other"}
DESCRIPTIONS = {
    "hierarchical": "brainmark's hierarchical composite (v1): ceiled scores averaged per region, regions averaged "
                    "into a neural score, then neural and behaviour averaged",
    "brainscore2018": "the 2018 Brain-Score: the mean of the V4, IT and behaviour scores (each the mean of its "
                      "benchmarks); other regions are left out",
    "weighted": "the weighted mean of the chosen benchmarks' ceiled scores, Σ wᵢ sᵢ / Σ wᵢ over the benchmarks a "
                "model has (its interval: the same weighted mean of the bootstrap replicates, resample by resample)",
}


@dataclass(frozen=True)
class Interval:
    """A value with its confidence interval (``ci`` None when there is none)."""

    value: float | None
    ci: tuple[float, float] | None = None
    level: float | None = None


@dataclass
class Group:
    """A column group: a region or behaviour, with its benchmark columns in this view."""

    name: str
    label: str
    benchmarks: list[Benchmark]


@dataclass
class ViewRow:
    """One model on the board of a view."""

    model: Model
    composite: Interval
    components: list[str]
    cells: dict[tuple[str, int], Any]
    groups: dict[str, Interval]
    top1: float | None
    facets: Facets
    missing: list[str] = field(default_factory=list)  # counted benchmarks this model lacks (partial row)
    position: int | None = None
    rank_ci: tuple[float, float] | None = None
    tied: bool | None = None  # None: not in the ranking statistics
    p_vs_best: float | None = None
    replicates: Any = None

    def interval(self, benchmark: Benchmark) -> Interval | None:
        """The ceiled score of ``benchmark`` with its interval, or None when the model has none."""
        row = self.cells.get((benchmark.identifier, benchmark.version))
        if row is None:
            return None
        ci = row_interval(row)
        return Interval(row.ceiled, None if ci is None else (ci[0], ci[1]), None if ci is None else ci[2])


@dataclass
class BoardView:
    """Everything the board page, its exports and ``/api/leaderboard`` show for one view."""

    view: View
    snapshot: Snapshot
    benchmarks: list[Benchmark]
    groups: list[Group]
    rows: list[ViewRow]
    excluded: dict[str, str]
    counted: list[str]
    description: str
    stats_note: str
    level: float | None
    notes: list[str]
    options: dict[str, list[str]]

    @property
    def compared(self) -> list[ViewRow]:
        """The rows in the ranking statistics."""
        return [r for r in self.rows if r.tied is not None]

    def records(self) -> list[Any]:
        """The results records of the models shown, on the view's benchmarks only (what report pages get)."""
        from brainmark.leaderboard.store import export_record

        shown = {(b.identifier, b.version) for b in self.benchmarks}

        def build() -> list[Any]:
            return [export_record(r.model, [c for k, c in r.cells.items() if k in shown])
                    for r in self.rows if any(k in shown for k in r.cells)]

        return self.snapshot.memoised(("records", self.view.key(), tuple(r.model.id for r in self.rows)), build)


def _composite(snapshot: Snapshot, view: View, model: Model, columns: list[Benchmark]) -> Any:
    """The model's composite over the view's benchmarks (memoised per snapshot and view)."""
    from brainmark.scoring.composites import brainscore2018, hierarchical, weighted

    def build() -> Any:
        cells = snapshot.column_cells(model)
        results = [snapshot.result(cells[(b.identifier, b.version)]) for b in columns
                   if (b.identifier, b.version) in cells]
        if not results:
            return None
        if view.composite == "weighted":
            return weighted(results, {b.identifier: view.weight(b.identifier) for b in columns})
        return (brainscore2018 if view.composite == "brainscore2018" else hierarchical)(results)

    key = ("composite", view.composite, view.weights if view.composite == "weighted" else None,
           tuple(b.id for b in columns), model.id)
    return snapshot.memoised(key, build)


def _group_value(snapshot: Snapshot, model: Model, group: Group) -> Interval:
    """The mean of the group's counted benchmarks for ``model`` (the hierarchical composite of that group alone)."""
    from brainmark.scoring.composites import hierarchical

    def build() -> Interval:
        cells = snapshot.column_cells(model)
        results = [snapshot.result(cells[(b.identifier, b.version)]) for b in group.benchmarks
                   if (b.identifier, b.version) in cells]
        comp = hierarchical(results) if results else None
        return _interval(comp.score) if comp is not None else Interval(None)

    return snapshot.memoised(("group", group.name, tuple(b.id for b in group.benchmarks), model.id), build)


def _interval(score: Any) -> Interval:
    value = float(score.ceiled)
    return Interval(value if math.isfinite(value) else None, score.ci, score.ci_level)


def _matches(view: View, model: Model, facets: Facets) -> bool:
    if view.q and view.q.lower() not in model.identifier.lower():
        return False
    if view.family and (facets.family or "unknown") not in view.family:
        return False
    if view.training and (facets.training_data or "unknown") not in view.training:
        return False
    if view.trained and facets.weights != view.trained:
        return False
    count = facets.parameter_count
    if view.params_min is not None and (count is None or count < view.params_min * 1e6):
        return False
    if view.params_max is not None and (count is None or count > view.params_max * 1e6):
        return False
    return True


def _options(facets: list[Facets]) -> dict[str, list[str]]:
    return {"family": sorted({f.family or "unknown" for f in facets}),
            "training": sorted({f.training_data or "unknown" for f in facets})}


def column_groups(snapshot: Snapshot, columns: list[Benchmark]) -> list[Group]:
    """``columns`` grouped by region and behaviour, in the board's group order."""
    groups = [Group(g, GROUP_LABELS[g], [b for b in columns if snapshot.groups.get(b.identifier, "other") == g])
              for g in GROUPS]
    return [g for g in groups if g.benchmarks]


def build_view(snapshot: Snapshot, view: View, user: User | None) -> BoardView:
    """The board of ``view`` for ``user`` (who sees public models and their own)."""
    known = {b.identifier for b in snapshot.columns}
    notes = [f"weight given for {b}, which is not on the board: ignored" for b, _ in view.weights if b not in known]
    columns = [b for b in snapshot.columns if view.weight(b.identifier) > 0]
    groups = column_groups(snapshot, columns)
    everyone = [(m, model_facets(m.identifier, m.model_metadata or {})) for m in snapshot.models if visible(m, user)]
    rows, excluded = [], {}
    for model, facets in everyone:
        if not _matches(view, model, facets):
            continue
        comp = _composite(snapshot, view, model, columns)
        if comp is not None:
            for name, reason in (comp.score.meta.get("excluded_reasons") or {}).items():
                excluded.setdefault(name, reason)
        rows.append(ViewRow(
            model=model, composite=_interval(comp.score) if comp is not None else Interval(None),
            components=sorted(comp.components) if comp is not None else [], cells=snapshot.column_cells(model),
            groups={g.name: _group_value(snapshot, model, g) for g in groups}, top1=imagenet_top1(model),
            facets=facets, replicates=_replicates(comp)))
    counted = sorted({c for r in rows for c in r.components})
    for r in rows:
        r.missing = [c for c in counted if c not in r.components] if r.composite.value is not None else []
    rows.sort(key=lambda r: (r.composite.value is None, -(r.composite.value or 0.0), r.model.identifier))
    for i, r in enumerate(r for r in rows if r.composite.value is not None):
        r.position = i + 1
    stats_note, level = _rank_statistics(rows, counted, snapshot)
    return BoardView(view, snapshot, columns, groups, rows, dict(sorted(excluded.items())), counted,
                     DESCRIPTIONS[view.composite], stats_note, level, notes, _options([f for _, f in everyone]))


def _replicates(comp: Any) -> Any:
    from brainmark.scoring.composites import replicates_of

    return replicates_of(comp.score) if comp is not None else None


def _keys(snapshot: Snapshot, row: ViewRow, counted: list[str]) -> dict[str, Any]:
    out = {}
    for (identifier, _), cell in row.cells.items():
        if identifier in counted:
            boot = (cell.meta or {}).get("bootstrap") or {}
            out[identifier] = (boot.get("key"), boot.get("n_resamples"))
    return out


def _rank_statistics(rows: list[ViewRow], counted: list[str], snapshot: Snapshot) -> tuple[str, float | None]:
    """Rank intervals and the group tied with the best, among the complete rows with paired replicates."""
    from brainmark.stats import ranking

    complete = [r for r in rows if r.composite.value is not None and not r.missing]
    eligible = [r for r in complete if r.replicates is not None and r.composite.level is not None]
    if not eligible:
        return ("no intervals: none of the models shown has bootstrap replicates for every counted benchmark "
                "(older results files; rescore with this brainmark version)" if complete else
                "no model shown has a composite"), None
    keys = [_keys(snapshot, r, counted) for r in eligible]
    differing = sorted(b for b in counted if len({k.get(b) for k in keys}) > 1)
    if differing:
        return (f"no ranking statistics: {', '.join(differing)} was resampled differently for some models "
                "(other data or resampling scheme), so their replicates cannot be paired"), None
    levels = {r.composite.level for r in eligible}
    if len(levels) > 1:
        return f"no ranking statistics: the intervals have different levels {sorted(levels)}", None
    level = levels.pop()
    values = np.asarray([r.composite.value for r in eligible], dtype=float)
    reps = [r.replicates for r in eligible]
    corrected = np.stack([rep.corrected(v) for rep, v in zip(reps, values)])
    rank_ci = ranking.rank_intervals(corrected, level)
    tied, p = ranking.tied_with_best(values, reps, ALPHA, "holm")
    for i, r in enumerate(eligible):
        r.rank_ci = (float(rank_ci[i, 0]), float(rank_ci[i, 1]))
        r.tied, r.p_vs_best = bool(tied[i]), (None if math.isnan(p[i]) else float(p[i]))
    left = len(rows) - len(eligible)
    note = (f"shaded: the models not significantly worse than the best (paired bootstrap over the same resamples, "
            f"Holm-adjusted, α = {ALPHA:g}), among the {len(eligible)} models with every counted benchmark")
    if left:
        note += f"; {left} other model{'s are' if left > 1 else ' is'} not in this comparison (partial or no intervals)"
    return note, level


def board_for(session: Any, view: View, user: User | None) -> BoardView:
    """The board of ``view`` for ``user`` from the shared snapshot of the database's current state."""
    from brainmark.leaderboard.snapshot import cached_snapshot

    snapshot, _ = cached_snapshot(session, view.as_of_end)
    return build_view(snapshot, view, user)
