"""Resampling RSA scores and RDM noise ceilings: stimuli and subjects, jointly (as rsatoolbox's dual bootstrap).

A resample of the stimuli with counts ``w`` keeps the RDM entry of each pair of distinct stimuli (i, j) with
multiplicity ``w_i * w_j`` (pairs of a stimulus with its own copy carry no dissimilarity and are dropped, as
rsatoolbox does), so a comparator of the resampled RDMs is the comparator of the original entries with those
pair weights: weighted Pearson, or weighted Pearson of weighted midranks for Spearman (ties share their mean
rank). Subjects drawn ``u_s`` times weight the mean over subjects; the noise ceiling compares each drawn subject
with the weighted mean of the *other* subjects drawn (its own copies excluded).
"""
from __future__ import annotations

import hashlib
import threading

import numpy as np

from brainmark.metrics.neural.rsa import kendall_tau_a
from brainmark.stats.weighted import FixedOrder, weighted_mean, weighted_midranks, weighted_pearson_vectors


def pair_weights(stimulus_counts: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Multiplicity of each RDM entry (row i, column j) under each resample: (B x n) -> (B x m)."""
    return stimulus_counts[:, rows].astype(float) * stimulus_counts[:, cols]


def _ranks(vector: np.ndarray, weights: np.ndarray, order: "FixedOrder | np.ndarray | None") -> np.ndarray:
    if isinstance(order, FixedOrder):
        return order.midranks(weights)
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


def _order(vector: np.ndarray) -> FixedOrder:
    return FixedOrder(vector)


#: Entries x resamples per resampler call: (resamples x entries) arrays of this size stay in the CPU cache.
_BLOCK_CELLS = 50_000


def _block_rows(n_entries: int) -> int:
    return max(1, _BLOCK_CELLS // max(1, n_entries))


_SHARED = threading.local()  # the last block's pair weights and subject midranks (per thread)


def _subject_ranks(key: str, stimulus_counts: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                   orders: list[FixedOrder]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Pair weights and each subject's weighted midranks for a block of resamples.

    The score's and the ceiling's resamplers of the same subject RDMs are evaluated on the same draws one after
    the other; a one-block memo (keyed by the subjects' content and the counts) lets the second reuse the first's.
    """
    counts_key = (key, stimulus_counts.shape, hashlib.blake2b(np.ascontiguousarray(stimulus_counts).tobytes(),
                                                              digest_size=16).digest())
    if getattr(_SHARED, "key", None) != counts_key:
        c = pair_weights(stimulus_counts, rows, cols)
        _SHARED.key, _SHARED.value = counts_key, (c, [o.midranks(c) for o in orders])
    return _SHARED.value


def _content_key(subjects: np.ndarray, rows: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(subjects).tobytes() + np.asarray(rows).tobytes()).hexdigest()


def _unit_only(stimulus_counts: np.ndarray) -> np.ndarray:
    """Rows whose stimuli are all drawn once (the unit-only resamples): their entries keep their point values."""
    return (stimulus_counts == 1).all(axis=1)


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
        self.block_rows = _block_rows(len(rows))
        self._key = _content_key(subjects, rows)
        self._point = self._per_subject(np.ones((1, len(rows))), np.ones((1, len(subjects)), dtype=bool))[0]

    def _per_subject(self, c: np.ndarray, drawn: np.ndarray, ranks: list[np.ndarray] | None = None) -> np.ndarray:
        """Comparator per row and subject (NaN where the subject was not drawn in that row)."""
        out = np.full(drawn.shape, np.nan)
        ranked = self.comparator == "spearman"
        model = _ranks(self.model, c, self._orders[0]) if ranked else self.model
        for s, (v, o) in enumerate(zip(self.subjects, self._orders[1:])):
            rows = np.flatnonzero(drawn[:, s])
            if not rows.size:
                continue
            rows = slice(None) if rows.size == drawn.shape[0] else rows  # a slice avoids copying (B x entries)
            if self.comparator == "kendall_tau_a":
                out[rows, s] = compare_weighted(self.model, v, c[rows], self.comparator)
                continue
            m = model[rows] if ranked else model
            y = (ranks[s][rows] if ranks is not None else _ranks(v, c[rows], o)) if ranked else v
            out[rows, s] = weighted_pearson_vectors(m, y, c[rows])
        return out

    def resample(self, stimulus_counts: np.ndarray, unit_counts: np.ndarray) -> np.ndarray:
        """The RSA score (mean over subjects) under each resample."""
        per = np.broadcast_to(self._point, unit_counts.shape).copy()
        moved = ~_unit_only(stimulus_counts)
        if moved.any():
            counts = stimulus_counts[moved]
            if self.comparator == "spearman":
                c, ranks = _subject_ranks(self._key, counts, self.rows, self.cols, self._orders[1:])
            else:
                c, ranks = pair_weights(counts, self.rows, self.cols), None
            per[moved] = self._per_subject(c, unit_counts[moved] > 0, ranks)
        return weighted_mean(per, unit_counts)


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
        self.block_rows = _block_rows(len(rows))
        self._key = _content_key(subjects, rows)
        self._by_units: dict[tuple, float] = {}  # unit-only resamples: the value depends on the unit counts only

    def _lower_bounds(self, c: np.ndarray, u: np.ndarray, ranks: list[np.ndarray] | None = None) -> np.ndarray:
        """Each drawn subject against the others, per row (B x subjects; NaN where not drawn or alone)."""
        if self.comparator == "spearman":
            pooled = ranks if ranks is not None else [_ranks(v, c, o) for v, o in zip(self.subjects, self._orders)]
        else:
            pooled = [np.broadcast_to(v, c.shape) for v in self.subjects]
        total = sum(u[:, [s]] * p for s, p in enumerate(pooled))
        others_weight = u.sum(axis=1, keepdims=True) - u
        lower = np.full(u.shape, np.nan)
        for s, p in enumerate(pooled):
            ok = np.flatnonzero((u[:, s] > 0) & (others_weight[:, s] > 0))
            if not ok.size:
                continue
            rows = slice(None) if ok.size == u.shape[0] else ok  # a slice avoids copying (B x entries) arrays
            others = total[rows] - u[rows, s][:, None] * p[rows]  # the others' summed ranks (or values)
            if self.comparator == "spearman":  # p holds ranks already; the pooled ranks are ranked per resample
                lower[rows, s] = weighted_pearson_vectors(p[rows], weighted_midranks(others, c[rows]), c[rows])
            else:
                lower[rows, s] = compare_weighted(p[rows], others / others_weight[rows, s][:, None], c[rows],
                                                  self.comparator)
        return lower

    def resample(self, stimulus_counts: np.ndarray, unit_counts: np.ndarray) -> np.ndarray:
        """The lower-bound noise ceiling under each resample (NaN when fewer than two distinct subjects are drawn)."""
        u = np.asarray(unit_counts, dtype=float)
        out = np.empty(u.shape[0])
        fixed = _unit_only(stimulus_counts)
        for row in np.flatnonzero(fixed):
            key = tuple(u[row])
            if key not in self._by_units:
                ones = np.ones((1, len(self.rows)))
                self._by_units[key] = float(weighted_mean(self._lower_bounds(ones, u[[row]]), u[[row]])[0])
            out[row] = self._by_units[key]
        moved = np.flatnonzero(~fixed)
        if moved.size:
            counts = stimulus_counts[moved]
            if self.comparator == "spearman":
                c, ranks = _subject_ranks(self._key, counts, self.rows, self.cols, self._orders)
            else:
                c, ranks = pair_weights(counts, self.rows, self.cols), None
            out[moved] = weighted_mean(self._lower_bounds(c, u[moved], ranks), u[moved])
        return out
