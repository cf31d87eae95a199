"""Leaderboard operations on a database session: users and tokens, importing results records, queries.

Every write happens inside one transaction (``with session.begin()`` at the caller or here), so an import either
lands completely or not at all.
"""
from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, selectinload

from brainmark._json import canonical_json
from brainmark.errors import BrainmarkError
from brainmark.leaderboard.db import Benchmark, CompositeRow, Model, ScoreHistory, ScoreRow, User, utcnow
from brainmark.scoring.results import ResultsRecord

TOKEN_BYTES = 32
#: Loader options that leave a history row's large JSON columns (replicates, provenance) unloaded until used.
LIGHT = tuple(defer(getattr(ScoreHistory, name)) for name in ("values", "meta", "environment", "labels"))
#: User names namespace uploaded models (``alice/my-net``), so they are restricted to safe characters.
USER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")


class LeaderboardError(BrainmarkError):
    """A leaderboard operation was refused (unknown user, permission, bad input)."""


class PermissionDenied(LeaderboardError):
    """The user may not change this model."""


def hash_token(token: str) -> str:
    """SHA-256 of a token: only this is stored (tokens are 256-bit random, so no salt/KDF is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(session: Session, name: str) -> str:
    """Create user ``name`` and return their new API token (shown once; only its hash is stored)."""
    name = name.strip()
    if not USER_NAME_RE.match(name):
        raise LeaderboardError(f"bad user name {name!r}: use 1-40 letters, digits, '.', '_' or '-', starting with a "
                               "letter or digit")
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise LeaderboardError(f"user {name!r} exists already; pick another name")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(User(name=name, token_hash=hash_token(token)))
    session.flush()
    return token


def authenticate(session: Session, token: str | None) -> User | None:
    """The user owning ``token``, or None."""
    if not token:
        return None
    return session.scalar(select(User).where(User.token_hash == hash_token(token)))


def _num(value: Any) -> float | None:
    if value is None:
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def benchmark_row(session: Session, identifier: str, version: int, **details: Any) -> Benchmark:
    """Get or create the (identifier, version) benchmark row; fill in details that are still empty."""
    row = session.scalar(select(Benchmark).where(Benchmark.identifier == identifier, Benchmark.version == version))
    if row is None:
        row = Benchmark(identifier=identifier, version=version, description="", data="", bibtex="")
        session.add(row)
    for key, value in details.items():
        if value not in (None, "") and getattr(row, key) in (None, ""):
            setattr(row, key, value)
    return row


def _benchmark_details(identifier: str, meta: dict[str, Any]) -> dict[str, Any]:
    """Benchmark description/data/bibtex: from the installed benchmark registry, else the score's provenance."""
    out: dict[str, Any] = {}
    datasets = meta.get("datasets")
    if isinstance(datasets, list) and datasets:
        out["data"] = ", ".join(map(str, datasets))
    try:
        from brainmark.benchmarks.base import load_benchmark

        bench = load_benchmark(identifier)
        out["description"] = str(getattr(bench, "description", "") or "")
        out["bibtex"] = str(getattr(bench, "bibtex", "") or "")
        if getattr(bench, "datasets", None):
            out["data"] = ", ".join(map(str, bench.datasets))
    except Exception:  # unknown here (e.g. a plugin benchmark imported from a results file): keep what we have
        pass
    return out


def parse_time(text: str | None) -> datetime | None:
    """An ISO time stamp (a results record's ``created``) as naive UTC, or None when absent or unreadable."""
    if not text:
        return None
    try:
        stamp = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return stamp.astimezone(timezone.utc).replace(tzinfo=None) if stamp.tzinfo else stamp


def _fill(row: Any, d: dict[str, Any], result: Any, record: ResultsRecord, now: datetime) -> None:
    """Copy one score's fields (``Score.to_dict()`` as ``d``) onto a current or a history row."""
    row.raw, row.error = _num(d["raw"]), _num(d["error"])
    row.ceiling, row.ceiling_error = _num(d["ceiling"]), _num(d["ceiling_error"])
    row.ceiled, row.ceiled_error = _num(d["ceiled"]), _num(d["ceiled_error"])
    ci = d.get("ci") or (None, None)
    row.ci_low, row.ci_high = _num(ci[0]), _num(ci[1])
    row.ci_level = _num(d.get("ci_level")) if row.ci_low is not None else None
    row.convention, row.layer, row.seconds = d["convention"], result.layer, _num(result.seconds)
    row.values, row.labels, row.meta = d["values"], {}, d["meta"]  # unit labels live inside values
    row.brainmark_version = str(record.environment.get("brainmark") or d["meta"].get("brainmark_version")
                                or d.get("brainmark_version") or "") or None
    row.environment = dict(record.environment)
    row.scored_at = parse_time(record.created)
    row.created = now


