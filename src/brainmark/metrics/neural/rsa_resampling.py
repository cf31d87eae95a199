"""Resampling RSA scores and RDM noise ceilings: stimuli and subjects, jointly (as rsatoolbox's dual bootstrap).

A resample of the stimuli with counts ``w`` keeps the RDM entry of each pair of distinct stimuli (i, j) with
multiplicity ``w_i * w_j`` (pairs of a stimulus with its own copy carry no dissimilarity and are dropped, as
rsatoolbox does), so a comparator of the resampled RDMs is the comparator of the original entries with those
pair weights: weighted Pearson, or weighted Pearson of weighted midranks for Spearman (ties share their mean
rank). Subjects drawn ``u_s`` times weight the mean over subjects; the noise ceiling compares each drawn subject
with the weighted mean of the *other* subjects drawn (its own copies excluded).
"""
from __future__ import annotations

import warnings

import numpy as np

from brainmark.metrics.neural.rsa import kendall_tau_a
from brainmark.stats.weighted import weighted_mean, weighted_midranks, weighted_pearson_vectors


def pair_weights(stimulus_counts: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Multiplicity of each RDM entry (row i, column j) under each resample: (B x n) -> (B x m)."""
    return stimulus_counts[:, rows].astype(float) * stimulus_counts[:, cols]


def _ranks(vector: np.ndarray, weights: np.ndarray, order: np.ndarray | None) -> np.ndarray:
    return weighted_midranks(vector, weights, order)


def compare_weighted(x: np.ndarray, y: np.ndarray, weights: np.ndarray, comparator: str,
                     x_order: np.ndarray | None = None, y_order: np.ndarray | None = None) -> np.ndarray:
    """``comparator`` of entry vectors ``x``, ``y`` ((m,) or (B x m)) under entry ``weights`` (B x m) -> (B,)."""
    if comparator == "pearson":
        return weighted_pearson_vectors(x, y, weights)
    if comparator == "spearman":
        return weighted_pearson_vectors(_ranks(x, weights, x_order), _ranks(y, weights, y_order), weights)
    counts = np.rint(weights).astype(np.int64)  # kendall tau-a: on the expanded vectors, resample by resample
    xs = np.broadcast_to(x, weights.shape)
    ys = np.broadcast_to(y, weights.shape)
    return np.asarray([kendall_tau_a(np.repeat(xs[b], counts[b]), np.repeat(ys[b], counts[b]))
                       for b in range(weights.shape[0])])


def _order(vector: np.ndarray) -> np.ndarray:
    return np.argsort(vector, kind="stable")


class RSAResampler:
    """Resamples an RSA score: the model's RDM entries against each subject's, stimuli and subjects jointly."""

    unit_kind = "subject"

    def __init__(self, model: np.ndarray, subjects: np.ndarray, comparator: str, rows: np.ndarray, cols: np.ndarray,
                 stimulus_ids: list[str], subject_ids: list[str]) -> None:
        self.model, self.subjects, self.comparator = model, subjects, comparator
        self.rows, self.cols = rows, cols
        self.stimulus_ids, self.unit_ids = tuple(stimulus_ids), tuple(subject_ids)
        self.description = (f"stimuli (RDM entries of distinct resampled stimuli) and subjects, jointly; "
                            f"{comparator} per subject, weighted mean over subjects")
        self._orders = [_order(model), *[_order(v) for v in subjects]]

    def resample(self, stimulus_counts: np.ndarray, unit_counts: np.ndarray) -> np.ndarray:
        """The RSA score (mean over subjects) under each resample."""
        c = pair_weights(stimulus_counts, self.rows, self.cols)
        if self.comparator == "kendall_tau_a":
            per = [compare_weighted(self.model, v, c, self.comparator) for v in self.subjects]
        else:  # Spearman: each vector's weighted midranks once, then weighted Pearson
            ranked = self.comparator == "spearman"
            model = _ranks(self.model, c, self._orders[0]) if ranked else self.model
            per = [weighted_pearson_vectors(model, _ranks(v, c, o) if ranked else v, c)
                   for v, o in zip(self.subjects, self._orders[1:])]
        return weighted_mean(np.stack(per, axis=1), unit_counts)


class RDMCeilingResampler:
    """Resamples the lower bound of the RDM noise ceiling (each subject vs the mean of the others)."""

    unit_kind = "subject"

    def __init__(self, subjects: np.ndarray, comparator: str, rows: np.ndarray, cols: np.ndarray,
                 stimulus_ids: list[str], subject_ids: list[str]) -> None:
        self.subjects, self.comparator = subjects, comparator
        self.rows, self.cols = rows, cols
        self.stimulus_ids, self.unit_ids = tuple(stimulus_ids), tuple(subject_ids)
        self.description = (f"stimuli and subjects, jointly; each drawn subject vs the weighted mean of the other "
                            f"drawn subjects ({comparator}{', rank-pooled' if comparator == 'spearman' else ''})")
        self._orders = [_order(v) for v in subjects]

    def resample(self, stimulus_counts: np.ndarray, unit_counts: np.ndarray) -> np.ndarray:
        """The lower-bound noise ceiling under each resample (NaN when fewer than two distinct subjects are drawn)."""
        c = pair_weights(stimulus_counts, self.rows, self.cols)
        u = np.asarray(unit_counts, dtype=float)
        pooled = [_ranks(v, c, o) if self.comparator == "spearman" else np.broadcast_to(v, c.shape)
                  for v, o in zip(self.subjects, self._orders)]
        total = sum(u[:, [s]] * p for s, p in enumerate(pooled))
        others_weight = u.sum(axis=1, keepdims=True) - u
        lower = np.full(u.shape, np.nan)
        for s, p in enumerate(pooled):
            with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                others = (total - u[:, [s]] * p) / others_weight[:, [s]]
            ok = (u[:, s] > 0) & (others_weight[:, s] > 0)
            if not ok.any():
                continue
            if self.comparator == "spearman":  # p holds ranks already; the pooled ranks are ranked per resample
                lower[ok, s] = weighted_pearson_vectors(p[ok], _ranks(others[ok], c[ok], None), c[ok])
            else:
                lower[ok, s] = compare_weighted(p[ok], others[ok], c[ok], self.comparator)
        return weighted_mean(lower, u)
