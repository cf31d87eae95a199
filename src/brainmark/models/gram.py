"""The exact Gram embedding of a layer whose full activations do not fit the memory budget.

Metrics that see a layer only through the inner products of its stimulus patterns (PLS, ridge, least squares,
linear CKA, RSA with correlation / Euclidean / cosine distances) need the ``n x n`` Gram matrix ``G = X X'``,
not the ``n x d`` features. ``G`` is accumulated exactly (float64 products of the float32 activations) over row
blocks: each forward pass over the stimuli holds one *anchor* block of rows at full size and multiplies every
later batch with it, so each pair of stimuli is multiplied once and memory stays within the budget; a pass runs
only the stimuli from its anchor on, and stops after the layer.

From ``G`` and the per-stimulus feature means ``mu`` (of ``d`` features), :func:`gram_embedding` builds
``n x (r + 1)`` coordinates ``E`` (``r`` = rank of the row-centred patterns, at most ``n``) with

- ``E E' = G``: inner products, norms and Euclidean distances of the stimuli are exactly those of the features;
- every row of ``E`` minus its mean equals, in inner products, the row-centred features: per-stimulus Pearson
  correlations (the correlation-distance RDM) are exactly those of the features too.

Construction: ``K = G - d mu mu'`` (the Gram matrix of the row-centred patterns) ``= U L U'``; ``Z = U sqrt(L)``
gets one zero column and is rotated by a Householder reflection that takes the all-ones direction to that
column, which makes each row sum to zero without changing inner products; adding ``sqrt(d / (r + 1)) mu_i`` to
each entry of row ``i`` restores ``d mu mu'``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

_PRODUCT_BLOCK_BYTES = 32 * 2**20  # float64 column block of a product


def exact_products(A: torch.Tensor, B: torch.Tensor) -> np.ndarray:
    """``A @ B'`` in float64 (a, b), converting one block of columns at a time (no full float64 copies)."""
    width = max(1, _PRODUCT_BLOCK_BYTES // (8 * (A.shape[0] + B.shape[0])))
    out = torch.zeros((A.shape[0], B.shape[0]), dtype=torch.float64, device=A.device)
    for start in range(0, A.shape[1], width):
        out += A[:, start : start + width].double() @ B[:, start : start + width].double().T
    return out.cpu().numpy()


def exact_row_sums(A: torch.Tensor) -> np.ndarray:
    """Row sums of ``A`` in float64, one block of columns at a time."""
    width = max(1, _PRODUCT_BLOCK_BYTES // (8 * max(A.shape[0], 1)))
    out = torch.zeros(A.shape[0], dtype=torch.float64, device=A.device)
    for start in range(0, A.shape[1], width):
        out += A[:, start : start + width].double().sum(dim=1)
    return out.cpu().numpy()


@dataclass(frozen=True)
class AnchorJob:
    """Rows ``[start, stop)`` of ``layer`` held at full size during one pass."""

    layer: str
    start: int
    stop: int
    nbytes: int


@dataclass
class GramAccumulator:
    """The exact Gram matrix and row sums of one layer, filled by anchor blocks over several passes."""

    n_stimuli: int
    n_features: int
    gram: np.ndarray = field(init=False)
    row_sums: np.ndarray = field(init=False)
    passes: int = 0

    def __post_init__(self) -> None:
        self.gram = np.zeros((self.n_stimuli, self.n_stimuli))
        self.row_sums = np.zeros(self.n_stimuli)


class AnchorBlock:
    """One anchor job in progress: fills its rows, then multiplies every later batch with them."""

    def __init__(self, job: AnchorJob, accumulator: GramAccumulator, device: torch.device) -> None:
        self.job, self.acc = job, accumulator
        self.buffer = torch.empty((job.stop - job.start, accumulator.n_features), dtype=torch.float32, device=device)
        self.filled = 0

    def add(self, row0: int, flat: torch.Tensor) -> None:
        """Take a batch of rows ``[row0, row0 + len(flat))`` of the layer (float32, batch x features)."""
        start, stop = self.job.start, self.job.stop
        row1 = row0 + flat.shape[0]
        if start == 0:  # the first anchor sees every row once: the per-stimulus sums come from it
            self.acc.row_sums[row0:row1] = exact_row_sums(flat)
        lo, hi = max(row0, start), min(row1, stop)
        if lo < hi:
            self.buffer[lo - start : hi - start] = flat[lo - row0 : hi - row0]
            self.filled += hi - lo
            if self.filled == stop - start:
                self.acc.gram[start:stop, start:stop] = exact_products(self.buffer, self.buffer)
                self.acc.passes += 1
        after = max(row0, stop)
        if after < row1:
            block = exact_products(flat[after - row0 :], self.buffer)
            self.acc.gram[after:row1, start:stop] = block
            self.acc.gram[start:stop, after:row1] = block.T


def anchor_jobs(widths: dict[str, int], n_stimuli: int, batch_size: int, budget: int) -> list[AnchorJob]:
    """Every layer's rows cut into anchor blocks of whole batches that fit the budget (at least one batch)."""
    jobs = []
    for layer, width in widths.items():
        rows = max(1, budget // (batch_size * width * 4)) * batch_size
        for start in range(0, n_stimuli, rows):
            stop = min(n_stimuli, start + rows)
            jobs.append(AnchorJob(layer, start, stop, (stop - start) * width * 4))
    return jobs


def schedule(jobs: list[AnchorJob], budget: int, main_free: int) -> tuple[list[AnchorJob], list[list[AnchorJob]]]:
    """Anchor jobs that ride along the main pass (start 0, within ``main_free`` bytes) and the extra passes
    (jobs in order of their first row, packed while they fit the budget; a pass starts at its first job's row)."""
    main: list[AnchorJob] = []
    rest: list[AnchorJob] = []
    for job in jobs:
        if job.start == 0 and job.nbytes <= main_free:
            main.append(job)
            main_free -= job.nbytes
        else:
            rest.append(job)
    passes: list[list[AnchorJob]] = []
    used = budget + 1
    for job in sorted(rest, key=lambda j: (j.start, j.layer)):
        if used + job.nbytes > budget:
            passes.append([])
            used = 0
        passes[-1].append(job)
        used += job.nbytes
    return main, passes


def gram_embedding(gram: np.ndarray, row_sums: np.ndarray, n_features: int) -> tuple[np.ndarray, dict[str, Any]]:
    """Coordinates ``E`` (n x (r + 1), float64) with ``E E' = gram`` and the row-centred correlations of the
    features, and a record of the construction with its measured error."""
    n, d = gram.shape[0], float(n_features)
    mu = row_sums / d
    centred = gram - d * np.outer(mu, mu)
    centred = 0.5 * (centred + centred.T)
    values, vectors = np.linalg.eigh(centred)
    keep = values > n * np.finfo(float).eps * max(float(values[-1]), 0.0)
    Z = vectors[:, keep] * np.sqrt(values[keep])
    r = Z.shape[1]
    Z0 = np.concatenate([Z, np.zeros((n, 1))], axis=1)
    v = -np.full(r + 1, 1.0 / np.sqrt(r + 1))  # Householder vector taking the all-ones direction to the last axis
    v[-1] += 1.0
    if np.dot(v, v) > 0:
        Z0 -= np.outer(Z0 @ v, v) * (2.0 / np.dot(v, v))
    E = Z0 + np.sqrt(d / (r + 1)) * mu[:, None]
    scale = max(float(np.abs(gram).max()), np.finfo(float).tiny)
    info = {
        "gram_rank": int(r),
        "gram_max_relative_error": float(np.abs(E @ E.T - gram).max() / scale),
        "gram_dropped_eigenvalues": int((~keep).sum()),
    }
    return E, info
