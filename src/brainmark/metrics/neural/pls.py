"""Partial least squares regression (PLS2, NIPALS mode A, regression deflation), as the official Brain-Score metric.

The model is scikit-learn's ``PLSRegression(n_components, scale=False)``. Two solvers:

- ``exact`` (default): each component's x-weight is the dominant singular vector of the deflated cross-covariance,
  computed directly to ~1e-12 (:mod:`brainmark.metrics.neural._pls_exact`); all splits are fitted together.
- ``nipals``: scikit-learn's power iteration with its stopping rule (``tol=1e-6`` on the squared weight change,
  ``max_iter=500``), step by step (:mod:`brainmark.metrics.neural._pls_nipals`). Its stopped iterates differ from
  the converged ones by up to ~1e-3 in a score; use it to reproduce an official number exactly.

Wide features (more than twice as many as stimuli) are first replaced by their exact row-space coordinates
(:mod:`brainmark.metrics.neural._rowspace`): PLS sees features only through inner products of centred rows, so the
fits and predictions are the same, with ``n x n`` instead of ``n x p`` work and memory.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from brainmark.metrics.neural._common import MetricInputError
from brainmark.metrics.neural._pls_exact import fit_exact
from brainmark.metrics.neural._pls_nipals import DEFAULT_MAX_ITER, DEFAULT_TOL, fit_nipals_splits
from brainmark.metrics.neural._rowspace import RowSpace, is_wide

SOLVERS = ("exact", "nipals")


def check_solver(solver: str) -> str:
    """``solver`` if it names a PLS solver, else a :class:`MetricInputError` listing them."""
    if solver not in SOLVERS:
        raise MetricInputError(f"unknown PLS solver {solver!r}; choose one of {', '.join(SOLVERS)} "
                               "('nipals' reproduces scikit-learn's iteration, as the official code)")
    return solver


@dataclass
class PLSFit:
    """Fitted PLS models of S splits on coordinates ``F`` of the rows (the features, or their row-space
    coordinates): predictions are ``(F - x_mean) @ rotations @ y_loadings' + y_mean``."""

    x_mean: np.ndarray  # (S, r)
    y_mean: np.ndarray  # (S, q)
    rotations: np.ndarray  # (S, r, k)
    y_loadings: np.ndarray  # (S, q, k)
    n_components: int
    solver: str = "exact"
    fitted: np.ndarray | None = None  # (n, r): the coordinates of the rows the fit saw
    space: RowSpace | None = None  # how other rows map to the coordinates (None: the features themselves)
    info: dict[str, Any] = field(default_factory=dict)

    def _predict(self, split: int, F: np.ndarray) -> np.ndarray:
        scores = (np.asarray(F, dtype=float) - self.x_mean[split]) @ self.rotations[split]
        return scores @ self.y_loadings[split].T + self.y_mean[split]

    def predict(self, split: int, X: np.ndarray) -> np.ndarray:
        """Predicted targets of feature rows ``X`` (m x p) by the model of ``split``."""
        return self._predict(split, self.space.transform(X) if self.space is not None else X)

    def predict_rows(self, split: int, rows: np.ndarray) -> np.ndarray:
        """Predicted targets of rows ``rows`` of the fitted feature matrix (no feature products needed)."""
        if self.fitted is None:
            raise ValueError("this fit does not keep its rows; use predict(split, X)")
        return self._predict(split, self.fitted[rows])

    def coef(self, split: int) -> np.ndarray:
        """The (p x q) regression coefficients of one split."""
        coef = self.rotations[split] @ self.y_loadings[split].T
        return self.space.to_features(coef) if self.space is not None else coef


def _coordinates(X: np.ndarray) -> tuple[np.ndarray, RowSpace | None]:
    """Fit coordinates of the rows: exact row-space coordinates (centred) for wide ``X``, else ``X`` in float64."""
    if is_wide(*X.shape):
        space = RowSpace.of(X)
        return space.coords, space
    return np.asarray(X, dtype=float), None


def _check_inputs(X: np.ndarray, Y: np.ndarray, train_masks: np.ndarray, n_components: int) -> tuple[np.ndarray, np.ndarray]:
    masks = np.asarray(train_masks, dtype=bool)
    if masks.ndim == 1:
        masks = masks[None]
    if int(n_components) < 1:
        raise MetricInputError(f"n_components must be >= 1, got {n_components}")
    if masks.shape[1] != X.shape[0] or Y.shape[0] != X.shape[0]:
        raise MetricInputError(f"X has {X.shape[0]} rows, Y {Y.shape[0]} and the masks {masks.shape[1]} columns")
    return masks, np.asarray(Y, dtype=float)


