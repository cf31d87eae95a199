"""How close a model's shape bias is to humans': ``shape_bias_agreement`` metric and ceiling.

- Metric ``shape_bias_agreement(model_decisions, human_trials)``: per subject s, 1 - |SB_model - SB_s| (shape bias
  as in :mod:`brainmark.metrics.behavioral.cue_conflict`, over the conflict images the humans saw); mean over
  subjects. 1 = the model's shape bias equals every subject's.
- Ceiling ``shape_bias_agreement(human_trials)``: each subject against the pooled decisions of the others,
  1 - |SB_s - SB_others|, mean over subjects: the agreement a model at the humans' shape bias can expect.

Both record the shape biases (the model's, each subject's, the pooled humans', and per shape class) in ``meta``,
so that a score carries what a Fig.-4-style plot needs, and the fraction of conflict trials decided by either cue
(``model_cue_decisions``, ``human_cue_decisions``; humans 0.80). Read the shape bias with it: a model that always
answers the same class has a shape bias of 0.5 by symmetry while deciding by a cue on only 1/8 of the trials.
"""
from __future__ import annotations

import math

import numpy as np
import xarray as xr

from brainmark.data.checksum import data_checksum
from brainmark.metrics.base import Computed, Estimator
from brainmark.metrics.behavioral.cue_conflict import (
    NO_ANSWER,
    CueCounts,
    cue_counts,
    require_tokens,
    per_class,
    read_cue_decisions,
    statistics_of,
)
from brainmark.metrics.behavioral.cue_conflict_resampling import (
    AgreementCeilingResampler,
    AgreementResampler,
    agreement,
)
from brainmark.metrics.behavioral.trials import BehavioralDataError
from brainmark.scores import Score, per_unit


def _human_counts(human_trials: xr.DataArray, no_answer: tuple[str, ...]) -> CueCounts:
    return cue_counts(read_cue_decisions(human_trials, no_answer=no_answer, require_subjects=True))


def _subject_mask(c: CueCounts, k: int) -> np.ndarray:
    return np.arange(len(c.unit_ids)) == k


def human_record(c: CueCounts) -> dict:
    """The humans' shape biases: pooled, per subject, and per shape class (pooled and per subject)."""
    subjects = {s: statistics_of(c, None, _subject_mask(c, k))["shape_bias"] for k, s in enumerate(c.unit_ids)}
    pooled = statistics_of(c)
    return {
        "human_shape_bias": pooled["shape_bias"],
        "human_cue_decisions": pooled["shape_match"] + pooled["texture_match"],
        "human_shape_bias_per_subject": subjects,
        "human_shape_bias_range": [min(subjects.values()), max(subjects.values())],
        "human_shape_bias_per_class": per_class(c, "shape_bias"),
        "human_shape_bias_per_class_per_subject": {s: per_class(c, "shape_bias", _subject_mask(c, k))
                                                   for k, s in enumerate(c.unit_ids)},
    }


def _model_counts(model: xr.DataArray, human_trials: xr.DataArray, c: CueCounts,
                  no_answer: tuple[str, ...]) -> CueCounts:
    """The model's decision counts on the humans' conflict images (one decision per image), in their order."""
    if not isinstance(model, xr.DataArray) or "stimulus_id" not in model.coords or "presentation" not in model.dims:
        raise BehavioralDataError("model decisions must be a DataArray with a 'presentation' dim and a 'stimulus_id' coordinate")
    ids = np.asarray(model["stimulus_id"].values).astype(str)
    if len(set(ids.tolist())) != len(ids):
        raise BehavioralDataError("model decisions repeat stimulus ids; give one decision per stimulus")
    missing = sorted(set(c.stimulus_ids) - set(ids.tolist()))
    if missing:
        raise BehavioralDataError(f"{len(missing)} conflict images with human trials have no model decision "
                                  f"(e.g. {missing[:5]}); present the benchmark's whole stimulus set")
    keep = np.flatnonzero(np.isin(ids, c.stimulus_ids))
    d = read_cue_decisions(model.isel(presentation=keep), human_trials, no_answer=no_answer)
    if "shape" in model.coords and "texture" in model.coords:
        own = read_cue_decisions(model.isel(presentation=keep), no_answer=no_answer)
        if not ((own.shape == d.shape).all() and (own.texture == d.texture).all()):
            raise BehavioralDataError("the model decisions' shape/texture coordinates differ from the human trials'")
    counts = cue_counts(d)
    if counts.stimulus_ids != c.stimulus_ids:
        raise BehavioralDataError("the model's conflict images differ from the humans'")
    return counts


