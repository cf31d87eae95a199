"""Cue-conflict metrics (Geirhos et al. 2019, ICLR): shape bias, shape match and texture match of 16-way decisions.

Decisions are a ``presentation`` DataArray: labels (the 16 class names of
:data:`brainmark.metrics.behavioral.imagenet16.CATEGORIES`), or probabilities ``presentation x choice`` over those
classes or over the 1000 ImageNet classes (aggregated to the 16, then argmax). Each presentation needs its
``stimulus_id`` and the image's ``shape`` and ``texture`` classes: as coordinates, or from ``cues`` (a
:class:`~brainmark.data.stimuli.StimulusSet`, a pandas table or a DataArray with ``stimulus_id``, ``shape`` and
``texture``). Several presentations may show the same image (human trials); a ``subject`` coordinate groups them.

Over *conflict* trials (shape and texture classes differ) the response is the shape class, the texture class or
neither (another class, or no answer: the ``no_answer`` tokens, ``na`` in the published human data):

- ``shape_bias`` = shape / (shape + texture): trials whose response is neither are left out (Geirhos 2019; the
  official ``Hermann2020cueconflict-shape_bias`` computes the same number as shape_match / (shape_match +
  texture_match));
- ``shape_match`` = shape / conflict trials; ``texture_match`` = texture / conflict trials.

Pooled over every presentation (all subjects together). ``meta`` holds the counts, all three statistics and the
shape bias per shape class; ``values`` the chosen statistic per shape class (and per subject when there are
several). Labels outside the 16 classes that are not ``no_answer`` tokens raise a :class:`BehavioralDataError`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from brainmark.data.checksum import data_checksum
from brainmark.errors import ParameterError
from brainmark.metrics.base import Computed, Estimator, require_choice
from brainmark.metrics.behavioral.cue_conflict_resampling import CueConflictResampler, counts_statistic
from brainmark.metrics.behavioral.geirhos import decision_labels
from brainmark.metrics.behavioral.imagenet16 import CATEGORIES
from brainmark.metrics.behavioral.trials import BehavioralDataError
from brainmark.scores import Score, per_unit

STATISTICS = ("shape_bias", "shape_match", "texture_match")
NO_ANSWER = ("na", "nan")
POOLED = "decisions"
_CLASSES = np.asarray(CATEGORIES, dtype=object)


def require_tokens(owner: Any, name: str) -> None:
    """``owner.<name>`` must be a tuple (or list) of strings."""
    value = getattr(owner, name)
    if not isinstance(value, (tuple, list)) or not all(isinstance(t, str) for t in value):
        raise ParameterError(f"{type(owner).__name__}: {name} must be a tuple of strings, got {value!r}")


@dataclass(frozen=True)
class CueDecisions:
    """Per presentation: stimulus id, response, the image's shape and texture classes, unit (subject)."""

    stimulus_id: np.ndarray
    label: np.ndarray
    shape: np.ndarray
    texture: np.ndarray
    unit: np.ndarray
    no_answer: np.ndarray
    has_subjects: bool

    @property
    def conflict(self) -> np.ndarray:
        """Presentations whose image has different shape and texture classes."""
        return self.shape != self.texture


def _cue_table(cues: Any) -> pd.DataFrame:
    """``stimulus_id``, ``shape``, ``texture`` of every image, from a StimulusSet, a DataFrame or a DataArray."""
    if hasattr(cues, "table") and isinstance(cues.table, pd.DataFrame):
        cues = cues.table
    if isinstance(cues, xr.DataArray):
        missing = [c for c in ("stimulus_id", "shape", "texture") if c not in cues.coords]
        if missing:
            raise BehavioralDataError(f"cues lack coordinates {missing}; found {sorted(map(str, cues.coords))}")
        cues = pd.DataFrame({c: np.asarray(cues[c].values).astype(str) for c in ("stimulus_id", "shape", "texture")})
    if not isinstance(cues, pd.DataFrame):
        raise BehavioralDataError(f"cues must be a StimulusSet, a pandas DataFrame or a DataArray, got {type(cues).__name__}")
    missing = [c for c in ("stimulus_id", "shape", "texture") if c not in cues.columns]
    if missing:
        raise BehavioralDataError(f"cues lack columns {missing}; found {list(cues.columns)}")
    table = cues[["stimulus_id", "shape", "texture"]].astype(str).drop_duplicates()
    clash = table["stimulus_id"][table["stimulus_id"].duplicated()].tolist()
    if clash:
        raise BehavioralDataError(f"cues give more than one shape/texture for stimuli {clash[:5]}")
    return table.set_index("stimulus_id")


def _coord(decisions: xr.DataArray, name: str) -> np.ndarray:
    if decisions[name].dims != ("presentation",):
        raise BehavioralDataError(f"decision coordinate {name!r} must lie on 'presentation'")
    return np.asarray(decisions[name].values).astype(str).astype(object)


def _cues_of(decisions: xr.DataArray, ids: np.ndarray, cues: Any) -> tuple[np.ndarray, np.ndarray]:
    if cues is None:
        missing = [c for c in ("shape", "texture") if c not in decisions.coords]
        if missing:
            raise BehavioralDataError(
                f"cue-conflict decisions need {missing} coordinate(s) on 'presentation' (the image's shape and "
                f"texture classes); found coords {sorted(map(str, decisions.coords))}. Add them, or pass the stimuli "
                "as cues, e.g. metric(decisions, brainmark.load_stimulus_set('Geirhos2021.cue-conflict'))"
            )
        return _coord(decisions, "shape"), _coord(decisions, "texture")
    table = _cue_table(cues)
    unknown = sorted(set(ids.tolist()) - set(table.index))
    if unknown:
        raise BehavioralDataError(f"{len(unknown)} decided stimuli are not in the cues (e.g. {unknown[:5]})")
    rows = table.loc[ids.tolist()]
    return rows["shape"].to_numpy(dtype=object), rows["texture"].to_numpy(dtype=object)


