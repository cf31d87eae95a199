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
from typing import Any

from brainmark._io import atomic_write
from brainmark.errors import BrainmarkError
from brainmark.scores import Score

SCHEMA = "brainmark.results/1"


def _score_columns(score: Score) -> dict[str, Any]:
    return {"raw": score.raw, "error": score.error, "ceiling": score.ceiling, "ceiling_error": score.ceiling_error,
            "ceiled": score.ceiled, "ceiled_error": score.ceiled_error, "convention": score.convention}


class ResultsFormatError(BrainmarkError, ValueError):
    """A results file is not a brainmark results record."""


@dataclass
class BenchmarkResult:
    """One benchmark's score of a model, with the benchmark version, committed layer and time."""
    benchmark: str
    benchmark_version: int
    score: Score
    layer: str | None = None
    seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready fields."""
        return {
            "benchmark": self.benchmark,
            "benchmark_version": self.benchmark_version,
            "layer": self.layer,
            "seconds": self.seconds,
            "score": self.score.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "BenchmarkResult":
        """A result from its JSON fields."""
        return cls(
            benchmark=d["benchmark"],
            benchmark_version=int(d["benchmark_version"]),
            score=Score.from_dict(d["score"]),
            layer=d.get("layer"),
            seconds=d.get("seconds"),
        )


@dataclass
class CompositeResult:
    """A composite score, its version and the benchmarks it combines."""
    identifier: str
    version: int
    components: list[str]
    score: Score

    def to_dict(self) -> dict[str, Any]:
        """The composite as JSON-ready fields."""
        return {
            "identifier": self.identifier,
            "version": self.version,
            "components": list(self.components),
            "score": self.score.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CompositeResult":
        """A composite from its JSON fields."""
        return cls(d["identifier"], int(d["version"]), list(d.get("components", [])), Score.from_dict(d["score"]))


@dataclass
class ResultsRecord:
    """Everything one scoring run produced: model, scores, composites, environment, time."""
    model: dict[str, Any]
    scores: list[BenchmarkResult] = field(default_factory=list)
    composites: list[CompositeResult] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    @property
    def model_identifier(self) -> str:
        """The scored model's identifier."""
        return str(self.model["identifier"])

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready fields (with its schema)."""
        return {
            "schema": SCHEMA,
            "created": self.created,
            "model": self.model,
            "environment": self.environment,
            "scores": [s.to_dict() for s in self.scores],
            "composites": [c.to_dict() for c in self.composites],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ResultsRecord":
        """A record from its JSON fields, or a ResultsFormatError."""
        if not isinstance(d, dict) or d.get("schema") != SCHEMA:
            raise ResultsFormatError(
                f"not a brainmark results record (expected schema {SCHEMA!r}, got {d.get('schema') if isinstance(d, dict) else type(d).__name__!r})"
            )
        if "model" not in d or "identifier" not in d["model"]:
            raise ResultsFormatError("results record has no model identifier")
        return cls(
            model=dict(d["model"]),
            scores=[BenchmarkResult.from_dict(s) for s in d.get("scores", [])],
            composites=[CompositeResult.from_dict(c) for c in d.get("composites", [])],
            environment=dict(d.get("environment", {})),
            created=d.get("created", ""),
        )

    def to_json(self) -> str:
        """The record as indented, key-sorted JSON (NaN written as null)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False)

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
            ceiling_meta = meta.get("ceiling") if isinstance(meta.get("ceiling"), dict) else {}
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
        """One CSV row per benchmark and composite."""
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
        """Read a results JSON file."""
        try:
            data = json.loads(Path(path).read_text())
        except json.JSONDecodeError as exc:
            raise ResultsFormatError(f"{path} is not valid JSON: {exc}") from exc
        return cls.from_dict(data)
