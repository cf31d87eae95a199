"""Partial least squares regression (PLS2, NIPALS mode A, regression deflation) computed without NIPALS iterations.

The model is scikit-learn's ``PLSRegression(n_components, scale=False)``, the official Brain-Score regression.
NIPALS finds each component's x-weight by power iteration on the deflated cross-covariance ``X_k' Y_k``; its fixed
point is that matrix's dominant left singular vector, which is computed here directly (to ~1e-12 instead of NIPALS'
1e-6 tolerance), so predictions agree with scikit-learn up to its convergence tolerance.

Speed comes from three exact identities, not approximations:

- the cross-covariance deflates by a rank-one update, ``C_{k+1} = C_k - (t't) p q'`` (kept implicit), and its
  Gram matrix (``q x q`` or ``p x p``, whichever is smaller) by a rank-two one, so neither ``X`` nor ``C`` is
  ever deflated in memory;
- the scores of all cross-validation splits are computed together: every split is a row mask over the same
  ``X``, so each component needs two matrix products ``X @ W`` and ``X' @ T`` with one column per split;
- the dominant eigenvector of each (small) Gram matrix comes from a Lanczos iteration batched over splits,
  with a full eigendecomposition as fallback.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from brainmark.metrics.neural._common import MetricInputError

_DIRECT_EIGH_MAX = 64  # Gram matrices up to this size are decomposed directly
_KRYLOV = 32  # Lanczos basis size per restart
_RESTARTS = 8
_BLOCK_BYTES = 512 * 1024  # rows of X per block of the scores pass (stays in cache)
_EIG_TOL = 1e-10


@dataclass
class PLSFit:
    """Fitted PLS models of S splits: predictions are ``(X - x_mean) @ rotations @ y_loadings' + y_mean``."""

    x_mean: np.ndarray  # (S, p)
    y_mean: np.ndarray  # (S, q)
    rotations: np.ndarray  # (S, p, k)
    y_loadings: np.ndarray  # (S, q, k)
    n_components: int

    def predict(self, split: int, X: np.ndarray) -> np.ndarray:
        scores = (np.asarray(X, dtype=float) - self.x_mean[split]) @ self.rotations[split]
        return scores @ self.y_loadings[split].T + self.y_mean[split]

    def coef(self, split: int) -> np.ndarray:
        """The (p x q) regression coefficients of one split."""
        return self.rotations[split] @ self.y_loadings[split].T


