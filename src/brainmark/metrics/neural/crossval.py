"""Cross-validated predictivity as pure computation: held-out predictions, per-split per-unit correlations, and the
official aggregation of those, kept apart (as rsatoolbox keeps computation apart from inference).

:func:`correlate_held_out` turns each split's held-out predictions into Pearson r per neuroid;
:func:`aggregate` applies the official rule (median over neuroids per split, mean over splits, error = std over
splits (ddof 0) / sqrt(n_splits)). The :class:`CrossValidation` record keeps everything a resampling method needs
(``brainmark.stats`` reweights the stimuli and neuroids of these held-out predictions; nothing is refitted).
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from brainmark.metrics.neural._common import mean_and_error, nanmedian_rows, pearson_columns
from brainmark.stats.weighted import weighted_pearson

Split = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class CrossValidation:
    """What a cross-validated regression computed on one source and target.

    Attributes
    ----------
    splits : tuple of (train, test) index arrays into the target's presentations
    predictions : tuple of arrays, one per split, shape (n_test, n_neuroids): held-out predictions, rows in the
        order of that split's test indices
    target : array, shape (n_stimuli, n_neuroids): the (repetition-averaged) responses the predictions are for
    correlations : array, shape (n_splits, n_neuroids): Pearson r per split and neuroid (NaN where undefined)
    stimulus_ids, neuroid_ids : the labels of the target's rows and columns
    split_record : how the splits were made (splitter, seed, sizes)
    details : what the fits chose (components used, penalties per neuroid, ...)
    """

    splits: tuple[Split, ...]
    predictions: tuple[np.ndarray, ...]
    target: np.ndarray
    correlations: np.ndarray
    stimulus_ids: tuple[str, ...]
    neuroid_ids: tuple[str, ...]
    split_record: Mapping[str, Any] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_splits(self) -> int:
        """Number of cross-validation splits."""
        return len(self.splits)


def correlate_held_out(predictions: list[np.ndarray] | tuple[np.ndarray, ...], target: np.ndarray,
                       splits: list[Split] | tuple[Split, ...]) -> np.ndarray:
    """Pearson r (n_splits x n_neuroids) between each split's held-out predictions and the target's test rows."""
    return np.stack([pearson_columns(pred, target[test]) for pred, (_train, test) in zip(predictions, splits)])


@dataclass(frozen=True)
class Aggregate:
    """The official aggregate of per-split, per-neuroid correlations."""

    raw: float
    error: float
    split_scores: np.ndarray  # median over neuroids, per split
    neuroid_scores: np.ndarray  # mean over splits, per neuroid
    undefined_neuroids: int  # neuroids with an undefined r in some split


def aggregate(correlations: np.ndarray) -> Aggregate:
    """Median over neuroids per split (NaN ignored), mean over splits, error = std (ddof 0) / sqrt(n_splits)."""
    split_scores = nanmedian_rows(correlations)
    raw, error = mean_and_error(split_scores)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN neuroids stay NaN
        neuroid_scores = np.nanmean(correlations, axis=0)
    undefined = int((~np.isfinite(correlations)).any(axis=0).sum())
    return Aggregate(raw, error, split_scores, neuroid_scores, undefined)


def train_masks(splits: list[Split] | tuple[Split, ...], n: int) -> np.ndarray:
    """Boolean (n_splits x n) masks of each split's training rows."""
    masks = np.zeros((len(splits), n), dtype=bool)
    for s, (train, _test) in enumerate(splits):
        masks[s, train] = True
    return masks


class PredictivityResampler:
    """Resamples a :class:`CrossValidation`: stimuli reweight each split's held-out predictions, neuroids reweight
    the median over neuroids; no regression is refitted (the fitted maps of each split are kept)."""

    unit_kind = "neuroid"
    description = ("stimuli (within each split's held-out predictions) and neuroids, jointly; weighted Pearson per "
                   "split and neuroid, weighted median over neuroids, mean over splits; regressions not refitted")

    def __init__(self, cv: CrossValidation) -> None:
        self.cv = cv
        self.stimulus_ids = cv.stimulus_ids
        self.unit_ids = cv.neuroid_ids

    def resample(self, stimulus_counts: np.ndarray, unit_counts: np.ndarray) -> np.ndarray:
        """The raw score (mean over splits of the median over neuroids) under each resample."""
        from brainmark.stats.weighted import weighted_median

        split_scores = np.stack([
            weighted_median(weighted_pearson(pred, self.cv.target[test], stimulus_counts[:, test]), unit_counts)
            for pred, (_train, test) in zip(self.cv.predictions, self.cv.splits)
        ], axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(split_scores, axis=1)