class ShapeBiasAgreement(Estimator):
    """``metric(model_decisions, human_trials) -> Score``: per subject 1 - |SB_model - SB_subject|, averaged."""

    def __init__(self, *, no_answer: tuple[str, ...] = NO_ANSWER) -> None:
        self.no_answer = no_answer

    def check_params(self) -> None:
        """``no_answer`` must be a tuple of strings."""
        require_tokens(self, "no_answer")

    def __call__(self, model: xr.DataArray, human_trials: xr.DataArray) -> Score:
        """The agreement of the model's shape bias with each subject's."""
        return self.compute(model, human_trials).score

    def compute(self, model: xr.DataArray, human_trials: xr.DataArray) -> Computed:
        """The Score and its resampler (conflict images and subjects)."""
        c = _human_counts(human_trials, tuple(self.no_answer))
        m = _model_counts(model, human_trials, c, tuple(self.no_answer))
        model_stats = statistics_of(m)
        humans = human_record(c)
        per_subject = np.asarray([agreement(model_stats["shape_bias"], v)
                                  for v in humans["human_shape_bias_per_subject"].values()])
        raw = float(np.mean(per_subject)) if np.isfinite(per_subject).all() else math.nan
        score = Score(
            raw=raw, error=float(np.std(per_subject) / math.sqrt(len(per_subject))),
            values={"subject": per_unit(per_subject, "subject", c.unit_ids)},
            meta={"metric": "shape_bias_agreement", "parameters": self.params_record(),
                  "data_checksum": data_checksum(human_trials), "model_shape_bias": model_stats["shape_bias"],
                  "model_shape_match": model_stats["shape_match"], "model_texture_match": model_stats["texture_match"],
                  "model_cue_decisions": model_stats["shape_match"] + model_stats["texture_match"],
                  "model_shape_bias_per_class": per_class(m, "shape_bias"), **humans,
                  "n_stimuli": len(c.stimulus_ids), "n_subjects": len(c.unit_ids),
                  "aggregation": "per subject 1 - |SB_model - SB_subject|; mean over subjects",
                  "error": "std over subjects (ddof=0) / sqrt(n_subjects)"},
        )
        resampler = AgreementResampler(m.shape[0], m.texture[0], c.shape, c.texture, c.stimulus_ids, c.unit_ids)
        return Computed(score, resampler)


class ShapeBiasAgreementCeiling(Estimator):
    """``ceiling(human_trials) -> Score``: each subject's shape bias vs the pooled others', 1 - |difference|, averaged."""

    def __init__(self, *, no_answer: tuple[str, ...] = NO_ANSWER) -> None:
        self.no_answer = no_answer

    def check_params(self) -> None:
        """``no_answer`` must be a tuple of strings."""
        require_tokens(self, "no_answer")

    def __call__(self, human_trials: xr.DataArray) -> Score:
        """The human-to-human shape-bias agreement."""
        return self.compute(human_trials).score

    def compute(self, human_trials: xr.DataArray) -> Computed:
        """The ceiling's Score and its resampler (conflict images and subjects)."""
        c = _human_counts(human_trials, tuple(self.no_answer))
        if len(c.unit_ids) < 2:
            raise BehavioralDataError("the shape-bias agreement ceiling needs trials of at least two subjects")
        all_subjects = np.ones(len(c.unit_ids), dtype=bool)
        values = []
        for k in range(len(c.unit_ids)):
            own = _subject_mask(c, k)
            values.append(agreement(statistics_of(c, None, own)["shape_bias"],
                                    statistics_of(c, None, all_subjects & ~own)["shape_bias"]))
        values = np.asarray(values)
        score = Score(
            raw=float(np.mean(values)), error=float(np.std(values) / math.sqrt(len(values))),
            values={"subject": per_unit(values, "subject", c.unit_ids)},
            meta={"ceiling": "shape-bias agreement of each subject with the pooled other subjects",
                  "parameters": self.params_record(), "data_checksum": data_checksum(human_trials),
                  **human_record(c), "n_stimuli": len(c.stimulus_ids), "n_subjects": len(c.unit_ids)},
        )
        return Computed(score, AgreementCeilingResampler(c.shape, c.texture, c.stimulus_ids, c.unit_ids))
