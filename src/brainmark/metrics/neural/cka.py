"""Linear centred kernel alignment (Kornblith et al. 2019), with the debiased variant (Song et al. 2012 HSIC).

CKA(X, Y) = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)) with linear kernels K = XX', L = YY' over stimuli.
The biased estimator uses centred features (``||Yc'Xc||_F^2 / (||Xc'Xc||_F ||Yc'Yc||_F)``); the debiased one the
unbiased HSIC estimator, which removes the positive bias of CKA when features outnumber stimuli.
"""
from __future__ import annotations

import numpy as np
import xarray as xr

from brainmark.metrics.base import Computed, Estimator, require_bool
from brainmark.metrics.neural._common import (
    MetricInputError,
    base_meta,
    data_checksum,
    prepare_source,
    prepare_target,
)
from brainmark.scores import Score


def _unbiased_hsic(K: np.ndarray, L: np.ndarray) -> float:
    n = K.shape[0]
    K = K.copy()
    L = L.copy()
    np.fill_diagonal(K, 0.0)
    np.fill_diagonal(L, 0.0)
    ones_K, ones_L = K.sum(axis=0), L.sum(axis=0)
    term = (K * L).sum() + ones_K.sum() * ones_L.sum() / ((n - 1) * (n - 2)) - 2.0 / (n - 2) * ones_K @ ones_L
    return float(term / (n * (n - 3)))


def linear_cka(X: np.ndarray, Y: np.ndarray, debiased: bool = False) -> float:
    """Linear CKA between stimulus x feature matrices ``X`` and ``Y`` (same stimuli, same order)."""
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    if X.shape[0] != Y.shape[0]:
        raise MetricInputError(f"CKA needs the same stimuli in both: {X.shape[0]} vs {Y.shape[0]} rows")
    Xc = X - X.mean(axis=0)
    Yc = Y - Y.mean(axis=0)
    if debiased:
        if X.shape[0] < 4:
            raise MetricInputError("debiased CKA needs at least 4 stimuli")
        K, L = Xc @ Xc.T, Yc @ Yc.T
        xy, xx, yy = _unbiased_hsic(K, L), _unbiased_hsic(K, K), _unbiased_hsic(L, L)
    else:
        xy = np.linalg.norm(Yc.T @ Xc) ** 2
        xx = np.linalg.norm(Xc.T @ Xc) if Xc.shape[1] <= Xc.shape[0] else np.linalg.norm(Xc @ Xc.T)
        yy = np.linalg.norm(Yc.T @ Yc) if Yc.shape[1] <= Yc.shape[0] else np.linalg.norm(Yc @ Yc.T)
        return float(xy / (xx * yy)) if xx > 0 and yy > 0 else float("nan")
    denom = np.sqrt(xx * yy) if xx > 0 and yy > 0 else 0.0
    return float(xy / denom) if denom > 0 else float("nan")


class CKAResampler:
    """Resamples linear CKA over stimuli and target neuroids, jointly, from the stimulus kernels (no refit).

    Biased CKA: a stimulus drawn ``w_i`` times weights the centring and every kernel entry (i, j) by ``w_i w_j``; a
    neuroid drawn ``u_j`` times adds ``u_j y_j y_j'`` to the target kernel. Debiased CKA: the unbiased HSIC of the
    expanded kernels (each resample's stimuli repeated as drawn).
    """

    unit_kind = "neuroid"

    def __init__(self, X: np.ndarray, Y: np.ndarray, debiased: bool, stimulus_ids: list[str],
                 neuroid_ids: list[str]) -> None:
        self.Xc, self.Yc = X - X.mean(axis=0), Y - Y.mean(axis=0)
        self.K = self.Xc @ self.Xc.T
        self.debiased = debiased
        self.stimulus_ids, self.unit_ids = tuple(stimulus_ids), tuple(neuroid_ids)
        self.description = ("stimuli and neuroids, jointly; " + ("unbiased HSIC of the expanded kernels" if debiased
                            else "weighted centring and kernel entries, neuroid-weighted target kernel"))

    def _one(self, w: np.ndarray, u: np.ndarray) -> float:
        L = (self.Yc * u) @ self.Yc.T
        if self.debiased:
            idx = np.repeat(np.arange(len(w)), w.astype(np.int64))
            K, L = self.K[np.ix_(idx, idx)], L[np.ix_(idx, idx)]
            xy, xx, yy = _unbiased_hsic(K, L), _unbiased_hsic(K, K), _unbiased_hsic(L, L)
            return float(xy / np.sqrt(xx * yy)) if xx > 0 and yy > 0 else float("nan")
        total = w.sum()
        pair = np.outer(w, w)
        centred = []
        for G in (self.K, L):  # weighted double centring of each kernel
            g = G @ w / total
            centred.append(G - g[None, :] - g[:, None] + (w @ g) / total)
        Kc, Lc = centred
        xx, yy = np.sqrt((pair * Kc * Kc).sum()), np.sqrt((pair * Lc * Lc).sum())
        return float((pair * Kc * Lc).sum() / (xx * yy)) if xx > 0 and yy > 0 else float("nan")

    def resample(self, stimulus_counts: np.ndarray, unit_counts: np.ndarray) -> np.ndarray:
        """CKA under each resample."""
        return np.asarray([self._one(w.astype(float), u.astype(float)) for w, u in zip(stimulus_counts, unit_counts)])


class CKA(Estimator):
    """``metric(source, target) -> Score``: linear CKA over stimuli (target repetitions averaged first)."""

    def __init__(self, debiased: bool = False) -> None:
        self.debiased = debiased

    def check_params(self) -> None:
        """``debiased`` must be a bool."""
        require_bool(self, "debiased")

    def __call__(self, source: xr.DataArray, target: xr.DataArray) -> Score:
        """Linear CKA between the model features and the recorded responses."""
        return self.compute(source, target).score

    def compute(self, source: xr.DataArray, target: xr.DataArray) -> Computed:
        """The CKA Score and its resampler (stimuli and neuroids)."""
        checksum = data_checksum(target)
        target = prepare_target(target)
        source = prepare_source(source, target)
        Y = np.asarray(target.values, dtype=float)
        value = linear_cka(np.asarray(source.values, dtype=float), Y, self.debiased)
        meta = base_meta(
            "cka",
            {**self.params_record(), "kernel": "linear"},
            seeds={},
            n_stimuli=Y.shape[0],
            n_features=int(source.sizes["neuroid"]),
            n_neuroids=Y.shape[1],
            data_checksum=checksum,
        )
        resampler = CKAResampler(np.asarray(source.values, dtype=float), Y, bool(self.debiased),
                                 [str(v) for v in target["stimulus_id"].values],
                                 [str(v) for v in target["neuroid_id"].values])
        return Computed(Score(raw=value, meta=meta), resampler)