def _append_history(session: Session, model: Model, bench: Benchmark, d: dict[str, Any], result: Any,
                    record: ResultsRecord, now: datetime) -> None:
    """Keep the imported score in the history, unless the latest history entry is the very same score."""
    digest = hashlib.sha256(canonical_json({"score": d, "layer": result.layer, "created": record.created,
                                            "environment": record.environment}).encode()).hexdigest()
    last = session.scalar(select(ScoreHistory.content_hash)
                          .where(ScoreHistory.model_id == model.id, ScoreHistory.benchmark_id == bench.id)
                          .order_by(ScoreHistory.created.desc(), ScoreHistory.id.desc()).limit(1))
    if last == digest:
        return
    entry = ScoreHistory(model_id=model.id, benchmark_id=bench.id, content_hash=digest)
    _fill(entry, d, result, record, now)
    session.add(entry)


def import_record(
    session: Session, record: ResultsRecord, owner: User | None = None, public: bool = True
) -> Model:
    """Store a results record: the model row (created or updated) and its benchmark/composite scores.

    A score replaces an earlier one only for the same benchmark *version*; other versions stay separate. Every
    imported score is also kept in the history (when it was made and with which brainmark version).
    Refuses to touch a model owned by another user.
    """
    ident = record.model_identifier
    now = utcnow()
    model = session.scalar(select(Model).where(Model.identifier == ident))
    if model is None:
        model = Model(identifier=ident, owner=owner, public=public, model_metadata={}, environment={})
        session.add(model)
    elif model.owner_id is not None and (owner is None or owner.id != model.owner_id):
        raise PermissionDenied(f"model {ident!r} belongs to another user")
    else:
        model.public = public if owner is not None else model.public
    metadata = {k: v for k, v in record.model.items() if k != "identifier"}
    model.model_metadata = {**(model.model_metadata or {}), **metadata}
    model.environment = dict(record.environment)
    model.record_created = record.created or None
    model.updated = now
    session.flush()
    for result in record.scores:
        score = result.score
        d = score.to_dict()
        bench = benchmark_row(
            session, result.benchmark, result.benchmark_version,
            ceiling=_num(score.ceiling), ceiling_error=_num(score.ceiling_error),
            **_benchmark_details(result.benchmark, dict(d["meta"])),
        )
        session.flush()
        row = session.scalar(select(ScoreRow).where(ScoreRow.model_id == model.id, ScoreRow.benchmark_id == bench.id))
        if row is None:
            row = ScoreRow(model_id=model.id, benchmark_id=bench.id)
            session.add(row)
        _fill(row, d, result, record, now)
        _append_history(session, model, bench, d, result, record, now)
    for comp in record.composites:
        row = session.scalar(
            select(CompositeRow).where(
                CompositeRow.model_id == model.id,
                CompositeRow.identifier == comp.identifier,
                CompositeRow.version == comp.version,
            )
        )
        if row is None:
            row = CompositeRow(model_id=model.id, identifier=comp.identifier, version=comp.version)
            session.add(row)
        row.components, row.score = list(comp.components), comp.score.to_dict()
        row.ceiled = _num(comp.score.ceiled)
        ci = comp.score.ci or (None, None)
        row.ci_low, row.ci_high = _num(ci[0]), _num(ci[1])
        row.ci_level = _num(comp.score.ci_level) if row.ci_low is not None else None
    session.flush()
    return model


def export_record(model: Model, scores: Iterable[Any] | None = None) -> ResultsRecord:
    """Rebuild the results record of a stored model (for the downloadable JSON and comparisons).

    ``scores`` (default: the model's current scores) may be a subset, or history rows for the board as of a date;
    composites are only included with the model's own current scores.
    """
    from brainmark.scores import Score
    from brainmark.scoring.results import BenchmarkResult, CompositeResult

    rows = list(model.scores if scores is None else scores)
    results = [
        BenchmarkResult(
            benchmark=s.benchmark.identifier,
            benchmark_version=s.benchmark.version,
            layer=s.layer,
            seconds=s.seconds,
            score=Score.from_dict(score_dict(s)),
        )
        for s in sorted(rows, key=lambda s: (s.benchmark.identifier, s.benchmark.version))
    ]
    composites = [
        CompositeResult(c.identifier, c.version, list(c.components), Score.from_dict(c.score))
        for c in model.composites
    ] if scores is None else []
    return ResultsRecord(
        model={"identifier": model.identifier, **(model.model_metadata or {})},
        scores=results,
        composites=composites,
        environment=dict(model.environment or {}),
        created=model.record_created or "",
    )


def score_dict(s: Any) -> dict[str, Any]:
    """A stored score (current or history row) as a ``Score.to_dict()``-shaped dict, with its interval."""
    ci = row_interval(s)
    return {
        "raw": s.raw, "error": s.error, "ceiling": s.ceiling, "ceiling_error": s.ceiling_error,
        "ceiled": s.ceiled, "ceiled_error": s.ceiled_error, "convention": s.convention,
        "ci": None if ci is None else [ci[0], ci[1]], "ci_level": None if ci is None else ci[2],
        "values": s.values or {}, "labels": s.labels or {}, "meta": s.meta or {},
        "brainmark_version": s.brainmark_version,
    }


