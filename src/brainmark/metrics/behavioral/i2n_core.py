"""The NumPy core of the I2n family (Rajalingham et al. 2018): response matrices, d', normalisation, halves.

Every matrix is images x objects, images in sorted stimulus-id order, objects in sorted name order (see
:mod:`brainmark.metrics.behavioral.i2n` for the pipeline these functions implement).
"""
from __future__ import annotations

import math
import warnings
from contextlib import contextmanager

import numpy as np
from scipy.special import ndtri

from brainmark.stats.weighted import weighted_pearson_vectors

VARIANTS = ("i2n", "i1n", "i2", "o2")
FA_RULES = ("paper", "official")
CAP = 5.0

def group_nanmean(values: np.ndarray, groups: np.ndarray, n_groups: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Mean over rows of ``values`` within each group, ignoring NaN (NaN where a group has no finite value).

    ``weights`` (one per row, e.g. how often a resample drew each image) make it a weighted mean.
    """
    finite = np.isfinite(values)
    onehot = np.zeros((n_groups, len(groups)))
    onehot[groups, np.arange(len(groups))] = 1.0 if weights is None else weights
    sums = onehot @ np.where(finite, values, 0.0)
    counts = onehot @ finite
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def human_response_matrix(
    image: np.ndarray, sample: np.ndarray, distractor: np.ndarray, choice: np.ndarray,
    truth_of_image: np.ndarray, n_objects: int, trial_weights: np.ndarray | None = None,
) -> np.ndarray:
    """Wrong-choice rates from trials given as integer codes (choice = -1 for a response outside the objects).

    ``trial_weights`` count each trial that many times (a resample of the trials).
    """
    n_images = len(truth_of_image)
    size = n_images * n_objects
    valid = choice >= 0
    tw = trial_weights
    chosen = np.bincount(image[valid] * n_objects + choice[valid], minlength=size,
                         weights=None if tw is None else tw[valid]).astype(float)
    offered = (np.bincount(image * n_objects + sample, minlength=size, weights=tw)
               + np.bincount(image * n_objects + distractor, minlength=size, weights=tw)).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(offered > 0, chosen / np.where(offered > 0, offered, 1), np.nan).reshape(n_images, n_objects)
    rates[np.arange(n_images), truth_of_image] = np.nan
    return rates


def model_response_matrix(probabilities: np.ndarray, truth_of_image: np.ndarray) -> np.ndarray:
    """Wrong-choice rates p(d) / (p(d) + p(target)) from images x objects probabilities."""
    rows = np.arange(len(truth_of_image))
    p_target = probabilities[rows, truth_of_image][:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = probabilities / (probabilities + p_target)
    rates[rows, truth_of_image] = np.nan
    return rates


def _z(p: np.ndarray) -> np.ndarray:
    return ndtri(p)


def _column_mean(rates: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    if weights is None:
        with _quiet():
            return np.nanmean(rates, axis=0)
    finite = np.isfinite(rates)
    w = np.where(finite, weights[:, None], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(w.sum(axis=0) > 0, (np.where(finite, rates, 0.0) * w).sum(axis=0) / w.sum(axis=0), np.nan)


def dprime_matrix(rates: np.ndarray, truth_of_image: np.ndarray, n_objects: int, fa_rule: str,
                  weights: np.ndarray | None = None) -> np.ndarray:
    """Clipped d' per (image, distractor) from wrong-choice rates (``weights``: per image, for resamples)."""
    if fa_rule == "official":
        per_object = group_nanmean(rates, truth_of_image, n_objects, weights)  # [object shown, distractor]
        false_alarms = per_object.T[truth_of_image]  # images of the distractor whose distractor is the target
    elif fa_rule == "paper":
        column = _column_mean(rates, weights)  # all images (not of the object) whose distractor is the object
        false_alarms = np.broadcast_to(column[truth_of_image][:, None], rates.shape)
    else:
        raise ValueError(f"unknown false-alarm rule {fa_rule!r}; choose one of {', '.join(FA_RULES)}")
    with np.errstate(invalid="ignore", divide="ignore"):
        dprime = _z(1.0 - rates) - _z(false_alarms)
    return np.clip(dprime, -CAP, CAP)


def normalize(dprime: np.ndarray, truth_of_image: np.ndarray, n_objects: int,
              weights: np.ndarray | None = None) -> np.ndarray:
    """Subtract the (weighted) mean over images of each (target, distractor) pair."""
    return dprime - group_nanmean(dprime, truth_of_image, n_objects, weights)[truth_of_image]


def object_dprime(rates: np.ndarray, truth_of_image: np.ndarray, n_objects: int,
                  weights: np.ndarray | None = None) -> np.ndarray:
    """O2: objects x objects d' for target t against distractor d (NaN on the diagonal)."""
    wrong = group_nanmean(rates, truth_of_image, n_objects, weights)  # wrong[t, d]: choosing d on images of t
    with np.errstate(invalid="ignore", divide="ignore"):
        dprime = _z(1.0 - wrong) - _z(wrong.T)
    return np.clip(dprime, -CAP, CAP)


def behavioral_signature(rates: np.ndarray, truth_of_image: np.ndarray, n_objects: int, variant: str,
                         fa_rule: str, weights: np.ndarray | None = None) -> np.ndarray:
    """The matrix (or vector) a variant correlates (``weights``: per image, for resamples)."""
    if variant == "o2":
        return object_dprime(rates, truth_of_image, n_objects, weights)
    dprime = dprime_matrix(rates, truth_of_image, n_objects, fa_rule, weights)
    if variant == "i2":
        return dprime
    dprime = normalize(dprime, truth_of_image, n_objects, weights)
    if variant == "i1n":
        with _quiet():
            return np.nanmean(dprime, axis=1)
    return dprime


def image_dprime(rates: np.ndarray, truth_of_image: np.ndarray, n_objects: int, fa_rule: str) -> np.ndarray:
    """Per-image d' (I1, not normalised): each image's clipped d' averaged over its distractors."""
    with _quiet():
        return np.nanmean(dprime_matrix(rates, truth_of_image, n_objects, fa_rule), axis=1)


def pearson(source: np.ndarray, target: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, int]:
    """Pearson r over cells where both are finite, and the number of such cells (``weights``: per cell)."""
    source, target = np.ravel(source), np.ravel(target)
    mask = np.isfinite(source) & np.isfinite(target)
    if weights is not None:  # one weight per cell, same shape as source
        w = np.ravel(weights)
        mask &= w > 0
        n = int(mask.sum())
        if n < 3:
            return math.nan, n
        return float(weighted_pearson_vectors(source[mask], target[mask], w[mask][None])[0]), n
    n = int(mask.sum())
    if n < 3:
        return math.nan, n
    s = source[mask] - source[mask].mean()
    t = target[mask] - target[mask].mean()
    denom = math.sqrt(float(s @ s) * float(t @ t))
    return (float(s @ t) / denom if denom > 0 else math.nan), n


def split_halves(n: int, n_splits: int, random_state: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The official halves: one RandomState, shuffled index list per split, first half = floor(n / 2) trials."""
    rng = np.random.RandomState(random_state)
    halves = []
    for _ in range(n_splits):
        indices = np.arange(n)
        rng.shuffle(indices)
        halves.append((indices[: n // 2], indices[n // 2:]))
    return halves


@contextmanager
def _quiet():
    """Silence numpy's 'Mean of empty slice' RuntimeWarning: all-NaN groups become NaN on purpose."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield

