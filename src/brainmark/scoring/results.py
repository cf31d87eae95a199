"""The results record: what ``brainmark score --output`` writes and the leaderboard imports.

JSON layout (``schema: "brainmark.results/1"``)::

    {
      "schema": "brainmark.results/1",
      "created": "2026-11-28T12:00:00+00:00",
      "model": {"identifier": "...", "weights_sha256": "...", "metadata": {...}},
      "environment": {"brainmark": "0.1.0", "python": "3.11.7", "numpy": "...", "torch": "...", ...},
      "scores": [
        {"benchmark": "Cowley2023.V4-pls", "benchmark_version": 1, "layer": "blocks.3",
         "seconds": 12.3, "score": <Score.to_dict()>}
      ],
      "composites": [
        {"identifier": "brainscore2018", "version": 1, "components": ["..."], "score": <Score.to_dict()>}
      ]
    }

Every benchmark score's ``meta`` holds its data checksums, seeds, conventions and parameters.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

from brainmark._io import atomic_write
from brainmark._json import canonical_json, dumps
from brainmark.errors import BrainmarkError
from brainmark.scores import FrozenList, Score, freeze

SCHEMA = "brainmark.results/1"


def _score_columns(score: Score) -> dict[str, Any]:
    return {"raw": score.raw, "error": score.error, "ceiling": score.ceiling, "ceiling_error": score.ceiling_error,
            "ceiled": score.ceiled, "ceiled_error": score.ceiled_error, "convention": score.convention}


class ResultsFormatError(BrainmarkError, ValueError):
    """A results file is not a brainmark results record."""


class _Value:
    """Equality and hashing by canonical JSON content (for the frozen result types below)."""

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return canonical_json(self.to_dict()) == canonical_json(other.to_dict())  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(canonical_json(self.to_dict()))  # type: ignore[attr-defined]


@dataclass(frozen=True, eq=False)
class BenchmarkResult(_Value):
    """One benchmark's score in a results record, with its version, committed layer and wall time."""

    benchmark: str
    benchmark_version: int
    score: Score
    layer: str | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.score, Score):
            raise TypeError(f"BenchmarkResult.score must be a Score, got {type(self.score).__name__}")
        object.__setattr__(self, "benchmark_version", int(self.benchmark_version))

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict of this entry."""
        return {
            "benchmark": self.benchmark,
            "benchmark_version": self.benchmark_version,
            "layer": self.layer,
            "seconds": self.seconds,
            "score": self.score.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "BenchmarkResult":
        """The entry of a :meth:`to_dict` dict."""
        return cls(
            benchmark=d["benchmark"],
            benchmark_version=int(d["benchmark_version"]),
            score=Score.from_dict(d["score"]),
            layer=d.get("layer"),
            seconds=d.get("seconds"),
        )


@dataclass(frozen=True, eq=False)
class CompositeResult(_Value):
    """A composite (e.g. ``brainscore2018``) with its version, the benchmarks it averages and its score."""

    identifier: str
    version: int
    components: Sequence[str]
    score: Score

    def __post_init__(self) -> None:
        object.__setattr__(self, "components", FrozenList(self.components))

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict of this composite."""
        return {
            "identifier": self.identifier,
            "version": self.version,
            "components": list(self.components),
            "score": self.score.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "CompositeResult":
        """The composite of a :meth:`to_dict` dict."""
        return cls(d["identifier"], int(d["version"]), list(d.get("components", [])), Score.from_dict(d["score"]))


@dataclass(frozen=True, eq=False)
class ResultsRecord(_Value):
    """A model's results: its identity, one entry per benchmark, the composites and the environment."""

    model: Mapping[str, Any]
    scores: Sequence[BenchmarkResult] = ()
    composites: Sequence[CompositeResult] = ()
    environment: Mapping[str, Any] = field(default_factory=dict)
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def __post_init__(self) -> None:
        object.__setattr__(self, "model", freeze(dict(self.model)))
        object.__setattr__(self, "scores", FrozenList(self.scores))
        object.__setattr__(self, "composites", FrozenList(self.composites))
        object.__setattr__(self, "environment", freeze(dict(self.environment)))

    @property
    def model_identifier(self) -> str:
        """The model's identifier."""
        return str(self.model["identifier"])

    def score_for(self, benchmark: str) -> BenchmarkResult | None:
        """The entry of ``benchmark``, or None when this record has none."""
        return next((s for s in self.scores if s.benchmark == benchmark), None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict (schema ``brainmark.results/1``)."""
        return {
            "schema": SCHEMA,
            "created": self.created,
            "model": json.loads(dumps(self.model)),
            "environment": json.loads(dumps(self.environment)),
            "scores": [s.to_dict() for s in self.scores],
            "composites": [c.to_dict() for c in self.composites],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ResultsRecord":
        """The record of a :meth:`to_dict` dict; a clear error when it is not one."""
        if not isinstance(d, Mapping) or d.get("schema") != SCHEMA:
            got = d.get("schema") if isinstance(d, Mapping) else type(d).__name__
            raise ResultsFormatError(f"not a brainmark results record (expected schema {SCHEMA!r}, got {got!r})")
        if "model" not in d or "identifier" not in d["model"]:
            raise ResultsFormatError("results record has no model identifier")
        try:
            scores = [BenchmarkResult.from_dict(s) for s in d.get("scores", [])]
            composites = [CompositeResult.from_dict(c) for c in d.get("composites", [])]
        except (KeyError, TypeError, ValueError) as exc:
            raise ResultsFormatError(f"results record of {d['model']['identifier']!r} has a malformed or "
                                     f"inconsistent score ({type(exc).__name__}: {exc}); rescore the model") from exc
        return cls(
            model=dict(d["model"]),
            scores=scores,
            composites=composites,
            environment=dict(d.get("environment", {})),
            created=d.get("created", ""),
        )

    def to_json(self) -> str:
        """The record as readable JSON (NaN written as null)."""
        return dumps(self.to_dict())

    def save(self, path: str | Path) -> Path:
        """Write atomically (temp file in the same folder, then rename)."""
        path = Path(path)
        with atomic_write(path, "w") as f:
            f.write(self.to_json())
        return path

    # --- tabular view ---------------------------------------------------------------------------------------
    CSV_COLUMNS = ("model", "kind", "identifier", "version", "raw", "error", "ceiling", "ceiling_error", "ceiled",
                   "ceiled_error", "convention", "layer", "seconds", "data_checksum", "seed", "failed")

    def csv_rows(self) -> list[dict[str, Any]]:
        """One row per benchmark score, then one per composite (the provenance lives in the JSON)."""
        rows = []
        for s in self.scores:
            meta = s.score.meta
            ceiling_meta = meta.get("ceiling") if isinstance(meta.get("ceiling"), Mapping) else {}
            rows.append({
                "model": self.model_identifier, "kind": "benchmark", "identifier": s.benchmark,
                "version": s.benchmark_version, "layer": s.layer, "seconds": s.seconds,
                "data_checksum": meta.get("data_checksum") or ceiling_meta.get("data_checksum"),
                "seed": json.dumps(meta["seeds"], sort_keys=True) if meta.get("seeds") else meta.get("seed"),
                "failed": meta.get("failed"),
                **_score_columns(s.score),
            })
        for c in self.composites:
            rows.append({"model": self.model_identifier, "kind": "composite", "identifier": c.identifier,
                         "version": c.version, **_score_columns(c.score)})
        return rows

    def to_csv(self) -> str:
        """The CSV view (one row per benchmark, then one per composite)."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(self.CSV_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for row in self.csv_rows():
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in self.CSV_COLUMNS})
        return buffer.getvalue()

    def save_csv(self, path: str | Path) -> Path:
        """Write the CSV view atomically."""
        path = Path(path)
        with atomic_write(path, "w") as f:
            f.write(self.to_csv())
        return path

    def without_timings(self) -> dict[str, Any]:
        """The record as a dict minus what legitimately differs between identical runs (time stamps, seconds)."""
        d = self.to_dict()
        d.pop("created", None)
        for s in d["scores"]:
            s.pop("seconds", None)
            s["score"]["meta"].pop("seconds", None)
            s["score"]["meta"].pop("timings", None)
        return d

    @classmethod
    def load(cls, path: str | Path) -> "ResultsRecord":
        """Read a results file (a clear error when it is not JSON or not a results record)."""
        try:
            data = json.loads(Path(path).read_text())
        except json.JSONDecodeError as exc:
            raise ResultsFormatError(f"{path} is not valid JSON: {exc}") from exc
        return cls.from_dict(data)
