"""The exact PLS2 solver: each component's x-weight as the dominant singular vector of the deflated cross-covariance.

NIPALS finds each component's x-weight by power iteration on the deflated cross-covariance ``X_k' Y_k``; its fixed
point is that matrix's dominant left singular vector, which is computed here directly (to ~1e-12 instead of NIPALS'
1e-6 tolerance), so predictions agree with scikit-learn up to its convergence tolerance.

Speed and memory come from exact identities, not approximations:

- the cross-covariance deflates by a rank-one update, ``C_{k+1} = C_k - (t't) p q'`` (kept implicit), and its
  Gram matrix (``q x q`` or ``p x p``, whichever is smaller) by a rank-two one, so neither ``X`` nor ``C`` is
  ever deflated in memory;
- the scores of all cross-validation splits are computed together: every split is a row mask over the same
  ``X``, so each component needs two matrix products ``X @ W`` and ``X' @ T`` with one column per split;
- only the dominant eigenpair of each (small) Gram matrix is computed: LAPACK's MRRR driver up to 256 x 256,
  a block Lanczos iteration batched over splits above (with a full eigendecomposition as fallback);
- the per-split cross-covariances are stored only while they fit in 512 MB, else applied implicitly from ``X'Y``
  and each split's held-out rows, so memory stays ``p x q`` for wide feature sets.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
from threadpoolctl import threadpool_limits

_DIRECT_EIGH_MAX = 256  # Gram matrices up to this size: top eigenpair directly from LAPACK
_KRYLOV = 32  # block-Lanczos basis size per restart
_BLOCK = 8
_RESTARTS = 8
_CROSSCOV_BYTES = 512 * 2**20  # above this the per-split cross-covariances stay implicit
_BLOCK_BYTES = 1024 * 1024  # rows of X per block of the scores pass (stays in cache)
_EIG_TOL = 1e-10


def _mv(M: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Batched matrix-vector product: (S, a, b) x (S, b) -> (S, a), through BLAS."""
    return (M @ v[:, :, None])[:, :, 0]


