"""scikit-learn's NIPALS iteration for PLS2 (mode A, regression deflation, no scaling), for official-compatible numbers.

The official Brain-Score neural metric fits ``sklearn.cross_decomposition.PLSRegression(n_components=25,
scale=False)``, whose x-weights come from a power iteration that stops once the squared change of the weight
vector is below ``tol`` (default 1e-6) or after ``max_iter`` (500) iterations. The stopped iterate differs from the
converged singular vector, and the official scores carry that difference (up to ~1e-3 on real data). This module
repeats the same iteration step by step (same start, same updates, same stopping rule, same epsilons), so scores
computed with it reproduce official numbers; the exact solver stays brainmark's default.

Each split is fitted on its training rows, centred by their own means, as scikit-learn does. When the features are
given as row-space coordinates (see :mod:`brainmark.metrics.neural._rowspace`) the iteration runs in that rotated
basis: every quantity it tests (norms, the squared weight change) is rotation invariant, so it stops at the same
iteration and predicts the same values up to rounding.
"""
from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg

DEFAULT_TOL = 1e-6
DEFAULT_MAX_ITER = 500


def _first_singular_vectors(Xk: np.ndarray, Yk: np.ndarray, tol: float, max_iter: int) -> tuple[np.ndarray, int]:
    """x-weights of one component by the NIPALS power iteration, and the iterations it took."""
    eps = np.finfo(Xk.dtype).eps
    y_score = next(col for col in Yk.T if np.any(np.abs(col) > eps))
    x_weights_old: np.ndarray | float = 100.0  # as scikit-learn: a large value for the first convergence check
    for i in range(max_iter):
        x_weights = np.dot(Xk.T, y_score) / np.dot(y_score, y_score)
        x_weights /= np.sqrt(np.dot(x_weights, x_weights)) + eps
        x_score = np.dot(Xk, x_weights)
        y_weights = np.dot(Yk.T, x_score) / np.dot(x_score.T, x_score)
        y_score = np.dot(Yk, y_weights) / (np.dot(y_weights, y_weights) + eps)
        diff = x_weights - x_weights_old
        if np.dot(diff, diff) < tol or Yk.shape[1] == 1:
            break
        x_weights_old = x_weights
    return x_weights, i + 1


def _constant_y(Yk: np.ndarray) -> bool:
    return not np.any(np.abs(Yk) > np.finfo(Yk.dtype).eps)


def fit_nipals(X: np.ndarray, Y: np.ndarray, n_components: int, tol: float = DEFAULT_TOL,
               max_iter: int = DEFAULT_MAX_ITER) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """One NIPALS PLS fit: (x_mean, y_mean, rotations p x k, y_loadings q x k, iterations per component)."""
    Xk = np.array(X, dtype=float)
    Yk = np.array(Y, dtype=float)
    x_mean, y_mean = Xk.mean(axis=0), Yk.mean(axis=0)
    Xk -= x_mean
    Yk -= y_mean
    p, q = Xk.shape[1], Yk.shape[1]
    W, P, Q = np.zeros((p, n_components)), np.zeros((p, n_components)), np.zeros((q, n_components))
    y_eps = np.finfo(Yk.dtype).eps
    iterations: list[int] = []
    for k in range(n_components):
        Yk[:, np.all(np.abs(Yk) < 10 * y_eps, axis=0)] = 0.0
        if _constant_y(Yk):
            warnings.warn(f"y residual is constant at iteration {k}")
            break
        w, n_iter = _first_singular_vectors(Xk, Yk, tol, max_iter)
        iterations.append(n_iter)
        w = w * np.sign(w[np.argmax(np.abs(w))])  # scikit-learn's svd flip (predictions do not depend on it)
        t = np.dot(Xk, w)
        tt = np.dot(t, t)
        x_loadings = np.dot(t, Xk) / tt
        Xk -= np.outer(t, x_loadings)
        y_loadings = np.dot(t, Yk) / tt
        Yk -= np.outer(t, y_loadings)
        W[:, k], P[:, k], Q[:, k] = w, x_loadings, y_loadings
    rotations = np.dot(W, scipy.linalg.pinv(np.dot(P.T, W), check_finite=False))
    return x_mean, y_mean, rotations, Q, iterations


def fit_nipals_splits(X: np.ndarray, Y: np.ndarray, masks: np.ndarray, n_components: int, tol: float = DEFAULT_TOL,
                      max_iter: int = DEFAULT_MAX_ITER) -> dict[str, np.ndarray]:
    """NIPALS fits of every row mask: stacked means, rotations, y-loadings and iteration counts (S x k)."""
    S = masks.shape[0]
    out = {"x_mean": np.zeros((S, X.shape[1])), "y_mean": np.zeros((S, Y.shape[1])),
           "rotations": np.zeros((S, X.shape[1], n_components)), "y_loadings": np.zeros((S, Y.shape[1], n_components)),
           "iterations": np.zeros((S, n_components), dtype=int)}
    for s, mask in enumerate(masks):
        x_mean, y_mean, rotations, Q, iterations = fit_nipals(X[mask], Y[mask], n_components, tol, max_iter)
        out["x_mean"][s], out["y_mean"][s] = x_mean, y_mean
        out["rotations"][s], out["y_loadings"][s] = rotations, Q
        out["iterations"][s, : len(iterations)] = iterations
    return out
