"""Ridge with a per-target penalty chosen by leave-one-out (exact, or generalised CV), and ordinary least squares.

Ridge solves all targets and all penalties from one eigendecomposition per training set (of ``X X'`` or ``X'X``,
whichever is smaller), like scikit-learn's ``RidgeCV`` (efficient leave-one-out) and himalaya. The intercept is
unpenalised, as in ``RidgeCV(fit_intercept=True)``; the leave-one-out error of target ``j`` for penalty ``a`` is
``sum_i ((y_ij - yhat_ij) / (1 - h_ii))^2`` with hat matrix ``H = 11'/n + U diag(l / (l + a)) U'``. Targets are
processed in batches so memory stays bounded (``max_batch_bytes``), whatever the number of targets.

Exact leave-one-out costs ``n x rank x targets`` flops per penalty. ``selection="gcv"`` (generalised cross-validation,
Golub, Heath & Wahba 1979) replaces each ``h_ii`` by their mean ``tr(H) / n``; its error needs only the squared
coefficients ``(U'Y)^2``, so the search over penalties becomes almost free (the final fit is the same ridge).
"""
from __future__ import annotations

import numpy as np
import scipy.linalg

from brainmark.metrics.neural._common import MetricInputError

#: Default ridge penalties: 10 decades spanning the official RidgeCV list (0.01 .. 1e7).
DEFAULT_ALPHAS = tuple(float(a) for a in np.logspace(-2, 7, 10))


def _eigen_basis(Xc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``U`` (n x r) and eigenvalues ``l`` (r) of the centred Gram ``Xc Xc'``, dropping its null space."""
    n, p = Xc.shape
    if n <= p:
        lam, U = scipy.linalg.eigh(Xc @ Xc.T, check_finite=False)
    else:
        lam, V = scipy.linalg.eigh(Xc.T @ Xc, check_finite=False)
        keep = lam > lam.max(initial=0.0) * 1e-12
        lam, V = lam[keep], V[:, keep]
        U = (Xc @ V) / np.sqrt(lam)
    keep = lam > max(lam.max(initial=0.0), np.finfo(float).tiny) * 1e-12
    return U[:, keep], lam[keep]


SELECTIONS = ("loo", "gcv")


class RidgePerTarget:
    """Ridge regression with one penalty per target, chosen by leave-one-out squared error.

    ``selection``: ``loo`` (exact, as scikit-learn's ``RidgeCV(alpha_per_target=True)``) or ``gcv``.
    ``fit(X, Y)`` stores the chosen penalties in ``alpha_`` (one per target); ``predict(X)`` uses them.
    """

    def __init__(
        self, alphas: tuple[float, ...] = DEFAULT_ALPHAS, selection: str = "loo", max_batch_bytes: int = 256 * 2**20
    ) -> None:
        self.alphas = alphas
        self.selection = selection
        self.max_batch_bytes = max_batch_bytes

    def fit(self, X: np.ndarray, Y: np.ndarray) -> "RidgePerTarget":
        """Fit one ridge penalty per target column (chosen by leave-one-out or GCV) on ``X``, ``Y``."""
        if self.selection not in SELECTIONS:
            raise MetricInputError(f"unknown penalty selection {self.selection!r}; choose one of {', '.join(SELECTIONS)}")
        X = np.asarray(X, dtype=float)
        Y = np.asarray(Y, dtype=float)
        alphas = np.asarray(self.alphas, dtype=float).ravel()
        if alphas.size == 0 or (alphas <= 0).any():
            raise MetricInputError(f"ridge alphas must be positive, got {self.alphas}")
        n = X.shape[0]
        if n < 3:
            raise MetricInputError(f"ridge needs at least 3 training stimuli, got {n}")
        self.x_mean_, self.y_mean_ = X.mean(axis=0), Y.mean(axis=0)
        Xc = X - self.x_mean_
        U, lam = _eigen_basis(Xc)
        self._U, self._lam, self._Xc = U, lam, Xc
        q = Y.shape[1]
        self.alpha_ = np.empty(q)
        self._dual = np.empty((U.shape[1], q))  # U' Yc scaled by 1 / (l + alpha_j): the dual solution per target
        batch = max(1, int(self.max_batch_bytes // (8 * max(n, 1) * 3)))
        U2 = U * U
        for start in range(0, q, batch):
            Yc = Y[:, start:start + batch] - self.y_mean_[start:start + batch]
            Z = U.T @ Yc
            best_err = np.full(Yc.shape[1], np.inf)
            best = np.zeros(Yc.shape[1], dtype=int)
            if self.selection == "gcv":
                Z2 = Z * Z
                outside = (Yc * Yc).sum(axis=0) - Z2.sum(axis=0)  # squared norm of Yc outside span(U)
            for i, a in enumerate(alphas):
                shrink = lam / (lam + a)
                if self.selection == "gcv":
                    rss = (1.0 - shrink) ** 2 @ Z2 + np.maximum(outside, 0.0)
                    err = rss / (1.0 - (1.0 + shrink.sum()) / n) ** 2
                else:
                    resid = Yc - U @ (shrink[:, None] * Z)
                    h = 1.0 / n + U2 @ shrink
                    err = ((resid / (1.0 - h)[:, None]) ** 2).sum(axis=0)
                better = err < best_err
                best_err[better], best[better] = err[better], i
            chosen = alphas[best]
            self.alpha_[start:start + batch] = chosen
            self._dual[:, start:start + batch] = Z / (lam[:, None] + chosen[None, :])
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions for ``X`` (stimuli x features) from the fitted dual coefficients."""
        Xc = np.asarray(X, dtype=float) - self.x_mean_
        A = (Xc @ self._Xc.T) @ self._U if Xc.shape[1] >= self._Xc.shape[0] else Xc @ (self._Xc.T @ self._U)
        return A @ self._dual + self.y_mean_


class LinearRegressionLS:
    """Ordinary least squares with intercept (minimum-norm solution when features outnumber stimuli)."""

    def fit(self, X: np.ndarray, Y: np.ndarray) -> "LinearRegressionLS":
        """Fit ordinary least squares (minimum-norm, with intercept) on ``X``, ``Y``."""
        X = np.asarray(X, dtype=float)
        Y = np.asarray(Y, dtype=float)
        self.x_mean_, self.y_mean_ = X.mean(axis=0), Y.mean(axis=0)
        self.coef_, _res, self.rank_, _sv = scipy.linalg.lstsq(
            X - self.x_mean_, Y - self.y_mean_, cond=1e-10, check_finite=False
        )  # the relative cut-off drops the null direction that centring creates
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions for ``X`` (stimuli x features)."""
        return (np.asarray(X, dtype=float) - self.x_mean_) @ self.coef_ + self.y_mean_