def _mtv(M: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Batched transposed product: (S, a, b)' x (S, a) -> (S, b), through BLAS."""
    return (v[:, None, :] @ M)[:, 0, :]


def _top_eigenvectors(G: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dominant eigenpair of each symmetric PSD matrix in the stack ``G`` (S, d, d); returns (v, theta).

    Matrices up to ``_DIRECT_EIGH_MAX`` are solved directly for their top pair; larger ones by block Lanczos (block Krylov with full
    reorthogonalisation and Rayleigh-Ritz), batched over the stack: each step reads ``G`` once for a whole block of
    vectors, which is what costs time. Restarted from the best Ritz vectors until the residual
    ``||G v - theta v|| <= tol * theta``; a full eigendecomposition is the fallback.
    """
    S, d, _ = G.shape
    if d <= _DIRECT_EIGH_MAX:  # LAPACK's MRRR driver computes just the top pair (about 2x faster than all)
        v, theta = np.empty((S, d)), np.empty(S)
        for s in range(S):
            w, vec = scipy.linalg.eigh(G[s], subset_by_index=[d - 1, d - 1], driver="evr", check_finite=False)
            v[s], theta[s] = vec[:, 0], w[0]
        return v, theta
    b = min(_BLOCK, d)
    steps = max(1, min(_KRYLOV, d) // b)
    Q0 = np.broadcast_to(start[:d, :b], (S, d, b))
    converged = np.zeros(S, dtype=bool)
    for _ in range(_RESTARTS):
        basis = np.linalg.qr(Q0)[0]
        for _step in range(1, steps):
            W = G @ basis[:, :, -b:]
            for _twice in range(2):
                W -= basis @ (np.swapaxes(basis, 1, 2) @ W)
            basis = np.concatenate([basis, np.linalg.qr(W)[0]], axis=2)
        GB = G @ basis
        vals, U = np.linalg.eigh(np.swapaxes(basis, 1, 2) @ GB)
        theta, top = vals[:, -1], U[:, :, -1:]
        v = (basis @ top)[:, :, 0]
        resid = np.linalg.norm((GB @ top)[:, :, 0] - theta[:, None] * v, axis=1)
        converged = resid <= _EIG_TOL * np.maximum(np.abs(theta), np.finfo(float).tiny)
        if converged.all():
            break
        Q0 = basis @ U[:, :, -b:]
    for s in np.nonzero(~converged)[0]:  # very slow spectra: fall back to a full decomposition
        w, vecs = np.linalg.eigh(G[s])
        v[s], theta[s] = vecs[:, -1], w[-1]
    return v, theta


def _scores_pass(
    X: np.ndarray, Y: np.ndarray, Mf: np.ndarray, w: np.ndarray, offset: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw scores ``t0 = M o (X w - offset)`` of all splits with ``X't0`` and ``Y't0``, in one cache-blocked pass."""
    S, n = Mf.shape
    t = np.empty((S, n))
    xt = np.zeros((S, X.shape[1]))
    yt = np.zeros((S, Y.shape[1]))
    rows = max(16, _BLOCK_BYTES // (8 * max(X.shape[1], 1)))
    for b0 in range(0, n, rows):
        sl = slice(b0, b0 + rows)
        Xb = X[sl]
        tb = Mf[:, sl] * ((Xb @ w.T).T - offset[:, None])
        t[:, sl] = tb
        xt += tb @ Xb
        yt += tb @ Y[sl]
    return t, xt, yt


class _CrossCovariance:
    """The initial cross-covariances ``C_s = Xc_s' Yc_s`` (p x q) of all splits, as products with vectors.

    Stored as one (S, p, q) stack when that fits ``_CROSSCOV_BYTES``; otherwise implicit, from ``F = X'Y`` and each
    split's smaller row set (its held-out rows, subtracted from ``F``, or its training rows), so memory stays
    ``p x q`` whatever the number of splits.
    """

    def __init__(self, X: np.ndarray, Y: np.ndarray, masks: np.ndarray, mx: np.ndarray, my: np.ndarray) -> None:
        self.X, self.Y, self.mx, self.my = X, Y, mx, my
        self.ns = masks.sum(axis=1).astype(float)
        self.F = X.T @ Y
        self.rows = []  # (row indices, True if they are the held-out complement)
        for mask in masks:
            held_out = ~mask
            use_complement = held_out.sum() <= mask.sum()
            self.rows.append((np.nonzero(held_out if use_complement else mask)[0], use_complement))
        S, p, q = masks.shape[0], X.shape[1], Y.shape[1]
        self.stack = None
        if S * p * q * 8 <= _CROSSCOV_BYTES:
            self.stack = np.stack([self.split(s) for s in range(S)])

    def split(self, s: int) -> np.ndarray:
        """The cross-covariance (p x q) of split ``s``."""
        rows, complement = self.rows[s]
        part = self.X[rows].T @ self.Y[rows]
        base = self.F - part if complement else part
        return base - self.ns[s] * np.outer(self.mx[s], self.my[s])

    def gram(self, use_q: bool) -> np.ndarray:
        """``C'C`` (q x q) or ``CC'`` (p x p) of every split."""
        mats = self.stack if self.stack is not None else (self.split(s) for s in range(len(self.rows)))
        return np.stack([c.T @ c if use_q else c @ c.T for c in mats])

    def matvec(self, v: np.ndarray) -> np.ndarray:
        """``C_s v_s`` for all splits: (S, q) -> (S, p)."""
        if self.stack is not None:
            return _mv(self.stack, v)
        Fv = v @ self.F.T
        out = np.empty_like(Fv)
        for s, (rows, complement) in enumerate(self.rows):
            part = self.X[rows].T @ (self.Y[rows] @ v[s])
            out[s] = (Fv[s] - part if complement else part) - self.ns[s] * self.mx[s] * (self.my[s] @ v[s])
        return out

    def rmatvec(self, u: np.ndarray) -> np.ndarray:
        """``C_s' u_s`` for all splits: (S, p) -> (S, q)."""
        if self.stack is not None:
            return _mtv(self.stack, u)
        Fu = u @ self.F
        out = np.empty_like(Fu)
        for s, (rows, complement) in enumerate(self.rows):
            part = self.Y[rows].T @ (self.X[rows] @ u[s])
            out[s] = (Fu[s] - part if complement else part) - self.ns[s] * self.my[s] * (self.mx[s] @ u[s])
        return out



@dataclass
class _Components:
    """The per-split state of the components found so far (k_max slots each)."""

    T: np.ndarray  # (S, n, k) deflated x-scores
    W: np.ndarray  # (S, p, k) x-weights
    P: np.ndarray  # (S, p, k) x-loadings
    Ql: np.ndarray  # (S, q, k) y-loadings
    XT: np.ndarray  # (S, p, k) X' t_j (uncentred), for the deflation of later scores
    YT: np.ndarray  # (S, q, k)
    A: np.ndarray  # (S, k) t't of each component: C_k = C_0 - P diag(A) Q' (never formed)

    @classmethod
    def empty(cls, S: int, n: int, p: int, q: int, k: int) -> "_Components":
        """Zeroed state for ``S`` splits, ``n`` rows, ``p`` features, ``q`` targets and ``k`` components."""
        return cls(*(np.zeros(shape) for shape in ((S, n, k), (S, p, k), (S, p, k), (S, q, k), (S, p, k), (S, q, k),
                                                   (S, k))))


def _x_weights(k: int, v: np.ndarray, C: _CrossCovariance, c: _Components, use_q: bool,
               active: np.ndarray) -> np.ndarray:
    """Unit x-weights of component ``k`` from the top eigenvectors ``v`` (sign: largest entry positive)."""
    S = v.shape[0]
    if use_q:  # C_k v with C_k = C_0 - P diag(a) Q' kept implicit
        w = C.matvec(v)
        if k:
            w -= _mv(c.P[:, :, :k], c.A[:, :k] * _mtv(c.Ql[:, :, :k], v))
    else:
        w = v
    norms = np.linalg.norm(w, axis=1)
    active &= norms > 0
    w = np.where(active[:, None], w / np.where(norms > 0, norms, 1.0)[:, None], 0.0)
    # deterministic sign (as scikit-learn's svd flip): largest absolute entry positive
    pivot = w[np.arange(S), np.argmax(np.abs(w), axis=1)]
    w *= np.where(pivot < 0, -1.0, 1.0)[:, None]
    return w


def _deflated_scores(k: int, X: np.ndarray, Y: np.ndarray, Mf: np.ndarray, mx: np.ndarray, w: np.ndarray,
                     c: _Components) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores ``t = X_k w`` of all splits with ``X't`` and ``Y't`` (uncentred); stores ``X't``, ``Y't``."""
    t, xt, yt = _scores_pass(X, Y, Mf, w, (mx * w).sum(axis=1))
    if k:  # deflated scores t = X_k w = t0 - T (P'w); X't and Y't follow from the stored X'T, Y'T
        d = _mtv(c.P[:, :, :k], w)
        t -= _mv(c.T[:, :, :k], d)
        xt -= _mv(c.XT[:, :, :k], d)
        yt -= _mv(c.YT[:, :, :k], d)
    c.XT[:, :, k], c.YT[:, :, k] = xt, yt
    return t, xt, yt


def _loadings(k: int, t: np.ndarray, xt: np.ndarray, yt: np.ndarray, mx: np.ndarray, my: np.ndarray,
              c: _Components, active: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x- and y-loadings of component ``k`` (regression deflation) and its ``t't`` (0 where inactive)."""
    tt = (t * t).sum(axis=1)
    active &= tt > 0
    tt_safe = np.where(active, tt, 1.0)
    tsum = t.sum(axis=1)
    xt = xt - mx * tsum[:, None]
    yt = yt - my * tsum[:, None]
    if k:
        tT = _mtv(c.T[:, :, :k], t)
        xt -= _mv(c.P[:, :, :k], tT)
        yt -= _mv(c.Ql[:, :, :k], tT)
    pl = np.where(active[:, None], xt / tt_safe[:, None], 0.0)
    ql = np.where(active[:, None], yt / tt_safe[:, None], 0.0)
    return pl, ql, np.where(active, tt, 0.0)


def _deflate_gram(G: np.ndarray, k: int, C: _CrossCovariance, c: _Components, pl: np.ndarray, ql: np.ndarray,
                  a: np.ndarray, use_q: bool) -> np.ndarray:
    """The Gram matrix of the next deflated cross-covariance, by a rank-two update."""
    if use_q:
        u = C.rmatvec(pl)
        if k:
            u -= _mv(c.Ql[:, :, :k], c.A[:, :k] * _mtv(c.P[:, :, :k], pl))
        G -= a[:, None, None] * (ql[:, :, None] * u[:, None, :] + u[:, :, None] * ql[:, None, :])
        G += (a**2 * (pl * pl).sum(axis=1))[:, None, None] * (ql[:, :, None] * ql[:, None, :])
    else:
        u = C.matvec(ql)
        if k:
            u -= _mv(c.P[:, :, :k], c.A[:, :k] * _mtv(c.Ql[:, :, :k], ql))
        G -= a[:, None, None] * (u[:, :, None] * pl[:, None, :] + pl[:, :, None] * u[:, None, :])
        G += (a**2 * (ql * ql).sum(axis=1))[:, None, None] * (pl[:, :, None] * pl[:, None, :])
    return 0.5 * (G + np.swapaxes(G, 1, 2))


def fit_exact(X: np.ndarray, Y: np.ndarray, masks: np.ndarray, mx: np.ndarray, my: np.ndarray,
              k_max: int) -> tuple[np.ndarray, np.ndarray]:
    """Rotations (S, p, k) and y-loadings (S, q, k) of every split; ``X``, ``Y`` globally centred, ``mx``/``my``
    the per-split training means."""
    S, n = masks.shape
    p, q = X.shape[1], Y.shape[1]
    Mf = masks.astype(float)
    C = _CrossCovariance(X, Y, masks, mx, my)
    use_q = q <= p
    G = C.gram(use_q)
    c = _Components.empty(S, n, p, q, k_max)
    start = np.random.default_rng(0).standard_normal((q if use_q else p, _BLOCK))  # fixed start: reproducible
    first_theta = None
    active = np.ones(S, dtype=bool)
    with threadpool_limits(1, user_api="blas"):  # small products: BLAS threads only add synchronisation cost
        for k in range(k_max):
            v, theta = _top_eigenvectors(G, start)
            if first_theta is None:
                first_theta = np.maximum(theta, np.finfo(float).tiny)
            active &= theta > 1e-24 * first_theta  # cross-covariance exhausted: no further components
            w = _x_weights(k, v, C, c, use_q, active)
            t, xt, yt = _deflated_scores(k, X, Y, Mf, mx, w, c)
            pl, ql, a = _loadings(k, t, xt, yt, mx, my, c, active)
            G = _deflate_gram(G, k, C, c, pl, ql, a, use_q)
            c.A[:, k] = a
            c.T[:, :, k], c.W[:, :, k], c.P[:, :, k], c.Ql[:, :, k] = np.where(active[:, None], t, 0.0), w, pl, ql
    rotations = c.W @ np.linalg.pinv(np.swapaxes(c.P, 1, 2) @ c.W)
    return rotations, c.Ql
