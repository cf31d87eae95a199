"""What happens to each layer's flattened activations: kept whole, embedded exactly, or reduced while streaming.

- ``auto`` (default): keep the full features of every layer when they fit the memory budget (``memory_budget``
  bytes of full-size float32 activations per extraction, default :data:`DEFAULT_MEMORY_BUDGET`; layers are
  admitted smallest first); the layers beyond it get ``gram``. Either way the reported numbers are those of the full
  features (see below), so the budget trades memory for extra forward passes, never for accuracy.
- ``none``: the flattened activations as they are (refused when they exceed the memory budget).
- ``gram``: the exact Gram embedding (:mod:`brainmark.models.gram`): ``n + 1`` coordinates per stimulus whose inner
  products, Euclidean distances and per-stimulus Pearson correlations equal those of the full features, so metrics
  that see features only through them (PLS, ridge, least squares, linear CKA, RSA with correlation, Euclidean or
  cosine distance) give the full-feature numbers. Computed from the exact Gram matrix, accumulated over row blocks
  that fit the memory budget (one forward pass per block, stopped after the layer). Measured against full
  features in ``bench/bench_projection.py``. Lossy random projections were measured there too: even 65,536
  dimensions moved PLS scores by up to 0.005, which is why they are not the default.
- ``random``: a data-independent *very sparse random projection* (Li, Hastie & Church 2006): entries of the
  ``k x d`` matrix are ``+-sqrt(s/k)`` with probability ``1/(2s)`` each and 0 otherwise, ``s = sqrt(d)``.
  Like a dense Gaussian projection it satisfies the Johnson-Lindenstrauss lemma (Li et al. prove the same
  moments up to a vanishing kurtosis term): each squared distance is preserved in expectation with relative
  standard deviation ~ ``sqrt(2/k)`` (k=4096: 2.2 %), and for ``n`` stimuli all pairwise squared distances lie
  within ``1 +- eps`` with positive probability once ``k >= 4 ln(n) / (eps^2/2 - eps^3/3)`` (Dasgupta &
  Gupta 2003; k=4096, n=640 -> eps ~ 0.12; :func:`jl_epsilon`). It needs no data and the matrix has only
  ``k*sqrt(d)`` non-zeros. It is generated deterministically from ``seed`` with NumPy's legacy ``RandomState``
  (a stream NumPy keeps stable across versions and platforms). Cheap and lossy: used for layer *selection*
  (``random:1000``, as the official PCA-1000), not for reported scores by default. Its distortion of the
  (within-batch, centred) inner products is measured on the data and recorded.
- ``pca``: principal components fitted on a *separate* fitting stimulus set (as the 2018 paper did with 1,000
  ImageNet images), after a random projection to at most ``pca_input_dim`` features when a layer is wider.
"""
from __future__ import annotations

import math
import os
import re
import warnings
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import numpy as np
import torch

from brainmark.errors import BrainmarkError

KINDS = ("auto", "none", "gram", "random", "pca")
DEFAULT_COMPONENTS = 4096
PCA_COMPONENTS = 1000
PCA_INPUT_DIM = 8192
#: Full-size float32 activations one extraction may hold (all its layers together, beyond the network's own forward
#: pass), unless configured otherwise (``memory_budget=`` or ``$BRAINMARK_MEMORY_BUDGET``, e.g. ``4GiB``). 512 MiB
#: keeps every layer of up to 210k features whole on 640 images (all candidate layers of AlexNet and ResNet-18),
#: and VGG-16's 13 conv layers under 4 GB: its batch-32 forward pass alone peaks at 2.6 GiB. Layers beyond the
#: budget are embedded exactly, not approximated, so it trades memory for forward passes, never for accuracy.
DEFAULT_MEMORY_BUDGET = 512 * 2**20
BUDGET_ENV = "BRAINMARK_MEMORY_BUDGET"
PROJECTION_CHUNK = 8  # images per sparse product
_GRAM_BLOCK_BYTES = 32 * 2**20  # float64 column block when measuring distortion
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}


class ReductionError(BrainmarkError, ValueError):
    """A reduction is misconfigured (unknown kind, PCA without fitting stimuli, 'none' too large)."""


def parse_bytes(value: "int | float | str") -> int:
    """Bytes from ``2147483648``, ``2e9``, ``"1.5GiB"``, ``"800MB"`` (binary and decimal units)."""
    if isinstance(value, (int, float)):
        number, unit = float(value), ""
    else:
        match = re.fullmatch(r"\s*([0-9.eE+]+)\s*([a-zA-Z]*)\s*", str(value))
        if match is None or match.group(2).lower() not in _UNITS:
            raise ReductionError(f"cannot read a memory size from {value!r}; use e.g. 2GiB, 800MB or 2e9 (bytes)")
        number, unit = float(match.group(1)), match.group(2).lower()
    size = int(number * _UNITS[unit])
    if size < 1:
        raise ReductionError(f"the memory budget must be positive, got {value!r}")
    return size