def _labels(decisions: xr.DataArray, no_answer: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(labels, no-answer mask): labels outside the 16 classes that are not no-answer tokens are refused."""
    if decisions.dims != ("presentation",):
        return decision_labels(decisions, _CLASSES), np.zeros(decisions.sizes["presentation"], dtype=bool)
    labels = np.asarray(decisions.values).astype(str).astype(object)
    silent = np.isin(labels, list(no_answer))
    unknown = sorted(set(labels[~silent].tolist()) - set(CATEGORIES))
    if unknown:
        raise BehavioralDataError(
            f"decisions contain {len(unknown)} label(s) outside the 16 classes (e.g. {unknown[:5]}); expected one of "
            f"{', '.join(CATEGORIES)} (or a no-answer token: {', '.join(no_answer) or 'none accepted'})"
        )
    return labels, silent


def read_cue_decisions(decisions: xr.DataArray, cues: Any = None, *, no_answer: tuple[str, ...] = NO_ANSWER,
                       require_subjects: bool = False) -> CueDecisions:
    """Validate cue-conflict decisions (and their cues) into a :class:`CueDecisions`."""
    if not isinstance(decisions, xr.DataArray):
        raise BehavioralDataError(f"decisions must be an xarray.DataArray, got {type(decisions).__name__}")
    if "presentation" not in decisions.dims or "stimulus_id" not in decisions.coords:
        raise BehavioralDataError(
            f"decisions need a 'presentation' dim with a 'stimulus_id' coordinate; got dims {decisions.dims} and "
            f"coords {sorted(map(str, decisions.coords))}"
        )
    if decisions.sizes["presentation"] == 0:
        raise BehavioralDataError("decisions are empty")
    ids = _coord(decisions, "stimulus_id")
    labels, silent = _labels(decisions, no_answer)
    shape, texture = _cues_of(decisions, ids, cues)
    bad = sorted((set(shape.tolist()) | set(texture.tolist())) - set(CATEGORIES))
    if bad:
        raise BehavioralDataError(f"shape/texture classes {bad[:5]} are not among the 16 classes ({', '.join(CATEGORIES)})")
    has_subjects = "subject" in decisions.coords
    if require_subjects and not has_subjects:
        raise BehavioralDataError("human cue-conflict trials need a 'subject' coordinate on 'presentation'")
    unit = _coord(decisions, "subject") if has_subjects else np.full(len(ids), POOLED, dtype=object)
    return CueDecisions(ids, labels, shape, texture, unit, silent, has_subjects)


@dataclass(frozen=True)
class CueCounts:
    """Counts per unit and conflict image: shape decisions, texture decisions, conflict trials (units x images)."""

    shape: np.ndarray
    texture: np.ndarray
    trials: np.ndarray
    stimulus_ids: list[str]
    unit_ids: list[str]
    image_shape: np.ndarray  # the shape class of each image


def cue_counts(d: CueDecisions) -> CueCounts:
    """Count shape / texture decisions per unit and conflict image (images sorted by id)."""
    conflict = d.conflict
    if not conflict.any():
        raise BehavioralDataError("no decision is on a cue-conflict image (shape and texture classes all agree)")
    images, image_index = np.unique(d.stimulus_id[conflict].astype(str), return_inverse=True)
    units, unit_index = np.unique(d.unit[conflict].astype(str), return_inverse=True)
    counts = []
    for hit in (d.label[conflict] == d.shape[conflict], d.label[conflict] == d.texture[conflict],
                np.ones(int(conflict.sum()), dtype=bool)):
        table = np.zeros((len(units), len(images)))
        np.add.at(table, (unit_index[hit], image_index[hit]), 1.0)
        counts.append(table)
    image_shape = np.empty(len(images), dtype=object)
    image_shape[image_index] = d.shape[conflict]
    return CueCounts(*counts, images.tolist(), units.tolist(), image_shape)


def statistics_of(c: CueCounts, images: np.ndarray | None = None, units: np.ndarray | None = None) -> dict[str, float]:
    """The three statistics over the selected images (mask) and units (mask) of ``c``."""
    images = np.ones(c.shape.shape[1], dtype=bool) if images is None else images
    units = np.ones(c.shape.shape[0], dtype=bool) if units is None else units
    s, t, n = (float(x[np.ix_(units, images)].sum()) for x in (c.shape, c.texture, c.trials))
    return {name: counts_statistic(name, s, t, n) for name in STATISTICS}


def per_class(c: CueCounts, statistic: str = "shape_bias", units: np.ndarray | None = None) -> dict[str, float]:
    """``statistic`` per shape class (the classes that have conflict images), in class order."""
    return {k: statistics_of(c, c.image_shape == k, units)[statistic] for k in CATEGORIES if (c.image_shape == k).any()}


class ShapeBias(Estimator):
    """``metric(decisions, cues=None) -> Score``: shape bias (or shape / texture match) of cue-conflict decisions."""

    def __init__(self, *, statistic: str = "shape_bias", no_answer: tuple[str, ...] = NO_ANSWER) -> None:
        self.statistic = statistic
        self.no_answer = no_answer

    def check_params(self) -> None:
        """``statistic`` must be known; ``no_answer`` a tuple of strings."""
        require_choice(self, "statistic", STATISTICS)
        require_tokens(self, "no_answer")

    def __call__(self, decisions: xr.DataArray, cues: Any = None) -> Score:
        """The statistic of ``decisions`` (shape/texture classes from their coords, or from ``cues``)."""
        return self.compute(decisions, cues).score

    def compute(self, decisions: xr.DataArray, cues: Any = None) -> Computed:
        """The Score and its resampler (conflict images and subjects, jointly)."""
        d = read_cue_decisions(decisions, cues, no_answer=tuple(self.no_answer))
        c = cue_counts(d)
        stats = statistics_of(c)
        raw = stats[self.statistic]
        denominator = float((c.shape + c.texture).sum() if self.statistic == "shape_bias" else c.trials.sum())
        error = math.sqrt(raw * (1 - raw) / denominator) if denominator and math.isfinite(raw) else math.nan
        classes = per_class(c, self.statistic)
        values = {"shape_class": per_unit(list(classes.values()), "shape_class", list(classes))}
        if len(c.unit_ids) > 1:
            per_subject = [statistics_of(c, None, np.arange(len(c.unit_ids)) == k)[self.statistic]
                           for k in range(len(c.unit_ids))]
            values["subject"] = per_unit(per_subject, "subject", c.unit_ids)
        conflict = d.conflict
        s, t, n = float(c.shape.sum()), float(c.texture.sum()), float(c.trials.sum())
        meta = {
            "metric": "shape_bias", "statistic": self.statistic, "parameters": self.params_record(),
            "data_checksum": data_checksum(decisions), **stats,
            "counts": {"shape": int(s), "texture": int(t), "neither": int(n - s - t),
                       "no_answer": int(d.no_answer[conflict].sum())},
            "n_trials": len(d.stimulus_id), "n_conflict_trials": int(n),
            "n_trials_without_conflict": int((~conflict).sum()), "n_stimuli": len(c.stimulus_ids),
            "n_units": len(c.unit_ids), "units": "subject" if d.has_subjects else POOLED,
            "shape_bias_per_class": per_class(c, "shape_bias"),
            "error": "binomial standard error of the pooled fraction",
        }
        score = Score(raw=raw, error=error, values=values, meta=meta)
        return Computed(score, CueConflictResampler(c.shape, c.texture, c.trials, self.statistic, c.stimulus_ids,
                                                    c.unit_ids, "subject" if d.has_subjects else POOLED))
