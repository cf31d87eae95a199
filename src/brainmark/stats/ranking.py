"""Rankings with uncertainty: rank intervals from replicates, the group tied with the best, benchmark reliability,
and composites defined across a set of models (z-scored mean, mean rank; Ahlert et al. 2024).

The functions take ``values`` (models,) and the models' replicates of one score, replicate b of every model coming
from the same resampled experiment (paired): plain (models x B) arrays of corrected replicates for rank intervals,
:class:`~brainmark.stats.correction.Replicates` for the paired tests.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.stats

from brainmark.stats.correction import Replicates
from brainmark.stats.inference import adjust, bootstrap_p_value


def ranks(values: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """Ranks of ``values`` along the last axis (1 = best, ties share their mean rank; NaN ranks last)."""
    v = np.asarray(values, dtype=float)
    key = -v if higher_is_better else v
    key = np.where(np.isfinite(key), key, np.inf)
    return scipy.stats.rankdata(key, axis=-1)


def rank_intervals(replicates: np.ndarray, level: float, higher_is_better: bool = True) -> np.ndarray:
    """(models x 2) percentile interval of each model's rank across the paired replicates."""
    r = ranks(np.asarray(replicates, dtype=float).T, higher_is_better)  # (B, models)
    return np.stack([np.percentile(r, 50 * (1 - level), axis=0), np.percentile(r, 50 * (1 + level), axis=0)], axis=1)


def tied_with_best(values: np.ndarray, replicates: "list[Replicates]", alpha: float, method: str = "holm",
                   higher_is_better: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Which models are not significantly worse than the best (paired tests against it, adjusted): (tied, p)."""
    v = np.asarray(values, dtype=float)
    sign = 1.0 if higher_is_better else -1.0
    best = int(np.nanargmax(sign * v))
    others = [i for i in range(len(v)) if i != best]
    p = np.full(len(v), np.nan)
    raw = np.asarray([bootstrap_p_value(sign * (replicates[best] - replicates[i]).corrected(v[best] - v[i]))
                      for i in others])
    p[others] = adjust(raw, method) if others else raw
    tied = np.where(np.isnan(p), False, p >= alpha)
    tied[best] = True
    return tied, p


def benchmark_reliability(split_half: np.ndarray) -> tuple[float, int]:
    """How reliably a benchmark orders models: (Spearman-Brown corrected split-half reliability, models used).

    ``split_half`` is (models x halvings x 2): each model's ceiled score on both halves of the same seeded
    halvings of the stimuli. Per halving, the Spearman correlation across models of the two halves' scores;
    mean over halvings; corrected to the full stimulus set by Spearman-Brown, 2r / (1 + r). NaN with fewer
    than 3 models.
    """
    h = np.asarray(split_half, dtype=float)
    keep = np.isfinite(h).all(axis=(1, 2))
    h = h[keep]
    if h.shape[0] < 3:
        return math.nan, int(h.shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a constant half gives an undefined correlation
        rs = [scipy.stats.spearmanr(h[:, k, 0], h[:, k, 1]).statistic for k in range(h.shape[1])]
    r = float(np.nanmean(rs)) if np.isfinite(rs).any() else math.nan
    return (2 * r / (1 + r) if math.isfinite(r) and r > -1 else math.nan), int(h.shape[0])


def zscore_mean(values: np.ndarray) -> np.ndarray:
    """Per benchmark (rows of ``values``, benchmarks x models [x B]) z-scored across models, then the mean."""
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a benchmark on which all models tie has no z-scores
        z = (v - v.mean(axis=1, keepdims=True)) / v.std(axis=1, keepdims=True)
        return np.nanmean(np.where(np.isfinite(z), z, np.nan), axis=0)


def mean_rank(values: np.ndarray) -> np.ndarray:
    """Per benchmark (rows, benchmarks x models [x B]) the rank across models (1 = best), then the mean."""
    v = np.asarray(values, dtype=float)
    return ranks(np.moveaxis(v, 1, -1)).mean(axis=0).T if v.ndim == 3 else ranks(v).mean(axis=0)
