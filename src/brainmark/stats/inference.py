"""Paired bootstrap tests and multiple-comparison adjustment.

Two scores of the same benchmark data share their resamples (:func:`brainmark.stats.bootstrap.resampling_key`),
so the b-th replicate difference ``d_b = A_b - B_b`` is the difference the two models would have on the b-th
resampled experiment: its percentile interval is the interval of the difference, and the two-sided p-value of
"no difference" is twice the smaller tail of the replicates at zero, ``2 min(#(d <= 0) + 1, #(d >= 0) + 1) /
(B + 1)`` (capped at 1), consistent with the interval (p < 1 - level exactly when it excludes 0, up to the +1).
"""
from __future__ import annotations

import math

import numpy as np
import scipy.stats

ADJUSTMENTS = ("holm", "bh", "none")


def paired_difference(a: np.ndarray, b: np.ndarray, level: float) -> tuple[np.ndarray, tuple[float, float], float]:
    """(replicate differences, their percentile interval, two-sided p) of paired replicates ``a - b``."""
    from brainmark.stats.bootstrap import percentile_interval

    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    return d, percentile_interval(d, level), bootstrap_p_value(d)


def bootstrap_p_value(differences: np.ndarray) -> float:
    """Two-sided bootstrap p-value of a zero difference (NaN when fewer than half the replicates are finite)."""
    d = np.asarray(differences, dtype=float)
    finite = d[np.isfinite(d)]
    if finite.size < max(2, d.size // 2):
        return math.nan
    below, above = int((finite <= 0).sum()), int((finite >= 0).sum())
    return float(min(1.0, 2 * (min(below, above) + 1) / (finite.size + 1)))


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment (controls the family-wise error rate); NaN p-values stay NaN."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = finite.size
    if m == 0:
        return out
    order = finite[np.argsort(p[finite], kind="stable")]
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out[order] = adjusted
    return out


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjustment (controls the false-discovery rate; scipy's); NaN p-values stay NaN."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    finite = np.isfinite(p)
    if finite.any():
        out[finite] = scipy.stats.false_discovery_control(p[finite], method="bh")
    return out


def adjust(p_values: np.ndarray, method: str) -> np.ndarray:
    """Adjusted p-values by ``method`` (``holm``, ``bh`` or ``none``)."""
    if method == "holm":
        return holm(p_values)
    if method == "bh":
        return benjamini_hochberg(p_values)
    if method == "none":
        return np.asarray(p_values, dtype=float)
    raise ValueError(f"unknown p-value adjustment {method!r}; choose one of {', '.join(ADJUSTMENTS)}")
