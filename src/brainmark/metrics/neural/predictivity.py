"""Cross-validated neural predictivity: regress model features onto neural responses, correlate on held-out stimuli.

Official numerics (Schrimpf et al. 2018; brainscore-vision 2.4.2): per split, fit on the training stimuli, predict the
test stimuli, Pearson r per neuroid across test stimuli, median over neuroids; score = mean over splits, error =
std over splits (ddof=0, as xarray) / sqrt(n_splits). Targets with repetitions are averaged first (NaN-aware).
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import xarray as xr

from brainmark.metrics.neural._common import (
    MetricInputError,
    array_sha1,
    base_meta,
    mean_and_error,
    nanmedian_rows,
    pearson_columns,
    prepare_source,
    prepare_target,
)
from brainmark.metrics.neural.pls import check_solver, fit_pls_splits
from brainmark.metrics.neural.regression import DEFAULT_ALPHAS, LinearRegressionLS, RidgePerTarget
from brainmark.metrics.neural.splits import SplitScheme
from brainmark.scores import Score

REGRESSIONS = ("pls", "ridge", "linear")


class CrossRegressedCorrelation:
    """``metric(source, target) -> Score``: cross-validated regression + per-neuroid Pearson r.

    Parameters follow scikit-learn style (stored, no work in ``__init__``): ``regression`` (pls | ridge | linear),
    ``n_components`` (PLS), ``alphas`` (ridge grid; one penalty per neuroid by leave-one-out within each training
    split; ``alpha_selection`` = ``loo`` exact or ``gcv`` approximate and much faster), and the split scheme
    (``n_splits``, ``train_size``, ``kfold``, ``stratify_on``, ``random_state``). ``solver`` (PLS): ``exact``
    (default, converged weights) or ``nipals`` (scikit-learn's iteration and tolerance, to reproduce official numbers).

    Handling of awkward input (recorded in ``meta``): PLS components are clipped to ``min(n_train - 1,
    n_features)``; constant features carry no information and are ignored by centring (all-constant features are an
    error); neuroids whose held-out predictions or responses are constant get NaN and are left out of the median.
    """

    def __init__(
        self,
        regression: str = "pls",
        *,
        n_components: int = 25,
        alphas: tuple[float, ...] = DEFAULT_ALPHAS,
        alpha_selection: str = "loo",
        n_splits: int = 10,
        train_size: float = 0.9,
        kfold: bool = False,
        stratify_on: str | None = "object_name",
        random_state: int = 1,
        solver: str = "exact",
    ) -> None:
        check_solver(solver)
        self.regression = regression
        self.n_components = n_components
        self.alphas = alphas
        self.alpha_selection = alpha_selection
        self.n_splits = n_splits
        self.train_size = train_size
        self.kfold = kfold
        self.stratify_on = stratify_on
        self.random_state = random_state
        self.solver = solver

    def get_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "regression": self.regression,
            "n_splits": self.n_splits,
            "train_size": self.train_size,
            "kfold": self.kfold,
            "stratify_on": self.stratify_on,
            "random_state": self.random_state,
        }
        if self.regression == "pls":
            params["n_components"] = self.n_components
            params["solver"] = self.solver
        if self.regression == "ridge":
            params["alphas"] = [float(a) for a in self.alphas]
            params["alpha_selection"] = self.alpha_selection
        return params

    def _pls_correlations(self, X: np.ndarray, Y: np.ndarray, splits: list, min_train: int, meta: dict) -> np.ndarray:
        """Pearson r (split x neuroid) of PLS fitted on all splits at once; records clipped components in meta."""
        k = int(self.n_components)
        if k < 1:
            raise MetricInputError(f"n_components must be >= 1, got {self.n_components}")
        k_used = min(k, min_train - 1, X.shape[1])
        if k_used < k:
            meta["n_components_clipped"] = {
                "requested": k,
                "used": k_used,
                "reason": f"min(n_train - 1, n_features) = {min(min_train - 1, X.shape[1])}",
            }
        meta["n_components_used"] = k_used
        masks = np.zeros((len(splits), X.shape[0]), dtype=bool)
        for s, (train, _test) in enumerate(splits):
            masks[s, train] = True
        fit = fit_pls_splits(X, Y, masks, k_used, solver=self.solver)
        meta["pls"] = fit.info
        return np.stack([pearson_columns(fit.predict_rows(s, test), Y[test]) for s, (_train, test) in enumerate(splits)])

    def _refit_correlations(self, X: np.ndarray, Y: np.ndarray, splits: list, meta: dict) -> tuple[np.ndarray, np.ndarray | None]:
        """Pearson r (split x neuroid) of ridge / OLS refitted per split, and ridge's chosen penalties."""
        r = np.full((len(splits), Y.shape[1]), np.nan)
        alphas = np.zeros_like(r) if self.regression == "ridge" else None
        for s, (train, test) in enumerate(splits):
            model = RidgePerTarget(self.alphas, self.alpha_selection) if alphas is not None else LinearRegressionLS()
            model.fit(X[train], Y[train])
            r[s] = pearson_columns(model.predict(X[test]), Y[test])
            if alphas is not None:
                alphas[s] = model.alpha_
        if alphas is not None:
            rule = "exact leave-one-out" if self.alpha_selection == "loo" else "generalised CV"
            meta["alpha_selection"] = f"per neuroid, {rule} squared error within each training split"
        return r, alphas

    def __call__(self, source: xr.DataArray, target: xr.DataArray) -> Score:
        if self.regression not in REGRESSIONS:
            raise MetricInputError(f"unknown regression {self.regression!r}; choose one of {', '.join(REGRESSIONS)}")
        target = prepare_target(target)
        source = prepare_source(source, target)
        X = np.asarray(source.values, dtype=float)
        Y = np.asarray(target.values, dtype=float)
        n, p = X.shape
        q = Y.shape[1]
        if n < 4:
            raise MetricInputError(f"cross-validated predictivity needs at least 4 stimuli, got {n}")
        if np.ptp(X, axis=0).max(initial=0.0) == 0:
            raise MetricInputError("all source features are constant across stimuli; the model response carries no signal")
        scheme = SplitScheme(self.n_splits, self.train_size, self.kfold, self.stratify_on, self.random_state)
        splits, split_record = scheme.split(n, scheme.labels_for(target))
        meta_extra: dict[str, Any] = {}
        min_train = min(len(tr) for tr, _ in splits)
        if min_train < 3:
            raise MetricInputError(f"a training split has only {min_train} stimuli; use more stimuli or fewer splits")
        if self.regression == "pls":
            r, alphas = self._pls_correlations(X, Y, splits, min_train, meta_extra), None
        else:
            r, alphas = self._refit_correlations(X, Y, splits, meta_extra)
        split_scores = nanmedian_rows(r)
        raw, error = mean_and_error(split_scores)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN neuroids stay NaN
            per_neuroid = np.nanmean(r, axis=0)
        values = {"split": split_scores, "neuroid": per_neuroid}
        if alphas is not None:
            values["alpha"] = np.median(alphas, axis=0)
        n_nan = int((~np.isfinite(r)).any(axis=0).sum())
        if n_nan:
            meta_extra["neuroids_with_undefined_r"] = n_nan
        meta = base_meta(
            self.regression,
            self.get_params(),
            seeds={"split": self.random_state},
            split_scheme=split_record,
            n_stimuli=n,
            n_features=p,
            n_neuroids=q,
            aggregation="Pearson r per neuroid on test stimuli; median over neuroids; mean over splits",
            error="std over splits (ddof=0) / sqrt(n_splits)",
            target_sha1=array_sha1(Y),
            **meta_extra,
        )
        return Score(
            raw=raw,
            error=error,
            values=values,
            labels={"neuroid": [str(v) for v in target["neuroid_id"].values]},
            meta=meta,
        )


def pls_metric(**params: Any) -> CrossRegressedCorrelation:
    """PLS predictivity (25 components, no scaling): the official Brain-Score neural metric."""
    return CrossRegressedCorrelation("pls", **params)


def ridge_metric(**params: Any) -> CrossRegressedCorrelation:
    """Ridge predictivity with a per-neuroid penalty chosen by leave-one-out within each training split."""
    return CrossRegressedCorrelation("ridge", **params)


def linear_metric(**params: Any) -> CrossRegressedCorrelation:
    """Ordinary-least-squares predictivity (minimum-norm when features outnumber stimuli)."""
    return CrossRegressedCorrelation("linear", **params)
