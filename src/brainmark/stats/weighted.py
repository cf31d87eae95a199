"""Weighted statistics, batched over resamples: the arithmetic of every bootstrap in brainmark.

A bootstrap resample is represented by *counts*: how many times each stimulus (or unit) was drawn. A statistic of
the resampled data equals the same statistic of the original data with those counts as weights (a stimulus drawn
twice counts twice), so nothing is copied or refitted. Every function takes a leading batch axis of resamples.
"""
from __future__ import annotations

import numpy as np


def weighted_pearson(a: np.ndarray, b: np.ndarray, weights: np.ndarray, valid: np.ndarray | None = None,
                     min_count: float = 3.0) -> np.ndarray:
    """Pearson r per column between ``a`` and ``b`` (n x q) under each row of ``weights`` (B x n) -> (B x q).

    ``valid`` (n x q, optional) marks the entries to use per column (e.g. where both are finite); NaN where a
    column's weighted variance is zero or fewer than ``min_count`` weighted entries are valid. The columns are
    centred on their unweighted means first, which leaves r unchanged and keeps the sums well conditioned.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    w = np.asarray(weights, dtype=float)
    if valid is None:
        valid = np.isfinite(a) & np.isfinite(b)
    m = np.asarray(valid, dtype=float)
    a = np.where(valid, a - np.nanmean(np.where(valid, a, np.nan), axis=0), 0.0)
    b = np.where(valid, b - np.nanmean(np.where(valid, b, np.nan), axis=0), 0.0)
    total = w @ m
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_a, mean_b = (w @ a) / total, (w @ b) / total
        second_a, second_b = (w @ (a * a)) / total, (w @ (b * b)) / total
        cov = (w @ (a * b)) / total - mean_a * mean_b
        var_a, var_b = second_a - mean_a**2, second_b - mean_b**2
        r = cov / np.sqrt(var_a * var_b)
    ok = (total >= min_count) & (var_a > 1e-12 * second_a) & (var_b > 1e-12 * second_b)
    return np.clip(np.where(ok, r, np.nan), -1.0, 1.0)


def weighted_pearson_vectors(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Pearson r between vectors whose entries carry weights, batched: ``x``, ``y`` (B x m) or (m,), ``weights``
    (B x m) -> (B,)."""
    w = np.asarray(weights, dtype=float)
    x = np.broadcast_to(np.asarray(x, dtype=float), w.shape)
    y = np.broadcast_to(np.asarray(y, dtype=float), w.shape)
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = (w * x).sum(axis=1) / total
        my = (w * y).sum(axis=1) / total
        dx, dy = x - mx[:, None], y - my[:, None]
        r = (w * dx * dy).sum(axis=1) / np.sqrt((w * dx * dx).sum(axis=1) * (w * dy * dy).sum(axis=1))
    return np.clip(r, -1.0, 1.0)


def weighted_median(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The median of each row of ``values`` (B x q) with each entry repeated ``counts`` times, NaN ignored.

    Equals ``numpy.nanmedian`` of the expanded row (the mean of the two middle entries for an even total); NaN for
    a row without any counted finite value.
    """
    values = np.asarray(values, dtype=float)
    counts = np.where(np.isfinite(values), np.asarray(counts, dtype=float), 0.0)
    order = np.argsort(np.where(np.isfinite(values), values, np.inf), axis=1, kind="stable")
    sorted_values = np.take_along_axis(values, order, axis=1)
    cumulative = np.cumsum(np.take_along_axis(counts, order, axis=1), axis=1)
    total = cumulative[:, -1]
    lower = np.floor((total - 1) / 2)  # 0-based positions of the middle entries of the expanded row
    upper = np.floor(total / 2)
    pick = lambda k: np.take_along_axis(  # noqa: E731
        sorted_values, np.minimum((cumulative <= k[:, None]).sum(axis=1), values.shape[1] - 1)[:, None], axis=1)[:, 0]
    with np.errstate(invalid="ignore"):
        out = 0.5 * (pick(lower) + pick(upper))
    return np.where(total > 0, out, np.nan)


def weighted_mean(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Mean of each row of ``values`` (B x q) with entry weights ``counts`` (B x q or q), NaN ignored."""
    values = np.asarray(values, dtype=float)
    counts = np.broadcast_to(np.asarray(counts, dtype=float), values.shape)
    finite = np.isfinite(values)
    weights = np.where(finite, counts, 0.0)
    total = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (np.where(finite, values, 0.0) * weights).sum(axis=1) / total, np.nan)


