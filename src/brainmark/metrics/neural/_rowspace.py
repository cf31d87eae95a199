"""Exact low-dimensional coordinates of a wide feature matrix, for metrics that see features only through inner products.

PLS (NIPALS or exact), ridge and least squares fitted on centred rows depend on the features ``X`` (n x p) only
through the Gram matrix of the centred rows: every weight vector is a combination of rows, so rotating the feature
space changes nothing. When ``p > n`` the centred rows span at most ``n`` dimensions; their coordinates in an
orthonormal basis of that span, ``Z = U sqrt(L)`` from the eigendecomposition ``Xc Xc' = U L U'``, give the same
fits and predictions as ``X`` itself (up to floating-point rounding) at a fraction of the cost: ``Z`` is ``n x n``
instead of ``n x p``. ``X`` is read in column blocks and never copied whole.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Use the row-space coordinates when features outnumber stimuli by this factor (below it, the direct fit is cheaper).
WIDE_RATIO = 2
_BLOCK_BYTES = 64 * 2**20  # float64 column block of X while forming products


def _column_blocks(n_rows: int, n_cols: int) -> range:
    width = max(1, _BLOCK_BYTES // (8 * max(n_rows, 1)))
    return range(0, n_cols, width)


def centred_products(A: np.ndarray, B: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """``(A - offset) @ (B - offset)'`` in float64, one column block at a time (no full copy of either)."""
    out = np.zeros((A.shape[0], B.shape[0]))
    blocks = _column_blocks(max(A.shape[0], B.shape[0]), A.shape[1])
    for start in blocks:
        stop = start + blocks.step
        a = np.asarray(A[:, start:stop], dtype=float) - offset[start:stop]
        b = a if B is A else np.asarray(B[:, start:stop], dtype=float) - offset[start:stop]
        out += a @ b.T
    return out


def column_means(X: np.ndarray) -> np.ndarray:
    """Column means of ``X`` in float64, one column block at a time."""
    out = np.empty(X.shape[1])
    blocks = _column_blocks(X.shape[0], X.shape[1])
    for start in blocks:
        out[start : start + blocks.step] = np.asarray(X[:, start : start + blocks.step], dtype=float).mean(axis=0)
    return out


@dataclass
class RowSpace:
    """Coordinates of the globally centred rows of ``source`` in an orthonormal basis of their span.

    ``coords`` (n x r) = ``U_r sqrt(L_r)``; ``lift`` (n x r) = ``U_r / sqrt(L_r)`` maps inner products with the
    centred rows to coordinates. Eigen-directions below ``n * eps * L_max`` (numerically zero) are dropped.
    """

    source: np.ndarray  # the caller's array (a reference, not a copy)
    offset: np.ndarray  # (p,) column means, float64
    coords: np.ndarray  # (n, r)
    lift: np.ndarray  # (n, r)

    @classmethod
    def of(cls, X: np.ndarray) -> "RowSpace":
        """The row space of ``X`` (n x p) from its centred Gram matrix."""
        offset = column_means(X)
        gram = centred_products(X, X, offset)
        values, vectors = np.linalg.eigh(gram)
        top = max(float(values[-1]), 0.0)
        keep = values > X.shape[0] * np.finfo(float).eps * top
        if not keep.any():  # all rows equal: one zero coordinate keeps shapes valid
            zero = np.zeros((X.shape[0], 1))
            return cls(source=X, offset=offset, coords=zero, lift=zero.copy())
        root = np.sqrt(values[keep])
        return cls(source=X, offset=offset, coords=vectors[:, keep] * root, lift=vectors[:, keep] / root)

    @property
    def rank(self) -> int:
        """The number of coordinates (the numerical rank of the centred rows)."""
        return int(self.coords.shape[1])

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Coordinates (m x r) of other rows ``X`` (m x p) in this basis."""
        return centred_products(np.asarray(X), self.source, self.offset) @ self.lift

    def to_features(self, A: np.ndarray) -> np.ndarray:
        """Map coefficients ``A`` (r x m) over the coordinates to coefficients (p x m) over the original features."""
        weights = self.lift @ A  # (n, m): the features' coefficients as combinations of centred rows
        out = np.empty((self.source.shape[1], A.shape[1]))
        blocks = _column_blocks(self.source.shape[0], self.source.shape[1])
        for start in blocks:
            stop = start + blocks.step
            block = np.asarray(self.source[:, start:stop], dtype=float) - self.offset[start:stop]
            out[start:stop] = block.T @ weights
        return out


def is_wide(n_rows: int, n_cols: int) -> bool:
    """Whether a fit on ``n_rows x n_cols`` features is cheaper in row-space coordinates."""
    return n_cols > WIDE_RATIO * n_rows
