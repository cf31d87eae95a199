"""Resampling the cue-conflict metrics: conflict images and subjects, jointly, from the decision counts they kept.

The metrics keep, per unit (subject, or the pooled model decisions) and conflict image, how many trials chose the
shape, how many the texture, and how many there were. An image drawn ``w_i`` times and a subject drawn ``u_s``
times weight those counts by ``u_s w_i``, which is exactly the statistic of the expanded (resampled) data:
nothing is recomputed from the trials. The agreement ceiling compares each drawn subject with the pooled decisions
of the *other* subjects drawn (a subject's own copies are not "others").
"""
from __future__ import annotations

import numpy as np

from brainmark.stats.weighted import weighted_mean


def counts_statistic(statistic: str, shape: "float | np.ndarray", texture: "float | np.ndarray",
                     trials: "float | np.ndarray") -> "float | np.ndarray":
    """shape_bias = s / (s + t); shape_match = s / n; texture_match = t / n (NaN where the denominator is 0)."""
    numerator = texture if statistic == "texture_match" else shape
    denominator = shape + texture if statistic == "shape_bias" else trials
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(np.asarray(denominator) > 0, np.asarray(numerator, dtype=float) / denominator, np.nan)
    return float(out) if np.ndim(out) == 0 else out


def _weighted(counts: np.ndarray, stimulus_counts: np.ndarray, unit_counts: np.ndarray) -> np.ndarray:
    """sum over units s and images i of u_s w_i counts[s, i], per resample: (B,)."""
    return ((unit_counts.astype(float) @ counts) * stimulus_counts).sum(axis=1)


class CueConflictResampler:
    """Resamples a pooled cue-conflict statistic (shape bias, shape match or texture match)."""

    def __init__(self, shape: np.ndarray, texture: np.ndarray, trials: np.ndarray, statistic: str,
                 stimulus_ids: list[str], unit_ids: list[str], unit_kind: str) -> None:
        self.shape, self.texture, self.trials, self.statistic = shape, texture, trials, statistic
        self.stimulus_ids, self.unit_ids, self.unit_kind = tuple(stimulus_ids), tuple(unit_ids), unit_kind
        self.description = f"conflict images and {unit_kind}s, jointly; {statistic} of the weighted decision counts"

    def resample(self, stimulus_counts: np.ndarray, unit_counts: np.ndarray) -> np.ndarray:
        """The statistic under each resample."""
        w, u = stimulus_counts.astype(float), unit_counts.astype(float)
        return counts_statistic(self.statistic, _weighted(self.shape, w, u), _weighted(self.texture, w, u),
                                _weighted(self.trials, w, u))


def _subject_biases(shape: np.ndarray, texture: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Shape bias of each subject under image weights: (B x q)."""
    s, t = w @ shape.T, w @ texture.T
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s + t > 0, s / (s + t), np.nan)


def agreement(a: "float | np.ndarray", b: "float | np.ndarray") -> "float | np.ndarray":
    """1 - |a - b|: how close two shape biases are (1 = equal)."""
    out = 1.0 - np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))
    return float(out) if np.ndim(out) == 0 else out


class AgreementResampler:
    """Resamples the model-to-human shape-bias agreement: per subject 1 - |SB_model - SB_subject|, weighted mean."""

    unit_kind = "subject"
    description = ("conflict images and subjects, jointly; image-weighted shape bias of the model and of each subject, "
                   "1 - |difference| per subject, subject-weighted mean")

    def __init__(self, model_shape: np.ndarray, model_texture: np.ndarray, shape: np.ndarray, texture: np.ndarray,
                 stimulus_ids: list[str], subject_ids: list[str]) -> None:
        self.model_shape, self.model_texture, self.shape, self.texture = model_shape, model_texture, shape, texture
        self.stimulus_ids, self.unit_ids = tuple(stimulus_ids), tuple(subject_ids)

    def resample(self, stimulus_counts: np.ndarray, unit_counts: np.ndarray) -> np.ndarray:
        """The agreement under each resample."""
        w = stimulus_counts.astype(float)
        model = counts_statistic("shape_bias", w @ self.model_shape, w @ self.model_texture, np.nan)
        return weighted_mean(agreement(model[:, None], _subject_biases(self.shape, self.texture, w)), unit_counts)


class AgreementCeilingResampler:
    """Resamples the human-to-human agreement: each drawn subject vs the pooled other drawn subjects."""

    unit_kind = "subject"
    description = ("conflict images and subjects, jointly; each drawn subject's shape bias vs the pooled shape bias "
                   "of the other distinct drawn subjects, 1 - |difference|, subject-weighted mean")

    def __init__(self, shape: np.ndarray, texture: np.ndarray, stimulus_ids: list[str], subject_ids: list[str]) -> None:
        self.shape, self.texture = shape, texture
        self.stimulus_ids, self.unit_ids = tuple(stimulus_ids), tuple(subject_ids)

    def resample(self, stimulus_counts: np.ndarray, unit_counts: np.ndarray) -> np.ndarray:
        """The human-to-human agreement under each resample (NaN when fewer than two distinct subjects are drawn)."""
        w, u = stimulus_counts.astype(float), unit_counts.astype(float)
        s, t = w @ self.shape.T, w @ self.texture.T  # (B x q): each subject's weighted counts
        others_s = (u * s).sum(axis=1, keepdims=True) - u * s
        others_t = (u * t).sum(axis=1, keepdims=True) - u * t
        with np.errstate(invalid="ignore", divide="ignore"):
            own = np.where(s + t > 0, s / (s + t), np.nan)
            others = np.where(others_s + others_t > 0, others_s / (others_s + others_t), np.nan)
        return weighted_mean(agreement(own, others), u)

