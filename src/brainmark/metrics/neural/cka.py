"""Linear centred kernel alignment (Kornblith et al. 2019), with the debiased variant (Song et al. 2012 HSIC).

CKA(X, Y) = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)) with linear kernels K = XX', L = YY' over stimuli.
The biased estimator uses centred features (``||Yc'Xc||_F^2 / (||Xc'Xc||_F ||Yc'Yc||_F)``); the debiased one the
unbiased HSIC estimator, which removes the positive bias of CKA when features outnumber stimuli.
"""
from __future__ import annotations

import numpy as np
import xarray as xr

from brainmark.metrics.base import Estimator, require_bool
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


class CKA(Estimator):
    """``metric(source, target) -> Score``: linear CKA over stimuli (target repetitions averaged first)."""

    def __init__(self, debiased: bool = False) -> None:
        self.debiased = debiased

    def check_params(self) -> None:
        """``debiased`` must be a bool."""
        require_bool(self, "debiased")

    def __call__(self, source: xr.DataArray, target: xr.DataArray) -> Score:
        """Linear CKA between the model features and the recorded responses."""
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
        return Score(raw=value, meta=meta)