def row_interval(s: Any) -> tuple[float, float, float] | None:
    """(low, high, level) of a stored score: its interval columns, else (a row stored before the columns existed)
    the interval recomputed from the bootstrap replicates it kept, else None."""
    if s.ci_low is not None and s.ci_high is not None and s.ci_level is not None:
        return float(s.ci_low), float(s.ci_high), float(s.ci_level)
    values, meta = s.values or {}, s.meta or {}
    level = (meta.get("bootstrap") or {}).get("level") if isinstance(meta.get("bootstrap"), dict) else None
    if s.ceiled is None or level is None or not all(k in values for k in ("bootstrap", "bootstrap_stimuli",
                                                                           "bootstrap_units")):
        return None
    from brainmark.scores import Score
    from brainmark.scoring.composites import replicates_of
    from brainmark.stats.bootstrap import percentile_interval

    score = Score.from_dict({"raw": s.raw, "ceiled": s.ceiled, "values": values, "labels": s.labels or {},
                             "meta": meta})
    reps = replicates_of(score)
    low, high = percentile_interval(reps.corrected(float(s.ceiled)), float(level)) if reps else (math.nan, math.nan)
    return (low, high, float(level)) if math.isfinite(low) and math.isfinite(high) else None


def visible(model: Model, user: User | None) -> bool:
    """Public, or owned by ``user``."""
    return model.public or (user is not None and model.owner_id == user.id)


def imagenet_top1(model: Model) -> float | None:
    """ImageNet top-1 accuracy: an ``ImageNet*`` benchmark score if present, else the model metadata."""
    for s in model.scores:
        if s.benchmark.identifier.lower().startswith("imagenet") and s.raw is not None:
            return s.raw
    metadata = model.model_metadata or {}
    keys = ("imagenet_top1", "imagenet_top1_accuracy", "top1")
    # results records keep the zoo's metadata under "metadata", where top-1 is in percent (0.1 = chance)
    zoo = metadata.get("metadata") or {}
    for key in keys:
        value = zoo.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value) / 100
    # hand-written records may put it at the top level, as a fraction or in percent
    for key in keys:
        value = metadata.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value) / 100 if value > 1 else float(value)
    return None


@dataclass
class Row:
    """One leaderboard row: a model, its composite, its scores by benchmark and its ImageNet top-1."""
    model: Model
    composite: float | None
    cells: dict[tuple[str, int], ScoreRow] = field(default_factory=dict)
    top1: float | None = None


@dataclass
class Board:
    """Everything the leaderboard page and API show."""

    benchmarks: list[Benchmark]
    rows: list[Row]


def composite_of(model: Model, benchmarks: Iterable[Benchmark]) -> float | None:
    """The board's composite: brainmark's ``hierarchical`` v1 composite of the model's scores on the board's columns.

    Recomputed from the per-benchmark rows (latest benchmark versions only) with the same code as
    ``brainmark score``, so every model on a board is ranked by the same rule, whatever composites its results
    files carried (those are shown on the model page). Benchmarks marked ``in_composites: false`` (e.g. accuracy)
    and ImageNet accuracy are left out, as in the CLI.
    """
    from brainmark.scores import Score
    from brainmark.scoring.composites import hierarchical
    from brainmark.scoring.results import BenchmarkResult

    ids = {b.id for b in benchmarks if not b.identifier.lower().startswith("imagenet")}
    results = [
        BenchmarkResult(
            s.benchmark.identifier, s.benchmark.version,
            Score(raw=_nan(s.raw), ceiled=_nan(s.ceiled), ceiled_error=_nan(s.ceiled_error), meta=dict(s.meta or {})),
        )
        for s in model.scores if s.benchmark_id in ids and s.ceiled is not None
    ]
    composite = hierarchical(results) if results else None
    return composite.score.ceiled if composite is not None else None


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def leaderboard(session: Session, user: User | None = None, search: str = "", include_private: bool = False) -> Board:
    """Visible models (every model with ``include_private``) with their latest-version scores, ranked by composite."""
    benchmarks = list(session.scalars(select(Benchmark).order_by(Benchmark.identifier, Benchmark.version)))
    latest: dict[str, Benchmark] = {}
    for b in benchmarks:
        latest[b.identifier] = b  # ordered by version: the last is the newest
    columns = sorted(latest.values(), key=lambda b: b.identifier)
    models = session.scalars(
        select(Model).options(selectinload(Model.scores).selectinload(ScoreRow.benchmark), selectinload(Model.composites))
    )
    rows = []
    for m in models:
        if not (include_private or visible(m, user)) or (search and search.lower() not in m.identifier.lower()):
            continue
        cells = {(s.benchmark.identifier, s.benchmark.version): s for s in m.scores}
        rows.append(Row(model=m, composite=composite_of(m, columns), cells=cells, top1=imagenet_top1(m)))
    rows.sort(key=lambda r: (r.composite is None, -(r.composite or 0.0), r.model.identifier))
    return Board(benchmarks=columns, rows=rows)
