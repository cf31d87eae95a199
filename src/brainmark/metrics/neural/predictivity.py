"""Cross-validated neural predictivity: regress model features onto neural responses, correlate on held-out stimuli.

Official numerics (Schrimpf et al. 2018; brainscore-vision 2.4.2): per split, fit on the training stimuli, predict the
test stimuli, Pearson r per neuroid across test stimuli, median over neuroids; score = mean over splits, error =
std over splits (ddof=0, as xarray) / sqrt(n_splits). Targets with repetitions are averaged first (NaN-aware).

Three metrics share the split scheme and differ in the regression: :class:`PLSPredictivity` (``pls``, the official
one), :class:`RidgePredictivity` (``ridge``) and :class:`LinearPredictivity` (``linear``). Each has
``cross_validate(source, target) -> CrossValidation`` (the computation: held-out predictions and per-split,
per-neuroid correlations) and ``__call__(source, target) -> Score`` (that plus the official aggregation).
"""
from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import xarray as xr

from brainmark.metrics.base import Computed, Estimator, require_bool, require_choice, require_fraction, require_int
from brainmark.metrics.neural._common import (
    MetricInputError,
    base_meta,
    data_checksum,
    prepare_source,
    prepare_target,
)
from brainmark.metrics.neural.crossval import (
    CrossValidation,
    PredictivityResampler,
    aggregate,
    correlate_held_out,
    train_masks,
)
from brainmark.metrics.neural.pls import fit_pls_splits
from brainmark.metrics.neural.regression import DEFAULT_ALPHAS, SELECTIONS, LinearRegressionLS, RidgePerTarget
from brainmark.metrics.neural.splits import SplitScheme
from brainmark.errors import ParameterError
from brainmark.scores import Score, per_unit

AGGREGATION = "Pearson r per neuroid on test stimuli; median over neuroids; mean over splits"
ERROR_RULE = "std over splits (ddof=0) / sqrt(n_splits)"