def default_memory_budget() -> int:
    """``$BRAINMARK_MEMORY_BUDGET`` if set, else :data:`DEFAULT_MEMORY_BUDGET`."""
    setting = os.environ.get(BUDGET_ENV, "").strip()
    return parse_bytes(setting) if setting else DEFAULT_MEMORY_BUDGET


@dataclass(frozen=True)
class Reduction:
    """What to do with each layer's flattened activations. ``fitting_stimuli`` only for ``pca``;
    ``memory_budget`` (bytes, None: the default) bounds the full-size activations an extraction holds."""

    kind: str = "auto"
    n_components: int | None = None
    seed: int = 0
    fitting_stimuli: Any = field(default=None, compare=False)
    memory_budget: int | None = None

    def __post_init__(self) -> None:
        if ":" in self.kind:  # "random:2048" -> kind "random", 2048 components
            kind, _, n = self.kind.partition(":")
            object.__setattr__(self, "kind", kind.strip().lower())
            object.__setattr__(self, "n_components", int(n))
        if self.kind not in KINDS:
            raise ReductionError(f"unknown reduction {self.kind!r}; choose one of {', '.join(KINDS)}")
        if self.n_components is not None and int(self.n_components) < 1:
            raise ReductionError(f"n_components must be >= 1, got {self.n_components}")
        if self.memory_budget is not None:
            object.__setattr__(self, "memory_budget", parse_bytes(self.memory_budget))
        if self.kind == "pca" and self.fitting_stimuli is None:
            raise ReductionError(
                "PCA needs a separate fitting stimulus set: Reduction('pca', fitting_stimuli=<StimulusSet>)"
            )

    @classmethod
    def parse(cls, spec: "str | Reduction | None", seed: int = 0, fitting_stimuli: Any = None,
              memory_budget: "int | str | None" = None) -> "Reduction":
        """Accept a Reduction, None (auto), or strings like ``auto``, ``none``, ``gram``, ``random:2048``, ``pca:1000``."""
        if isinstance(spec, Reduction):
            return spec if memory_budget is None else replace(spec, memory_budget=parse_bytes(memory_budget))
        if spec is None:
            return cls("auto", seed=seed, memory_budget=memory_budget)
        kind, _, n = str(spec).partition(":")
        return cls(kind.strip().lower(), int(n) if n else None, seed=seed, fitting_stimuli=fitting_stimuli,
                   memory_budget=memory_budget)

    def budget(self) -> int:
        """The memory budget in bytes (the configured default when none was given)."""
        return int(self.memory_budget) if self.memory_budget is not None else default_memory_budget()

    def components(self) -> int:
        """The number of output components (the kind's default when ``n_components`` is None)."""
        default = PCA_COMPONENTS if self.kind == "pca" else DEFAULT_COMPONENTS
        return int(self.n_components or default)

    def key(self) -> dict[str, Any]:
        """The cache-key part: what determines the numbers (``auto`` must be resolved per layer first)."""
        if self.kind == "auto":
            raise ReductionError("resolve 'auto' per layer (plan_reductions) before keying the cache")
        if self.kind in ("none", "gram"):  # deterministic and seed-free; the budget changes only how it is computed
            return {"kind": self.kind}
        key: dict[str, Any] = {"kind": self.kind, "n_components": self.components(), "seed": int(self.seed)}
        if self.kind == "pca":
            key["pca_input_dim"] = PCA_INPUT_DIM
            key["fitting_stimuli"] = self.fitting_stimuli.content_hash()
        return key


def full_bytes(n_stimuli: int, n_features: int) -> int:
    """Bytes of a layer's full float32 activations for ``n_stimuli``."""
    return int(n_stimuli) * int(n_features) * 4


def gram_feasible(n_stimuli: int, n_features: int, budget: int) -> bool:
    """Whether the exact Gram embedding is smaller than the features and its n x n work fits the budget."""
    return n_stimuli < n_features and 4 * n_stimuli * n_stimuli * 8 <= budget