def _top_eigenvectors(G: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dominant eigenpair of each symmetric PSD matrix in the stack ``G`` (S, d, d); returns (v, theta).

    Small matrices are decomposed directly; larger ones by Lanczos with full reorthogonalisation, batched over the
    stack and restarted from the best Ritz vector until the residual ``||G v - theta v|| <= tol * theta``.
    """
    S, d, _ = G.shape
    if d <= _DIRECT_EIGH_MAX:
        w, v = np.linalg.eigh(G)
        return v[:, :, -1], w[:, -1]
    m = min(d, _KRYLOV)
    v = np.broadcast_to(start, (S, d)).copy()
    converged = np.zeros(S, dtype=bool)
    theta = np.zeros(S)
    g_norm = np.maximum(np.linalg.norm(G, axis=(1, 2)), np.finfo(float).tiny)
    for _ in range(_RESTARTS):
        V = np.zeros((S, d, m))
        V[:, :, 0] = v / np.linalg.norm(v, axis=1, keepdims=True)
        for j in range(1, m):
            w = G @ V[:, :, j - 1:j]
            for _twice in range(2):
                w -= V[:, :, :j] @ (np.swapaxes(V[:, :, :j], 1, 2) @ w)
            norm = np.linalg.norm(w[:, :, 0], axis=1)
            ok = norm > 1e-14 * g_norm
            V[:, :, j] = np.where(ok[:, None], w[:, :, 0] / np.where(ok, norm, 1.0)[:, None], 0.0)
        GV = G @ V
        vals, U = np.linalg.eigh(np.swapaxes(V, 1, 2) @ GV)
        theta, top = vals[:, -1], U[:, :, -1:]
        v = (V @ top)[:, :, 0]
        resid = np.linalg.norm((GV @ top)[:, :, 0] - theta[:, None] * v, axis=1)
        converged = resid <= _EIG_TOL * np.maximum(np.abs(theta), np.finfo(float).tiny)
        if converged.all():
            break
    for s in np.nonzero(~converged)[0]:  # very slow spectra: fall back to a full decomposition
        w, vecs = np.linalg.eigh(G[s])
        v[s], theta[s] = vecs[:, -1], w[-1]
    return v, theta


def _scores_pass(
    X: np.ndarray, Y: np.ndarray, Mf: np.ndarray, w: np.ndarray, offset: np.ndarray, T: np.ndarray, d: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores ``t = M o (X w - offset) - T d`` of all splits and ``X't``, ``Y't`` in one cache-blocked pass over X."""
    S, n = Mf.shape
    t = np.empty((S, n))
    xt = np.zeros((S, X.shape[1]))
    yt = np.zeros((S, Y.shape[1]))
    rows = max(16, _BLOCK_BYTES // (8 * max(X.shape[1], 1)))
    for b0 in range(0, n, rows):
        sl = slice(b0, b0 + rows)
        Xb = X[sl]
        tb = Mf[:, sl] * ((Xb @ w.T).T - offset[:, None])
        if d is not None:
            tb -= np.einsum("snk,sk->sn", T[:, sl], d)
        t[:, sl] = tb
        xt += tb @ Xb
        yt += tb @ Y[sl]
    return t, xt, yt


def fit_pls_splits(X: np.ndarray, Y: np.ndarray, train_masks: np.ndarray, n_components: int) -> PLSFit:
    """Fit one PLS model per row mask of ``train_masks`` (S, n) on rows of ``X`` (n, p) -> ``Y`` (n, q)."""
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    masks = np.asarray(train_masks, dtype=bool)
    if masks.ndim == 1:
        masks = masks[None]
    S, n = masks.shape
    p, q = X.shape[1], Y.shape[1]
    k_max = int(n_components)
    if k_max < 1:
        raise MetricInputError(f"n_components must be >= 1, got {n_components}")
    # global centring first, so the per-split sums below do not cancel large means
    x_offset, y_offset = X.mean(axis=0), Y.mean(axis=0)
    X = X - x_offset
    Y = Y - y_offset
    Mf = masks.astype(float)
    ns = Mf.sum(axis=1)
    mx = (Mf @ X) / ns[:, None]
    my = (Mf @ Y) / ns[:, None]
    full = X.T @ Y
    C = np.empty((S, p, q))
    for s in range(S):
        other = ~masks[s]
        C[s] = full - X[other].T @ Y[other] - ns[s] * np.outer(mx[s], my[s])
    use_q = q <= p
    G = np.swapaxes(C, 1, 2) @ C if use_q else C @ np.swapaxes(C, 1, 2)
    first_theta = None
    T = np.zeros((S, n, k_max))
    W = np.zeros((S, p, k_max))
    P = np.zeros((S, p, k_max))
    Ql = np.zeros((S, q, k_max))
    A = np.zeros((S, k_max))  # t't of each component: C_k = C_0 - P diag(A) Q' (never formed)
    active = np.ones(S, dtype=bool)
    start = np.random.default_rng(0).standard_normal(q if use_q else p)  # fixed Lanczos start: reproducible
    for k in range(k_max):
        v, theta = _top_eigenvectors(G, start)
        if first_theta is None:
            first_theta = np.maximum(theta, np.finfo(float).tiny)
        active &= theta > 1e-24 * first_theta  # cross-covariance exhausted: no further components
        if use_q:  # C_k v with C_k = C_0 - P diag(a) Q' kept implicit
            w = np.einsum("spq,sq->sp", C, v)
            if k:
                w -= np.einsum("spk,sk->sp", P[:, :, :k], A[:, :k] * np.einsum("sqk,sq->sk", Ql[:, :, :k], v))
        else:
            w = v
        norms = np.linalg.norm(w, axis=1)
        active &= norms > 0
        w = np.where(active[:, None], w / np.where(norms > 0, norms, 1.0)[:, None], 0.0)
        # deterministic sign (as scikit-learn's svd flip): largest absolute entry positive
        pivot = w[np.arange(S), np.argmax(np.abs(w), axis=1)]
        w *= np.where(pivot < 0, -1.0, 1.0)[:, None]
        d = np.einsum("spk,sp->sk", P[:, :, :k], w) if k else None
        t, xt, yt = _scores_pass(X, Y, Mf, w, np.einsum("sp,sp->s", mx, w), T[:, :, :k], d)
        tt = np.einsum("sn,sn->s", t, t)
        active &= tt > 0
        tt_safe = np.where(active, tt, 1.0)
        tsum = t.sum(axis=1)
        xt -= mx * tsum[:, None]
        yt -= my * tsum[:, None]
        if k:
            tT = np.einsum("snk,sn->sk", T[:, :, :k], t)
            xt -= np.einsum("spk,sk->sp", P[:, :, :k], tT)
            yt -= np.einsum("sqk,sk->sq", Ql[:, :, :k], tT)
        pl = np.where(active[:, None], xt / tt_safe[:, None], 0.0)
        ql = np.where(active[:, None], yt / tt_safe[:, None], 0.0)
        a = np.where(active, tt, 0.0)
        if use_q:
            u = np.einsum("spq,sp->sq", C, pl)
            if k:
                u -= np.einsum("sqk,sk->sq", Ql[:, :, :k], A[:, :k] * np.einsum("spk,sp->sk", P[:, :, :k], pl))
            G -= a[:, None, None] * (ql[:, :, None] * u[:, None, :] + u[:, :, None] * ql[:, None, :])
            G += (a**2 * np.einsum("sp,sp->s", pl, pl))[:, None, None] * (ql[:, :, None] * ql[:, None, :])
        else:
            u = np.einsum("spq,sq->sp", C, ql)
            if k:
                u -= np.einsum("spk,sk->sp", P[:, :, :k], A[:, :k] * np.einsum("sqk,sq->sk", Ql[:, :, :k], ql))
            G -= a[:, None, None] * (u[:, :, None] * pl[:, None, :] + pl[:, :, None] * u[:, None, :])
            G += (a**2 * np.einsum("sq,sq->s", ql, ql))[:, None, None] * (pl[:, :, None] * pl[:, None, :])
        A[:, k] = a
        G = 0.5 * (G + np.swapaxes(G, 1, 2))
        T[:, :, k], W[:, :, k], P[:, :, k], Ql[:, :, k] = np.where(active[:, None], t, 0.0), w, pl, ql
    rotations = W @ np.linalg.pinv(np.swapaxes(P, 1, 2) @ W)
    return PLSFit(x_mean=mx + x_offset, y_mean=my + y_offset, rotations=rotations, y_loadings=Ql, n_components=k_max)


class PLSRegression:
    """PLS2 regression equal to ``sklearn.cross_decomposition.PLSRegression(n_components, scale=False)``.

    scikit-learn conventions: parameters in ``__init__``, ``fit(X, Y)`` then ``predict(X)``; fitted attributes
    ``coef_`` (q x p, as scikit-learn >= 1.3), ``intercept_``, ``x_rotations_``, ``y_loadings_``.
    """

    def __init__(self, n_components: int = 25) -> None:
        self.n_components = n_components

    def fit(self, X: np.ndarray, Y: np.ndarray) -> "PLSRegression":
        X = np.asarray(X, dtype=float)
        Y = np.asarray(Y, dtype=float)
        if Y.ndim == 1:
            Y = Y[:, None]
        if self.n_components > min(X.shape[0] - 1, X.shape[1]):
            raise MetricInputError(
                f"n_components={self.n_components} exceeds min(n_samples - 1, n_features) = "
                f"{min(X.shape[0] - 1, X.shape[1])}; use fewer components or more samples"
            )
        self._fit = fit_pls_splits(X, Y, np.ones((1, X.shape[0]), dtype=bool), self.n_components)
        self.x_rotations_ = self._fit.rotations[0]
        self.y_loadings_ = self._fit.y_loadings[0]
        self.coef_ = self._fit.coef(0).T
        self.intercept_ = self._fit.y_mean[0] - self._fit.x_mean[0] @ self._fit.coef(0)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self._fit.predict(0, X)
