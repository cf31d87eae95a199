"""Internal-consistency (split-half) noise ceiling of a neural assembly with repetitions.

Official numerics (brainscore-vision 2.4.2): ``ShuffleSplit(n_splits=10, train_size=0.5, random_state=1)`` over the
sorted unique repetition values gives the same two halves for every stimulus; each half is averaged per stimulus
(NaN-aware here, for NaN-padded repeats); Pearson r per neuroid across stimuli; Spearman-Brown ``2r / (1 + r)``;
median over neuroids; mean over halvings; error = std over halvings (ddof=0) / sqrt(n).
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import xarray as xr
from sklearn.model_selection import ShuffleSplit

from brainmark.data.assembly import NEUROID, PRESENTATION, REPETITION
from brainmark.metrics.base import Computed, Estimator, require_fraction, require_int
from brainmark.metrics.neural._common import (
    MetricInputError,
    base_meta,
    data_checksum,
    mean_and_error,
    nanmedian_rows,
    pearson_columns_nan,
    spearman_brown,
    squeeze_time_bin,
)
from brainmark.scores import Score, per_unit


def repetition_array(assembly: xr.DataArray) -> tuple[np.ndarray, list[str], list[str], np.ndarray]:
    """``(values[stimulus, neuroid, repetition], stimulus_ids, neuroid_ids, repetition_values)`` from either layout.

    Layouts: a ``repetition`` dim (NaN-padded), or the official flat one (repeated ``stimulus_id`` along
    ``presentation`` with a ``repetition`` coordinate). Missing (stimulus, repetition) cells are NaN.
    """
    if not isinstance(assembly, xr.DataArray):
        raise MetricInputError(f"the ceiling needs an xarray.DataArray, got {type(assembly).__name__}")
    assembly = squeeze_time_bin(assembly, "assembly")
    for coord in ("stimulus_id", "neuroid_id"):
        if coord not in assembly.coords:
            raise MetricInputError(f"assembly is missing the {coord!r} coordinate")
    neuroids = [str(v) for v in assembly["neuroid_id"].values]
    if REPETITION in assembly.dims:
        a = assembly.transpose(PRESENTATION, NEUROID, REPETITION)
        reps = np.asarray(a[REPETITION].values) if REPETITION in a.coords else np.arange(a.sizes[REPETITION])
        order = np.argsort(reps, kind="stable")
        return np.asarray(a.values, dtype=float)[:, :, order], [str(s) for s in a["stimulus_id"].values], neuroids, reps[order]
    if "repetition" not in assembly.coords or assembly["repetition"].dims != (PRESENTATION,):
        raise MetricInputError(
            "the internal-consistency ceiling needs repetitions: a 'repetition' dim or a 'repetition' coordinate on "
            "'presentation' (with repeated stimulus ids); this assembly has neither"
        )
    a = assembly.transpose(PRESENTATION, NEUROID)
    sids = np.asarray([str(s) for s in a["stimulus_id"].values])
    uniq, first, s_index = np.unique(sids, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    s_index = rank[s_index]
    reps, r_index = np.unique(np.asarray(a["repetition"].values), return_inverse=True)
    if len(set(zip(s_index.tolist(), r_index.tolist()))) != len(sids):
        raise MetricInputError("some stimulus has the same repetition value twice; repetition values must be unique per stimulus")
    out = np.full((len(uniq), a.sizes[NEUROID], len(reps)), np.nan)
    out[s_index, :, r_index] = np.asarray(a.values, dtype=float)
    return out, uniq[order].tolist(), neuroids, reps


def _half_means(values: np.ndarray, halves: list[tuple[np.ndarray, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return [(np.nanmean(values[:, :, h1], axis=2), np.nanmean(values[:, :, h2], axis=2)) for h1, h2 in halves]


class SplitHalfResampler:
    """Resamples the internal consistency: stimuli reweight the Pearson r between half means, neuroids the median."""

    unit_kind = "neuroid"
    description = ("stimuli and neuroids, jointly; weighted Pearson per halving and neuroid between the half means, "
                   "Spearman-Brown, weighted median over neuroids, mean over halvings")

    def __init__(self, half_means: list[tuple[np.ndarray, np.ndarray]], stimulus_ids: list[str],
                 neuroid_ids: list[str]) -> None:
        self.half_means = half_means
        self.stimulus_ids = tuple(stimulus_ids)
        self.unit_ids = tuple(neuroid_ids)

    def resample(self, stimulus_counts: np.ndarray, unit_counts: np.ndarray) -> np.ndarray:
        """The ceiling (mean over halvings of the median Spearman-Brown r) under each resample."""
        from brainmark.stats.weighted import weighted_median, weighted_pearson

        per_halving = np.stack([
            weighted_median(spearman_brown(weighted_pearson(h1, h2, stimulus_counts)), unit_counts)
            for h1, h2 in self.half_means
        ], axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(per_halving, axis=1)


class InternalConsistency(Estimator):
    """``ceiling(assembly) -> Score``: split-half reliability with Spearman-Brown correction.

    ``bootstrap`` > 0 adds the ceiling's own percentile confidence interval (``Score.ci`` at level ``ci``) from
    ``bootstrap`` resamples of stimuli and neuroids (seed ``bootstrap_seed``; ``values["bootstrap"]`` keeps the
    replicates). Benchmarks instead resample the ceiling together with the score (:meth:`compute`).
    """

    def __init__(
        self,
        n_splits: int = 10,
        random_state: int = 1,
        *,
        bootstrap: int = 0,
        ci: float = 0.95,
        bootstrap_seed: int = 0,
    ) -> None:
        self.n_splits = n_splits
        self.random_state = random_state
        self.bootstrap = bootstrap
        self.ci = ci
        self.bootstrap_seed = bootstrap_seed

    def check_params(self) -> None:
        """Validate the halving and bootstrap parameters."""
        require_int(self, "n_splits", 1)
        require_int(self, "random_state", 0)
        require_int(self, "bootstrap", 0)
        if self.bootstrap:
            require_int(self, "bootstrap", 10)
        require_fraction(self, "ci")
        require_int(self, "bootstrap_seed", 0)

    def __call__(self, assembly: xr.DataArray) -> Score:
        """The split-half (Spearman-Brown) reliability of ``assembly``'s repetitions."""
        return self.compute(assembly).score

    def compute(self, assembly: xr.DataArray) -> Computed:
        """The ceiling's Score and its resampler (stimuli and neuroids)."""
        values, stimuli, neuroids, reps = repetition_array(assembly)
        n_stim, n_neur, n_rep = values.shape
        if n_rep < 2:
            raise MetricInputError(f"the internal-consistency ceiling needs >= 2 repetitions, got {n_rep}")
        if np.isinf(values).any():
            raise MetricInputError("assembly contains inf values; remove them before computing a ceiling")
        if n_stim < 3:
            raise MetricInputError(f"the internal-consistency ceiling needs >= 3 stimuli, got {n_stim}")
        splitter = ShuffleSplit(n_splits=int(self.n_splits), train_size=0.5, random_state=self.random_state)
        halves = list(splitter.split(np.zeros(n_rep)))
        half_means = _half_means(values, halves)
        per = np.stack([spearman_brown(pearson_columns_nan(h1, h2)) for h1, h2 in half_means])
        split_scores = nanmedian_rows(per)
        raw, error = mean_and_error(split_scores)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            per_neuroid = np.nanmean(per, axis=0)
        out_values = {"split": per_unit(split_scores, "split"), "neuroid": per_unit(per_neuroid, "neuroid", neuroids)}
        resampler = SplitHalfResampler(half_means, stimuli, neuroids)
        extra: dict[str, Any] = {}
        ci = None
        if self.bootstrap:
            from brainmark.stats.bootstrap import BootstrapScheme, bootstrap_ceiled

            result = bootstrap_ceiled(resampler, scheme=BootstrapScheme(int(self.bootstrap), self.ci,
                                                                        int(self.bootstrap_seed)))
            out_values["bootstrap"] = per_unit(result.replicates, "resample")
            extra["bootstrap"] = result.record
            ci = result.interval
        n_missing = int(np.isnan(values).sum())
        meta = base_meta(
            "internal_consistency",
            self.params_record(),
            seeds={"halves": self.random_state, **({"bootstrap": self.bootstrap_seed} if self.bootstrap else {})},
            split_scheme={"splitter": "ShuffleSplit", "n_splits": int(self.n_splits), "train_size": 0.5,
                          "over": "sorted unique repetition values", "random_state": self.random_state},
            halves=[[reps[h].tolist() for h in pair] for pair in halves],
            n_stimuli=n_stim,
            n_neuroids=n_neur,
            n_repetitions=n_rep,
            missing_values=n_missing,
            aggregation="Pearson r per neuroid between half means (NaN-aware); Spearman-Brown 2r/(1+r); "
            "median over neuroids; mean over halvings",
            error="std over halvings (ddof=0) / sqrt(n_splits)",
            data_checksum=data_checksum(assembly),
            **extra,
        )
        score = Score(raw=raw, error=error, values=out_values, meta=meta)
        return Computed(score.with_ci(*ci, float(self.ci)) if ci is not None else score, resampler)