class CrossValidatedPredictivity(Estimator, ABC):
    """Shared split scheme and aggregation of the predictivity metrics (subclasses choose the regression).

    Parameters (keyword-only, scikit-learn style, checked at construction): ``n_splits`` (10), ``train_size``
    (0.9), ``kfold`` (False: shuffle splits), ``stratify_on`` (``"object_name"``; a warning is given when the
    target lacks that coordinate and the splits are not stratified; None never stratifies), ``random_state`` (1).

    Awkward input (recorded in ``meta``): constant features carry no information and are ignored by centring
    (all-constant features are an error); neuroids whose held-out predictions or responses are constant get NaN and
    are left out of the median.
    """

    regression = ""

    def __init__(self, *, n_splits: int = 10, train_size: float = 0.9, kfold: bool = False,
                 stratify_on: str | None = "object_name", random_state: int = 1) -> None:
        self.n_splits = n_splits
        self.train_size = train_size
        self.kfold = kfold
        self.stratify_on = stratify_on
        self.random_state = random_state

    def check_params(self) -> None:
        """Validate the split parameters."""
        require_int(self, "n_splits", 2 if self.kfold else 1)
        require_bool(self, "kfold")
        if not self.kfold:
            require_fraction(self, "train_size")
        require_int(self, "random_state", 0)
        if self.stratify_on is not None and not isinstance(self.stratify_on, str):
            raise ParameterError(f"{type(self).__name__}: stratify_on must be a coordinate name or None")

    def _scheme(self) -> SplitScheme:
        return SplitScheme(self.n_splits, self.train_size, self.kfold, self.stratify_on, self.random_state)

    def _labels(self, scheme: SplitScheme, target: xr.DataArray) -> np.ndarray | None:
        labels = scheme.labels_for(target)
        if labels is None and self.stratify_on:
            warnings.warn(
                f"the target has no {self.stratify_on!r} coordinate on 'presentation': the cross-validation splits "
                "are not stratified (pass stratify_on=None to say so and silence this warning)",
                UserWarning, stacklevel=4,
            )
        return labels

    @abstractmethod
    def _predict(self, X: np.ndarray, Y: np.ndarray, splits: list, details: dict[str, Any]) -> list[np.ndarray]:
        """Held-out predictions (one (n_test, q) array per split); record fit choices in ``details``."""

    def cross_validate(self, source: xr.DataArray, target: xr.DataArray) -> CrossValidation:
        """Fit on each split's training stimuli and predict its test stimuli (the computation, no aggregation).

        Parameters
        ----------
        source, target : as for :meth:`__call__`

        Returns
        -------
        CrossValidation
            ``predictions[s]`` (n_test_s x n_neuroids) per split, ``target`` (n_stimuli x n_neuroids),
            ``correlations`` (n_splits x n_neuroids), the splits and the ids.
        """
        target = prepare_target(target)
        source = prepare_source(source, target)
        X = np.asarray(source.values, dtype=float)
        Y = np.asarray(target.values, dtype=float)
        if X.shape[0] < 4:
            raise MetricInputError(f"cross-validated predictivity needs at least 4 stimuli, got {X.shape[0]}")
        if np.ptp(X, axis=0).max(initial=0.0) == 0:
            raise MetricInputError("all source features are constant across stimuli; the model response carries no signal")
        scheme = self._scheme()
        splits, record = scheme.split(X.shape[0], self._labels(scheme, target))
        min_train = min(len(tr) for tr, _ in splits)
        if min_train < 3:
            raise MetricInputError(f"a training split has only {min_train} stimuli; use more stimuli or fewer splits")
        details: dict[str, Any] = {}
        predictions = self._predict(X, Y, splits, details)
        return CrossValidation(
            splits=tuple((np.asarray(tr), np.asarray(te)) for tr, te in splits),
            predictions=tuple(predictions), target=Y,
            correlations=correlate_held_out(predictions, Y, splits),
            stimulus_ids=tuple(str(s) for s in target["stimulus_id"].values),
            neuroid_ids=tuple(str(v) for v in target["neuroid_id"].values),
            split_record=record, details={**details, "n_features": int(X.shape[1])},
        )

    def __call__(self, source: xr.DataArray, target: xr.DataArray) -> Score:
        """How well ``source`` features predict ``target`` responses on held-out stimuli.

        Parameters
        ----------
        source : xarray.DataArray, (presentation x neuroid)
            Model features, with a ``stimulus_id`` coordinate on ``presentation`` (any order: aligned by id).
        target : xarray.DataArray, (presentation x neuroid [x repetition])
            Recorded responses with ``stimulus_id`` and ``neuroid_id``; repetitions are averaged (NaN-aware).

        Returns
        -------
        Score
            ``raw`` = mean over splits of the median over neuroids of Pearson r; ``error`` = std over splits /
            sqrt(n_splits); ``values["split"]`` (n_splits,), ``values["neuroid"]`` (n_neuroids,) labelled by
            neuroid id; ``meta`` with the parameters, split scheme, seeds and ``data_checksum``.
        """
        return self.compute(source, target).score

    def compute(self, source: xr.DataArray, target: xr.DataArray) -> Computed:
        """The Score and the resampler of its held-out predictions (for intervals and paired comparisons)."""
        cv = self.cross_validate(source, target)
        return Computed(self.score(cv, data_checksum(target)), PredictivityResampler(cv))

    def score(self, cv: CrossValidation, checksum: str) -> Score:
        """The official aggregate of a :class:`CrossValidation` as a Score (``checksum``: the target's)."""
        agg = aggregate(cv.correlations)
        values = {"split": per_unit(agg.split_scores, "split"),
                  "neuroid": per_unit(agg.neuroid_scores, "neuroid", cv.neuroid_ids)}
        details = dict(cv.details)
        if "alpha" in details:
            values["alpha"] = per_unit(details.pop("alpha"), "neuroid", cv.neuroid_ids)
        if agg.undefined_neuroids:
            details["neuroids_with_undefined_r"] = agg.undefined_neuroids
        meta = base_meta(
            self.regression, self.params_record(), seeds={"split": self.random_state},
            split_scheme=dict(cv.split_record), n_stimuli=len(cv.stimulus_ids), n_neuroids=len(cv.neuroid_ids),
            aggregation=AGGREGATION, error=ERROR_RULE, data_checksum=checksum, **details,
        )
        return Score(raw=agg.raw, error=agg.error, values=values, meta=meta)


