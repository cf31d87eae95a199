"""Layer commitment: choose the best layer per region on *selection* data, then freeze and record the choice.

The selection data must be separate from the data that produces the reported score (a designated selection
split, session or public set per benchmark); the caller supplies the scoring function (models never import
metrics), normally the benchmark's own metric on that data. All candidate layers come from one forward pass
(:meth:`PytorchBrainModel.layer_activations`), so the per-layer table is cheap. Choices are stored as JSON in
``$BRAINMARK_HOME/commitments/<model>/<weights hash>/<selection>.<region>.json`` and reused; built-in (CORnet)
and hand-fixed (``layers={region: layer}``) commitments are respected and not re-selected.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from brainmark import paths
from brainmark._io import atomic_write
from brainmark._version import __version__
from brainmark.data.stimuli import StimulusSet
from brainmark.models.errors import CommitmentError

ScoreFn = Callable[[Any], Any]  # activations DataArray -> float or brainmark Score
FORMAT = "brainmark.commitment/1"


@dataclass
class LayerCommitment:
    """The frozen layer of one region, with the per-layer selection scores that justified it."""

    model: str
    region: str
    layer: str
    source: str  # selection | built-in | user
    selection: str | None = None
    weights_hash: str | None = None
    scores: dict[str, float] = field(default_factory=dict)
    errors: dict[str, float] = field(default_factory=dict)
    selection_stimuli_hash: str | None = None
    reduction: str | None = None
    created: float = field(default_factory=time.time)
    brainmark_version: str = __version__
    format: str = FORMAT

    def table(self) -> pd.DataFrame:
        """Per-layer selection scores (layer, score, error, chosen), in candidate order."""
        return pd.DataFrame(
            {
                "layer": list(self.scores),
                "score": list(self.scores.values()),
                "error": [self.errors.get(layer, math.nan) for layer in self.scores],
                "chosen": [layer == self.layer for layer in self.scores],
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """The commitment as JSON-ready fields."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LayerCommitment":
        """A commitment from its fields (unknown keys ignored)."""
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.+" else "_" for c in name)[:150]


def commitment_path(model_identifier: str, weights_hash: str, selection: str, region: str) -> Path:
    """Where the commitment of a model's weights to ``region`` under ``selection`` is stored."""
    folder = paths.subdir("commitments") / _safe(model_identifier) / weights_hash[:16]
    return folder / f"{_safe(selection)}.{_safe(region)}.json"


def _value(score: Any) -> tuple[float, float]:
    """A (value, error) from a float or a Score (its raw value: the ceiling is the same for every layer)."""
    if hasattr(score, "raw"):
        error = getattr(score, "error", None)
        return float(score.raw), float(error) if error is not None else math.nan
    return float(score), math.nan


def layer_scores(
    model: Any,
    stimulus_set: StimulusSet,
    score_fn: ScoreFn,
    layers: Sequence[str] | None = None,
    reduction: Any = None,
) -> tuple[dict[str, float], dict[str, float]]:
    """Score every layer on ``stimulus_set`` from one forward pass: ({layer: score}, {layer: error})."""
    layers = list(layers or model.candidate_layers)
    activations = model.layer_activations(stimulus_set, layers, reduction=reduction)
    scores, errors = {}, {}
    for layer in layers:
        scores[layer], errors[layer] = _value(score_fn(activations[layer]))
    return scores, errors


def commit_region(
    model: Any,
    region: str,
    selection_stimuli: StimulusSet,
    score_fn: ScoreFn,
    selection: str,
    *,
    layers: Sequence[str] | None = None,
    reduction: Any = None,
    reported_stimuli: StimulusSet | None = None,
    refresh: bool = False,
    apply: bool = True,
) -> LayerCommitment:
    """Commit ``region`` of ``model`` to its best candidate layer on the selection data (or reuse the record).

    ``selection`` names the selection data (e.g. ``"MajajHong2015.public.V4"``); it is part of the record key.
    Give ``reported_stimuli`` to have an overlap with the selection stimuli refused. The choice is frozen on disk;
    with ``apply`` (the default) it is also set on ``model`` (``model.commit``); benchmarks pass
    ``apply=False`` so that scoring never changes the caller's model.
    """
    existing = model.commitment.get(region)
    if existing and existing.get("source") in ("built-in", "user"):
        return LayerCommitment(
            model.identifier, region, existing["layer"], existing["source"], weights_hash=model.weights_hash
        )
    if reported_stimuli is not None:
        overlap = set(selection_stimuli.stimulus_ids) & set(reported_stimuli.stimulus_ids)
        if overlap:
            raise CommitmentError(
                f"selection stimuli {selection_stimuli.identifier!r} share {len(overlap)} stimuli with the reported "
                f"stimuli {reported_stimuli.identifier!r} (e.g. {sorted(overlap)[:3]}); select layers on separate data"
            )
    path = commitment_path(model.identifier, model.weights_hash, selection, region)
    if path.is_file() and not refresh:
        record = LayerCommitment.from_dict(json.loads(path.read_text()))
        if record.selection_stimuli_hash == selection_stimuli.content_hash():
            if apply:
                model.commit(region, record.layer, source="selection", selection=selection, record=str(path))
            return record
    scores, errors = layer_scores(model, selection_stimuli, score_fn, layers, reduction)
    finite = {layer: s for layer, s in scores.items() if math.isfinite(s)}
    if not finite:
        raise CommitmentError(f"no candidate layer of {model.identifier} got a finite score on {selection!r}: {scores}")
    best = max(finite, key=lambda layer: finite[layer])  # ties: the first (shallowest) layer
    record = LayerCommitment(
        model=model.identifier,
        region=region,
        layer=best,
        source="selection",
        selection=selection,
        weights_hash=model.weights_hash,
        scores=scores,
        errors=errors,
        selection_stimuli_hash=selection_stimuli.content_hash(),
        reduction=str(reduction if reduction is not None else model.reduction.kind),
    )
    with atomic_write(path, "w") as f:
        json.dump(record.to_dict(), f, indent=1)
    if apply:
        model.commit(region, best, source="selection", selection=selection, record=str(path))
    return record