def plan_reductions(reduction: Reduction, widths: Mapping[str, int], n_stimuli: int) -> dict[str, Reduction]:
    """The reduction of every layer of one extraction: ``auto`` resolved (full layers admitted smallest first while
    they fit the budget, the rest embedded exactly, or projected where even that cannot fit); ``none`` checked
    against the budget; other kinds unchanged."""
    budget = reduction.budget()
    if reduction.kind == "none":
        total = sum(full_bytes(n_stimuli, d) for d in widths.values())
        if total > budget:
            raise ReductionError(
                f"reduction 'none' would hold {n_stimuli} stimuli x {sum(widths.values())} features as float32 "
                f"({total / 2**30:.2f} GiB) in a memory budget of {budget / 2**30:.2f} GiB; use reduction='auto' "
                "(exact embedding beyond the budget) or raise memory_budget"
            )
    if reduction.kind != "auto":
        return {layer: reduction for layer in widths}
    plan: dict[str, Reduction] = {}
    held = 0
    for layer in sorted(widths, key=lambda name: widths[name]):  # sorted() is stable: ties keep request order
        size = full_bytes(n_stimuli, widths[layer])
        if held + size <= budget:
            held += size
            plan[layer] = replace(reduction, kind="none")
        elif gram_feasible(n_stimuli, widths[layer], budget):
            plan[layer] = replace(reduction, kind="gram")
        else:
            warnings.warn(f"layer {layer!r}: {n_stimuli} stimuli are too many for the exact embedding within "
                          f"{budget / 2**30:.2f} GiB; falling back to a lossy random projection", stacklevel=2)
            plan[layer] = replace(reduction, kind="random")
    return {layer: plan[layer] for layer in widths}


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
    """The streaming reduction of one layer (``none``, ``random`` or ``pca``). ``__call__``: (B, d) -> (B, k).

    ``measure(batch, reduced)`` accumulates how much the reduction distorts the inner products of each batch's
    centred rows (exact float64 products vs those of the reduced rows), reported by :meth:`describe`.
    """

    def __init__(self, n_features: int, reduction: Reduction, n_stimuli: int, device: torch.device) -> None:
        if reduction.kind not in ("none", "random", "pca"):
            raise ReductionError(f"{reduction.kind!r} is not a streaming reduction (plan_reductions resolves 'auto')")
        self.n_features = int(n_features)
        self.reduction = reduction
        self.device = device
        self.projection: torch.Tensor | None = None
        self.pca_mean: torch.Tensor | None = None
        self.pca_components: torch.Tensor | None = None
        self._error = self._norm = 0.0
        kind, k = reduction.kind, reduction.components()
        if kind == "random" and self.n_features <= k:
            kind = "none"  # projecting to more dimensions than there are features would only add noise
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

    def measure(self, batch: torch.Tensor, reduced: torch.Tensor) -> None:
        """Add one batch's distortion of centred inner products (no-op for ``none``, which is exact)."""
        if self.kind == "none" or batch.shape[0] < 2:
            return
        exact = _centred_gram(batch)
        approx = _centred_gram(reduced)
        self._error += float(((approx - exact) ** 2).sum())
        self._norm += float((exact**2).sum())

    def describe(self, n_stimuli: int) -> dict[str, Any]:
        """Provenance of this layer's reduction: kind, sizes, seed and its measured distortion."""
        info: dict[str, Any] = {"reduction": self.kind, "n_features": self.n_features, "n_outputs": self.n_outputs,
                                "memory_budget_bytes": self.reduction.budget(),
                                "full_bytes": full_bytes(n_stimuli, self.n_features)}
        if self.kind == "none":
            info["distortion"] = 0.0
        else:
            info["distortion"] = round(math.sqrt(self._error / self._norm), 6) if self._norm else None
            info["distortion_measure"] = ("relative Frobenius error of the inner products of centred rows within "
                                          "each batch (reduced vs exact float64)")
        if self.projection is not None:
            info["projection"] = "very-sparse-random (Li et al. 2006), s=sqrt(d)"
            info["projection_seed"] = int(self.reduction.seed)
            info["jl_epsilon"] = round(jl_epsilon(n_stimuli, int(self.projection.shape[0])), 4)
        if self.kind == "pca":
            info["pca_fitting_stimuli"] = self.reduction.fitting_stimuli.identifier
            info["pca_fitting_hash"] = self.reduction.fitting_stimuli.content_hash()
        return info


def _centred_gram(rows: torch.Tensor) -> torch.Tensor:
    """Inner products (float64) of the rows after subtracting their mean row, a block of columns at a time."""
    width = max(1, _GRAM_BLOCK_BYTES // (8 * rows.shape[0]))
    out = torch.zeros((rows.shape[0], rows.shape[0]), dtype=torch.float64, device=rows.device)
    for block in rows.split(width, dim=1):
        centred = block.double()
        centred -= centred.mean(dim=0, keepdim=True)
        out += centred @ centred.T
    return out
