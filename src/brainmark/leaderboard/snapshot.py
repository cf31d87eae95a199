"""The board's data at one database state: its benchmark columns and every model's scores, now or as of a date.

A snapshot is built once per database fingerprint (and date) and shared by all requests
(:func:`cached_snapshot`); the benchmark results rebuilt from stored rows (full :class:`~brainmark.scores.Score`
values with their bootstrap replicates) and the composites of each view are memoised on it, so a view costs one
pass over the models the first time and a dictionary lookup afterwards.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from brainmark.leaderboard.db import Benchmark, Model, ScoreHistory, ScoreRow
from brainmark.leaderboard.store import score_dict

BEHAVIOR = "behavior"


def fingerprint(session: Session) -> tuple[Any, ...]:
    """What changes whenever a score is imported or a model is added, updated or has its visibility changed."""
    scores = session.execute(select(func.count(ScoreRow.id), func.max(ScoreRow.created), func.max(ScoreRow.id))).one()
    models = session.execute(select(func.count(Model.id), func.max(Model.created), func.max(Model.id),
                                    func.max(Model.updated))).one()
    history = session.execute(select(func.count(ScoreHistory.id), func.max(ScoreHistory.id))).one()
    return (*scores, *models, *history)


def group_of(meta: dict[str, Any]) -> str:
    """The column group of a score: its region (V1, V2, V4, IT), ``behavior``, or ``other``."""
    if meta.get("kind") == "behavioral":
        return BEHAVIOR
    region = meta.get("region")
    return region if region in ("V1", "V2", "V4", "IT") else "other"


@dataclass
class Snapshot:
    """Columns (the newest version of each benchmark), models and their score rows at one state of the board."""

    columns: list[Benchmark]
    models: list[Model]
    cells: dict[int, dict[tuple[str, int], Any]]  # model id -> (benchmark, version) -> ScoreRow | ScoreHistory
    groups: dict[str, str]  # benchmark identifier -> column group
    as_of: datetime | None = None
    memo: dict[Any, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def result(self, row: Any) -> Any:
        """The :class:`~brainmark.scoring.results.BenchmarkResult` of a stored row (built once)."""
        return self.memoised(("result", type(row).__name__, row.id), lambda: _result(row))

    def memoised(self, key: Any, build: Callable[[], Any]) -> Any:
        """``build()`` once per ``key`` for this snapshot."""
        if key in self.memo:
            return self.memo[key]
        value = build()
        with self._lock:
            if len(self.memo) > 20_000:
                self.memo.clear()
            self.memo[key] = value
        return value

    def column_cells(self, model: Model) -> dict[tuple[str, int], Any]:
        """The model's rows on the board's columns (other benchmark versions left out)."""
        mine = self.cells.get(model.id, {})
        return {(b.identifier, b.version): mine[(b.identifier, b.version)] for b in self.columns
                if (b.identifier, b.version) in mine}


def _result(row: Any) -> Any:
    from brainmark.scores import Score
    from brainmark.scoring.results import BenchmarkResult

    return BenchmarkResult(row.benchmark.identifier, row.benchmark.version, Score.from_dict(score_dict(row)),
                           layer=row.layer, seconds=row.seconds)


def _columns(benchmarks: list[Benchmark]) -> list[Benchmark]:
    latest: dict[str, Benchmark] = {}
    for b in sorted(benchmarks, key=lambda b: (b.identifier, b.version)):
        latest[b.identifier] = b
    return sorted(latest.values(), key=lambda b: b.identifier)


def build_snapshot(session: Session, as_of: datetime | None = None) -> Snapshot:
    """The board now, or (``as_of``) from the history: each model's latest score per benchmark version imported
    before that instant, over the benchmark versions that existed then."""
    models = list(session.scalars(select(Model).order_by(Model.identifier).options(
        selectinload(Model.scores).selectinload(ScoreRow.benchmark), selectinload(Model.composites))))
    cells: dict[int, dict[tuple[str, int], Any]] = {}
    if as_of is None:
        for m in models:
            cells[m.id] = {(s.benchmark.identifier, s.benchmark.version): s for s in m.scores}
    else:
        latest: dict[tuple[int, int], int] = {}
        for hid, model_id, bench_id in session.execute(  # light columns first: later imports replace earlier ones
                select(ScoreHistory.id, ScoreHistory.model_id, ScoreHistory.benchmark_id)
                .where(ScoreHistory.created < as_of).order_by(ScoreHistory.created, ScoreHistory.id)):
            latest[(model_id, bench_id)] = hid
        ids = sorted(latest.values())
        for start in range(0, len(ids), 500):
            for h in session.scalars(select(ScoreHistory).where(ScoreHistory.id.in_(ids[start:start + 500]))
                                     .options(selectinload(ScoreHistory.benchmark))):
                cells.setdefault(h.model_id, {})[(h.benchmark.identifier, h.benchmark.version)] = h
        models = [m for m in models if m.id in cells]
    present = {id(row.benchmark): row.benchmark for mine in cells.values() for row in mine.values()}
    columns = _columns(list(present.values()))
    groups: dict[str, str] = {}
    for mine in cells.values():
        for (identifier, _), row in mine.items():
            groups.setdefault(identifier, group_of(row.meta or {}))
    return Snapshot(columns, models, cells, groups, as_of)


_LOCK = threading.Lock()
_SNAPSHOTS: "OrderedDict[tuple[Any, ...], Snapshot]" = OrderedDict()


def cached_snapshot(session: Session, as_of: datetime | None = None) -> tuple[Snapshot, tuple[Any, ...]]:
    """The snapshot for the database's current state (built when it changed) and that state's fingerprint."""
    stamp = fingerprint(session)
    key = (session.get_bind().url.render_as_string(hide_password=True), stamp, as_of)
    with _LOCK:
        hit = _SNAPSHOTS.get(key)
        if hit is not None:
            _SNAPSHOTS.move_to_end(key)
            return hit, stamp
    snapshot = build_snapshot(session, as_of)
    with _LOCK:
        _SNAPSHOTS[key] = snapshot
        while len(_SNAPSHOTS) > 8:
            _SNAPSHOTS.popitem(last=False)
    return snapshot, stamp