def weighted_midranks(values: np.ndarray, weights: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """Midranks of ``values`` (m,) or (B x m) when entry e occurs ``weights[b, e]`` times (ties share their mean rank).

    ``order`` (an argsort of a 1-d ``values``) may be given to reuse one sort for all resamples. These are the ranks
    a Spearman correlation of the expanded vectors uses. Entries that occur 0 times have no rank: with 2-d
    ``values`` they get 0 (only the others are sorted), with 1-d ``values`` the rank they would take.
    """
    w = np.asarray(weights, dtype=float)
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:  # one sort and one tie structure for every resample
        order = np.argsort(values, kind="stable") if order is None else np.asarray(order)
        sv = values[order]
        starts = np.ones(sv.shape, dtype=bool)
        starts[1:] = sv[1:] != sv[:-1]
        ends = np.append(starts[1:], True)
        sw = w[:, order]
        cum = np.cumsum(sw, axis=1)
        ranks_sorted = cum - (sw - 1) / 2  # an untied entry's copies occupy ranks (cum - sw, cum]
        if not starts.all():  # tie groups (usually few) share the mean rank of all their copies
            group = np.cumsum(starts) - 1
            tied = np.flatnonzero(np.bincount(group)[group] > 1)
            first, last = np.flatnonzero(starts)[group[tied]], np.flatnonzero(ends)[group[tied]]
            start_cum = cum[:, first] - sw[:, first]
            ranks_sorted[:, tied] = start_cum + (cum[:, last] - start_cum + 1) / 2
        ranks = np.empty_like(ranks_sorted)
        ranks[:, order] = ranks_sorted
        return ranks
    v = np.broadcast_to(values, w.shape)
    keep = w > 0
    kept = keep.sum(axis=1)
    width = int(kept.max(initial=0))
    if width < 0.8 * w.shape[1]:  # rank only what occurs (a bootstrap draws ~40 % of RDM pairs)
        r, c = np.nonzero(keep)
        pos = np.arange(r.size) - np.repeat(np.cumsum(kept) - kept, kept)
        packed_v = np.full((w.shape[0], max(width, 1)), np.inf)
        packed_w = np.zeros(packed_v.shape)
        packed_v[r, pos], packed_w[r, pos] = v[r, c], w[r, c]
        ranks = np.zeros(w.shape)
        ranks[r, c] = _sorted_midranks(packed_v, packed_w)[r, pos]
        return ranks
    return _sorted_midranks(v, w)


def _sorted_midranks(v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Row-wise weighted midranks of (B x m) values by one row-wise sort (the 2-d case of weighted_midranks)."""
    b, m = w.shape
    order = np.argsort(v, axis=1)
    sv, sw = np.take_along_axis(v, order, axis=1), np.take_along_axis(w, order, axis=1)
    if not ((sv[:, 1:] == sv[:, :-1]) & (sw[:, 1:] > 0)).any():  # no ties among entries that occur: no groups
        ranks = np.empty(w.shape)
        np.put_along_axis(ranks, order, np.cumsum(sw, axis=1) - (sw - 1) / 2, axis=1)
        return ranks
    flat = (order + (np.arange(b) * m)[:, None]).ravel()  # tie groups (ties need no order within them)
    sv, sw = v.ravel()[flat], w.ravel()[flat]
    starts = np.ones(sv.size, dtype=bool)  # a tie group starts at each row start and where the value changes
    starts[1:] = sv[1:] != sv[:-1]
    starts[::m] = True
    first = np.flatnonzero(starts)
    group = np.cumsum(starts) - 1
    totals = np.add.reduceat(sw, first)  # weight of each tie group
    before = np.cumsum(sw) - sw  # weight before each entry (row-local after subtracting the row's offset)
    row_offset = np.repeat(before[::m], m)
    ranks_sorted = (before[first] - row_offset[first])[group] + (totals[group] + 1) / 2
    ranks = np.empty(sv.size)
    ranks[flat] = ranks_sorted
    return ranks.reshape(b, m)


class FixedOrder:
    """A fixed vector's sort order and tie structure, to get its weighted midranks under many weightings fast.

    ``FixedOrder(v).midranks(weights)`` equals ``weighted_midranks(v, weights)``; the sort, its inverse and the tie
    groups are computed once.
    """

    def __init__(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=float)
        self.order = np.argsort(values, kind="stable")
        self.inverse = np.empty_like(self.order)
        self.inverse[self.order] = np.arange(len(values))
        sv = values[self.order]
        starts = np.ones(sv.shape, dtype=bool)
        starts[1:] = sv[1:] != sv[:-1]
        ends = np.append(starts[1:], True)
        group = np.cumsum(starts) - 1
        self.tied = np.flatnonzero(np.bincount(group)[group] > 1)  # sorted positions in tie groups (usually few)
        self.first = np.flatnonzero(starts)[group[self.tied]]
        self.last = np.flatnonzero(ends)[group[self.tied]]

    def midranks(self, weights: np.ndarray) -> np.ndarray:
        """Weighted midranks of the vector under each row of ``weights`` (B x m)."""
        sw = np.asarray(weights, dtype=float)[:, self.order]
        cum = np.cumsum(sw, axis=1)
        ranks = cum - (sw - 1) / 2  # an untied entry's copies occupy ranks (cum - sw, cum]
        if self.tied.size:
            start = cum[:, self.first] - sw[:, self.first]
            ranks[:, self.tied] = start + (cum[:, self.last] - start + 1) / 2
        return ranks[:, self.inverse]
