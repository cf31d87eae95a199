"""Streaming feature reductions applied to each batch of activations as it arrives (memory-bounded extraction).

- ``none``: the flattened activations as they are (refused when the result would be large).
- ``random``: a data-independent *very sparse random projection* (Li, Hastie & Church 2006): entries of the
  ``k x d`` matrix are ``+-sqrt(s/k)`` with probability ``1/(2s)`` each and 0 otherwise, ``s = sqrt(d)``.
  Like a dense Gaussian projection it satisfies the Johnson-Lindenstrauss lemma (Li et al. prove the same
  moments up to a vanishing kurtosis term): each squared distance is preserved in expectation with relative
  standard deviation ~ ``sqrt(2/k)`` (k=4096: 2.2 %), and for ``n`` stimuli all pairwise squared distances lie
  within ``1 +- eps`` with positive probability once ``k >= 4 ln(n) / (eps^2/2 - eps^3/3)`` (Dasgupta &
  Gupta 2003; k=4096, n=640 -> eps ~ 0.12; :func:`jl_epsilon`). Inner products and linear readouts are
  preserved correspondingly. It needs no data (no leakage between stimuli) and the matrix has only
  ``k*sqrt(d)`` non-zeros (VGG-16 conv1_1, d=3.2M: 7.3M non-zeros, 60 MB instead of 53 GB dense).
  It is generated deterministically from ``seed`` with NumPy's legacy ``RandomState`` (a stream NumPy keeps
  stable across versions and platforms).
- ``pca``: principal components fitted on a *separate* fitting stimulus set (as the 2018 paper did with 1,000
  ImageNet images), after a random projection to at most ``pca_input_dim`` features when a layer is wider
  (an exact PCA basis of a 3.2M-feature layer would not fit in memory).
- ``auto``: ``none`` for layers with at most ``auto_max_features`` features, else ``random`` to
  ``n_components``.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from brainmark.errors import BrainmarkError

KINDS = ("auto", "none", "random", "pca")
DEFAULT_COMPONENTS = 4096
AUTO_MAX_FEATURES = 8192
PCA_COMPONENTS = 1000
PCA_INPUT_DIM = 8192
NONE_MAX_BYTES = 2 * 1024**3
PROJECTION_CHUNK = 8  # images per sparse product


class ReductionError(BrainmarkError, ValueError):
    """A reduction is misconfigured (unknown kind, PCA without fitting stimuli, 'none' too large)."""


@dataclass(frozen=True)
class Reduction:
    """What to do with each layer's flattened activations. ``fitting_stimuli`` only for ``pca``."""

    kind: str = "auto"
    n_components: int | None = None
    seed: int = 0
    fitting_stimuli: Any = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if ":" in self.kind:  # "random:2048" -> kind "random", 2048 components
            kind, _, n = self.kind.partition(":")
            object.__setattr__(self, "kind", kind.strip().lower())
            object.__setattr__(self, "n_components", int(n))
        if self.kind not in KINDS:
            raise ReductionError(f"unknown reduction {self.kind!r}; choose one of {', '.join(KINDS)}")
        if self.n_components is not None and int(self.n_components) < 1:
            raise ReductionError(f"n_components must be >= 1, got {self.n_components}")
        if self.kind == "pca" and self.fitting_stimuli is None:
            raise ReductionError(
                "PCA needs a separate fitting stimulus set: Reduction('pca', fitting_stimuli=<StimulusSet>)"
            )

    @classmethod
    def parse(cls, spec: "str | Reduction | None", seed: int = 0, fitting_stimuli: Any = None) -> "Reduction":
        """Accept a Reduction, None (auto), or strings like ``auto``, ``none``, ``random:2048``, ``pca:1000``."""
        if isinstance(spec, Reduction):
            return spec
        if spec is None:
            return cls("auto", seed=seed)
        kind, _, n = str(spec).partition(":")
        return cls(kind.strip().lower(), int(n) if n else None, seed=seed, fitting_stimuli=fitting_stimuli)

    def components(self) -> int:
        """The number of output components (the kind's default when ``n_components`` is None)."""
        default = PCA_COMPONENTS if self.kind == "pca" else DEFAULT_COMPONENTS
        return int(self.n_components or default)

    def key(self) -> dict[str, Any]:
        """The cache-key part: kind, size, seed and (for PCA) the fitting set's content hash."""
        key: dict[str, Any] = {"kind": self.kind, "n_components": self.components(), "seed": int(self.seed)}
        if self.kind == "auto":
            key["auto_max_features"] = AUTO_MAX_FEATURES
        if self.kind == "pca":
            key["pca_input_dim"] = PCA_INPUT_DIM
            key["fitting_stimuli"] = self.fitting_stimuli.content_hash()
        return key


def jl_epsilon(n_points: int, n_components: int) -> float:
    """The distortion ``eps`` the Johnson-Lindenstrauss bound guarantees for ``n_points`` at ``n_components``."""
    target = 4 * math.log(max(n_points, 2)) / n_components
    lo, hi = 1e-6, 1.0
    for _ in range(60):  # eps^2/2 - eps^3/3 is increasing on (0, 1)
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if mid**2 / 2 - mid**3 / 3 < target else (lo, mid)
    return hi