class PLSPredictivity(CrossValidatedPredictivity):
    """PLS predictivity (``pls``): ``n_components`` (25) without scaling, the official Brain-Score neural metric.

    All splits are fitted together (:func:`~brainmark.metrics.neural.pls.fit_pls_splits`); components are clipped
    to ``min(n_train - 1, n_features)`` (recorded in ``meta["n_components_clipped"]``).
    """

    regression = "pls"

    def __init__(self, n_components: int = 25, *, n_splits: int = 10, train_size: float = 0.9, kfold: bool = False,
                 stratify_on: str | None = "object_name", random_state: int = 1) -> None:
        super().__init__(n_splits=n_splits, train_size=train_size, kfold=kfold, stratify_on=stratify_on,
                         random_state=random_state)
        self.n_components = n_components

    def check_params(self) -> None:
        """Validate the split parameters and ``n_components``."""
        super().check_params()
        require_int(self, "n_components", 1)

    def _predict(self, X: np.ndarray, Y: np.ndarray, splits: list, details: dict[str, Any]) -> list[np.ndarray]:
        k = int(self.n_components)
        min_train = min(len(tr) for tr, _ in splits)
        k_used = min(k, min_train - 1, X.shape[1])
        if k_used < k:
            details["n_components_clipped"] = {"requested": k, "used": k_used,
                                               "reason": f"min(n_train - 1, n_features) = {min(min_train - 1, X.shape[1])}"}
        details["n_components_used"] = k_used
        fit = fit_pls_splits(X, Y, train_masks(splits, X.shape[0]), k_used)
        return [fit.predict(s, X[test]) for s, (_train, test) in enumerate(splits)]


class RidgePredictivity(CrossValidatedPredictivity):
    """Ridge predictivity (``ridge``): one penalty per neuroid from ``alphas``, chosen within each training split.

    ``alpha_selection``: ``loo`` (exact leave-one-out) or ``gcv`` (generalised cross-validation, much faster).
    The median chosen penalty per neuroid is kept in ``values["alpha"]``.
    """

    regression = "ridge"

    def __init__(self, alphas: tuple[float, ...] = DEFAULT_ALPHAS, alpha_selection: str = "loo", *,
                 n_splits: int = 10, train_size: float = 0.9, kfold: bool = False,
                 stratify_on: str | None = "object_name", random_state: int = 1) -> None:
        super().__init__(n_splits=n_splits, train_size=train_size, kfold=kfold, stratify_on=stratify_on,
                         random_state=random_state)
        self.alphas = alphas
        self.alpha_selection = alpha_selection

    def check_params(self) -> None:
        """Validate the split parameters, the penalty grid and the selection rule."""
        super().check_params()
        require_choice(self, "alpha_selection", SELECTIONS)
        alphas = np.asarray(self.alphas, dtype=float).ravel() if np.ndim(self.alphas) else np.array([])
        if alphas.size == 0 or not np.all(np.isfinite(alphas)) or (alphas <= 0).any():
            raise ParameterError(f"RidgePredictivity: alphas must be a non-empty list of positive numbers, got {self.alphas!r}")

    def params_record(self) -> dict[str, Any]:
        """Parameters with the penalty grid as plain floats."""
        return {**super().params_record(), "alphas": [float(a) for a in np.ravel(self.alphas)]}

    def _predict(self, X: np.ndarray, Y: np.ndarray, splits: list, details: dict[str, Any]) -> list[np.ndarray]:
        predictions, alphas = [], np.zeros((len(splits), Y.shape[1]))
        for s, (train, test) in enumerate(splits):
            model = RidgePerTarget(self.alphas, self.alpha_selection).fit(X[train], Y[train])
            predictions.append(model.predict(X[test]))
            alphas[s] = model.alpha_
        rule = "exact leave-one-out" if self.alpha_selection == "loo" else "generalised CV"
        details["alpha_selection"] = f"per neuroid, {rule} squared error within each training split"
        details["alpha"] = np.median(alphas, axis=0)
        return predictions


class LinearPredictivity(CrossValidatedPredictivity):
    """Ordinary-least-squares predictivity (``linear``; minimum-norm when features outnumber stimuli)."""

    regression = "linear"

    def _predict(self, X: np.ndarray, Y: np.ndarray, splits: list, details: dict[str, Any]) -> list[np.ndarray]:
        return [LinearRegressionLS().fit(X[train], Y[train]).predict(X[test]) for train, test in splits]


REGRESSIONS = {"pls": PLSPredictivity, "ridge": RidgePredictivity, "linear": LinearPredictivity}