def fit_pls_splits(X: np.ndarray, Y: np.ndarray, train_masks: np.ndarray, n_components: int, *,
                   solver: str = "exact", tol: float = DEFAULT_TOL, max_iter: int = DEFAULT_MAX_ITER) -> PLSFit:
    """Fit one PLS model per row mask of ``train_masks`` (S, n) on rows of ``X`` (n, p) -> ``Y`` (n, q).

    ``tol`` and ``max_iter`` apply to ``solver="nipals"`` only (scikit-learn's defaults).
    """
    check_solver(solver)
    X = np.asarray(X)
    masks, Y = _check_inputs(X, Y, train_masks, n_components)
    k = int(n_components)
    F, space = _coordinates(X)
    info: dict[str, Any] = {"solver": solver, "feature_space": "row-space coordinates" if space else "features",
                            "n_coordinates": int(F.shape[1])}
    if solver == "nipals":
        return _nipals_fit(F, Y, masks, k, space, info, tol, max_iter)
    offset = F.mean(axis=0)  # global centring first, so the per-split sums do not cancel large means
    y_offset = Y.mean(axis=0)
    Fc, Yc = F - offset, Y - y_offset
    ns = masks.sum(axis=1).astype(float)
    Mf = masks.astype(float)
    mx, my = (Mf @ Fc) / ns[:, None], (Mf @ Yc) / ns[:, None]
    rotations, y_loadings = fit_exact(Fc, Yc, masks, mx, my, k)
    return PLSFit(mx + offset, my + y_offset, rotations, y_loadings, k, solver, F, space, info)


def _nipals_fit(F: np.ndarray, Y: np.ndarray, masks: np.ndarray, k: int, space: RowSpace | None,
                info: dict[str, Any], tol: float, max_iter: int) -> PLSFit:
    fits = fit_nipals_splits(F, Y, masks, k, tol, max_iter)
    iterations = fits["iterations"]
    used = iterations[iterations > 0]
    info.update(tol=tol, max_iter=max_iter, iterations_max=int(used.max(initial=0)),
                iterations_mean=round(float(used.mean()), 2) if used.size else 0.0,
                components_at_max_iter=int((iterations >= max_iter).sum()))
    return PLSFit(fits["x_mean"], fits["y_mean"], fits["rotations"], fits["y_loadings"], k, "nipals", F, space, info)


class PLSRegression:
    """PLS2 regression equal to ``sklearn.cross_decomposition.PLSRegression(n_components, scale=False)``.

    ``solver``: ``exact`` (converged weights) or ``nipals`` (scikit-learn's iteration with ``tol``, ``max_iter``).

    scikit-learn conventions: parameters in ``__init__``, ``fit(X, Y)`` then ``predict(X)``; fitted attributes
    ``coef_`` (q x p, as scikit-learn >= 1.3), ``intercept_``, ``x_rotations_``, ``y_loadings_``.
    """

    def __init__(self, n_components: int = 25, *, solver: str = "exact", tol: float = DEFAULT_TOL,
                 max_iter: int = DEFAULT_MAX_ITER) -> None:
        self.n_components = n_components
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X: np.ndarray, Y: np.ndarray) -> "PLSRegression":
        """Fit on all rows of ``X`` (n x p) -> ``Y`` (n x q or n)."""
        X = np.asarray(X, dtype=float)
        Y = np.asarray(Y, dtype=float)
        if Y.ndim == 1:
            Y = Y[:, None]
        if self.n_components > min(X.shape[0] - 1, X.shape[1]):
            raise MetricInputError(
                f"n_components={self.n_components} exceeds min(n_samples - 1, n_features) = "
                f"{min(X.shape[0] - 1, X.shape[1])}; use fewer components or more samples"
            )
        self._fit = fit_pls_splits(X, Y, np.ones((1, X.shape[0]), dtype=bool), self.n_components, solver=self.solver,
                                   tol=self.tol, max_iter=self.max_iter)
        space = self._fit.space
        rotations = self._fit.rotations[0]
        self.x_rotations_ = space.to_features(rotations) if space is not None else rotations
        self.y_loadings_ = self._fit.y_loadings[0]
        self.coef_ = self._fit.coef(0).T
        self.intercept_ = self._fit.predict(0, np.zeros((1, X.shape[1])))[0]  # the prediction at X = 0
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted targets of rows ``X`` (m x p)."""
        return self._fit.predict(0, X)