def very_sparse_projection(n_features: int, n_components: int, seed: int) -> torch.Tensor:
    """The ``n_components x n_features`` very sparse random matrix as a torch CSR tensor (float32)."""
    rng = np.random.RandomState(seed)
    s = math.sqrt(n_features)
    total = n_features * n_components
    count = int(rng.binomial(total, 1.0 / s))
    flat = np.sort(rng.randint(0, total, size=count, dtype=np.int64))  # sorted = row-major CSR order
    keep = np.ones(flat.size, dtype=bool)
    keep[1:] = flat[1:] != flat[:-1]  # a position drawn twice is one non-zero (sampling without replacement)
    flat = flat[keep]
    signs = rng.randint(0, 2, size=flat.size).astype(np.float32) * 2 - 1
    values = signs * np.float32(math.sqrt(s / n_components))
    rows, cols = np.divmod(flat, n_features)
    crow = np.zeros(n_components + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_components), out=crow[1:])
    with warnings.catch_warnings():  # torch notes that sparse CSR support is "beta"; the ops used here are stable
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(
            torch.from_numpy(crow), torch.from_numpy(cols), torch.from_numpy(values), size=(n_components, n_features)
        )


class LayerReducer:
    """The reduction of one layer, fixed once the layer's width is known. ``__call__``: (B, d) -> (B, k)."""

    def __init__(self, n_features: int, reduction: Reduction, n_stimuli: int, device: torch.device) -> None:
        self.n_features = int(n_features)
        self.reduction = reduction
        self.device = device
        self.projection: torch.Tensor | None = None
        self.pca_mean: torch.Tensor | None = None
        self.pca_components: torch.Tensor | None = None
        kind = reduction.kind
        k = reduction.components()
        if kind == "auto":
            kind = "none" if self.n_features <= AUTO_MAX_FEATURES else "random"
        if kind == "random" and self.n_features <= k:
            kind = "none"  # projecting to more dimensions than there are features would only add noise
        if kind == "none" and n_stimuli * self.n_features * 4 > NONE_MAX_BYTES:
            raise ReductionError(
                f"reduction 'none' would hold {n_stimuli} x {self.n_features} float32 values "
                f"({n_stimuli * self.n_features * 4 / 2**30:.1f} GiB); use reduction='random' or 'auto'"
            )
        if kind == "random":
            self.projection = very_sparse_projection(self.n_features, k, reduction.seed).to(device)
        if kind == "pca" and self.n_features > PCA_INPUT_DIM:
            self.projection = very_sparse_projection(self.n_features, PCA_INPUT_DIM, reduction.seed).to(device)
        self.kind = kind
        self.needs_fit = kind == "pca"

    @property
    def n_outputs(self) -> int:
        """The number of features after the reduction."""
        if self.pca_components is not None:
            return int(self.pca_components.shape[0])
        if self.projection is not None:
            return int(self.projection.shape[0])
        return self.n_features

    def project(self, batch: torch.Tensor) -> torch.Tensor:
        """Random-project the rows of ``batch``, a few at a time (bounds the transposed copy sparse.mm makes)."""
        if self.projection is None:
            return batch
        chunks = [torch.sparse.mm(self.projection, rows.T).T for rows in batch.split(PROJECTION_CHUNK)]
        return torch.cat(chunks) if len(chunks) > 1 else chunks[0]

    def fit(self, features: np.ndarray) -> None:
        """Fit the PCA basis on (projected) features of the separate fitting stimuli."""
        from sklearn.decomposition import PCA

        n = min(self.reduction.components(), features.shape[0], features.shape[1])
        pca = PCA(n_components=n, svd_solver="full", random_state=self.reduction.seed).fit(features)
        self.pca_mean = torch.from_numpy(pca.mean_.astype(np.float32)).to(self.device)
        self.pca_components = torch.from_numpy(pca.components_.astype(np.float32)).to(self.device)
        self.needs_fit = False

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        reduced = self.project(batch.float())
        if self.pca_components is not None:
            reduced = (reduced - self.pca_mean) @ self.pca_components.T
        return reduced

    def describe(self, n_stimuli: int) -> dict[str, Any]:
        """The reduction's provenance: kind, sizes, projection seed and JL distortion, PCA variance."""
        info: dict[str, Any] = {"reduction": self.kind, "n_features": self.n_features, "n_outputs": self.n_outputs}
        if self.projection is not None:
            info["projection"] = "very-sparse-random (Li et al. 2006), s=sqrt(d)"
            info["projection_seed"] = int(self.reduction.seed)
            info["jl_epsilon"] = round(jl_epsilon(n_stimuli, int(self.projection.shape[0])), 4)
        if self.kind == "pca":
            info["pca_fitting_stimuli"] = self.reduction.fitting_stimuli.identifier
            info["pca_fitting_hash"] = self.reduction.fitting_stimuli.content_hash()
        return info
