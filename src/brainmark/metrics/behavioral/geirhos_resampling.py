"""Resampling the Geirhos metrics: images and subjects, jointly, from the trial-wise correctness they compared.

An image drawn ``w_i`` times weights every trial on it by ``w_i`` (accuracies and agreement become weighted
means); a subject drawn ``u_s`` times weights the mean over subjects by ``u_s``, and a pair of distinct subjects
(a, b) the human-to-human mean by ``u_a u_b`` (a subject is never paired with its own copy).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from brainmark.stats.weighted import weighted_mean


@dataclass(frozen=True)
class TrialGroup:
    """The trials one kappa (or accuracy) is computed on: image indices and two correctness vectors."""

    unit: int  # index of the subject (or of the pair) it belongs to
    images: np.ndarray
    first: np.ndarray  # correctness of the model (or of subject a)
    second: np.ndarray  # correctness of the subject (or of subject b)


def weighted_kappa(weights: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Cohen's kappa of two correctness vectors with trial ``weights`` (B x t) -> (B,) (NaN when undefined)."""
    total = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc_a = weights @ first / total
        acc_b = weights @ second / total
        observed = weights @ (first == second).astype(float) / total
        expected = acc_a * acc_b + (1 - acc_a) * (1 - acc_b)
        kappa = (observed - expected) / (1 - expected)
    return np.where(expected < 1 - 1e-12, kappa, np.nan)


def _per_unit_means(values: np.ndarray, groups: list[TrialGroup], n_units: int) -> np.ndarray:
    """Mean over each unit's groups (conditions), NaN ignored: (B x groups) -> (B x units)."""
    out = np.full((values.shape[0], n_units), np.nan)
    units = np.asarray([g.unit for g in groups])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for unit in np.unique(units):
            out[:, unit] = np.nanmean(values[:, units == unit], axis=1)
    return out


class ErrorConsistencyResampler:
    """Resamples the model-to-human error consistency (mean over conditions, then weighted mean over subjects)."""

    unit_kind = "subject"
    description = "images and subjects, jointly; image-weighted kappa per subject and condition, subject-weighted mean"

    def __init__(self, groups: list[TrialGroup], stimulus_ids: list[str], subject_ids: list[str], absolute: bool):
        self.groups, self.absolute = groups, absolute
        self.stimulus_ids, self.unit_ids = tuple(stimulus_ids), tuple(subject_ids)

    def resample(self, stimulus_counts: np.ndarray, unit_counts: np.ndarray) -> np.ndarray:
        """The error consistency under each resample."""
        w = stimulus_counts.astype(float)
        kappas = np.stack([weighted_kappa(w[:, g.images], g.first, g.second) for g in self.groups], axis=1)
        mean = weighted_mean(_per_unit_means(kappas, self.groups, len(self.unit_ids)), unit_counts)
        return np.abs(mean) if self.absolute else mean


class ErrorConsistencyCeilingResampler:
    """Resamples the human-to-human error consistency over pairs of distinct drawn subjects."""

    unit_kind = "subject"
    description = "images and subjects, jointly; image-weighted kappa per pair of distinct drawn subjects"

    def __init__(self, groups: list[TrialGroup], pairs: list[tuple[int, int]], stimulus_ids: list[str],
                 subject_ids: list[str], absolute: bool) -> None:
        self.groups, self.pairs, self.absolute = groups, pairs, absolute
        self.stimulus_ids, self.unit_ids = tuple(stimulus_ids), tuple(subject_ids)

    def resample(self, stimulus_counts: np.ndarray, unit_counts: np.ndarray) -> np.ndarray:
        """The human-to-human consistency under each resample."""
        w = stimulus_counts.astype(float)
        kappas = np.stack([weighted_kappa(w[:, g.images], g.first, g.second) for g in self.groups], axis=1)
        per_pair = _per_unit_means(kappas, self.groups, len(self.pairs))
        u = unit_counts.astype(float)
        pair_weights = np.stack([u[:, a] * u[:, b] for a, b in self.pairs], axis=1)
        mean = weighted_mean(per_pair, pair_weights)
        return np.abs(mean) if self.absolute else mean


class AccuracyDistanceResampler:
    """Resamples the accuracy distance: per subject 1 - |a_m - a_h| / max(a_h, 1 - a_h), subject-weighted mean."""

    unit_kind = "subject"
    description = "images and subjects, jointly; image-weighted accuracies per subject, subject-weighted mean"

    def __init__(self, groups: list[TrialGroup], stimulus_ids: list[str], subject_ids: list[str]) -> None:
        self.groups = groups
        self.stimulus_ids, self.unit_ids = tuple(stimulus_ids), tuple(subject_ids)

    def resample(self, stimulus_counts: np.ndarray, unit_counts: np.ndarray) -> np.ndarray:
        """The accuracy distance under each resample."""
        w = stimulus_counts.astype(float)
        per_subject = np.full((w.shape[0], len(self.unit_ids)), np.nan)
        for g in self.groups:
            ww = w[:, g.images]
            with np.errstate(invalid="ignore", divide="ignore"):
                a_m, a_h = ww @ g.first / ww.sum(axis=1), ww @ g.second / ww.sum(axis=1)
                per_subject[:, g.unit] = 1.0 - np.abs(a_m - a_h) / np.maximum(a_h, 1.0 - a_h)
        return np.abs(weighted_mean(per_subject, unit_counts))


class AccuracyResampler:
    """Resamples top-1 accuracy over images (one unit: the ground truth)."""

    unit_kind = "truth"
    description = "images; image-weighted top-1 accuracy"

    def __init__(self, correct: np.ndarray, stimulus_ids: list[str]) -> None:
        self.correct = np.asarray(correct, dtype=float)
        self.stimulus_ids, self.unit_ids = tuple(stimulus_ids), ("truth",)

    def resample(self, stimulus_counts: np.ndarray, unit_counts: np.ndarray) -> np.ndarray:
        """The accuracy under each resample."""
        w = stimulus_counts.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return w @ self.correct / w.sum(axis=1)
