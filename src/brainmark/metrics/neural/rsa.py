"""Representational similarity analysis: model RDMs, RDM comparators, RSA scores and RDM noise ceilings.

Matrices are DataArrays whose last two dims are ``stimulus_row`` and ``stimulus_col`` (index coords = stimulus ids),
with attrs ``kind`` ("dissimilarity" | "similarity") and ``symmetric``. Comparisons use the off-diagonal entries:
the upper triangle of symmetric matrices, all off-diagonal entries of non-symmetric ones (e.g. Coggan2024's
split-half similarity matrices). A model RDM is compared with a similarity target through its negation, which
leaves Pearson, Spearman and Kendall values exact (each is invariant to a positive affine map, negation flips sign).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import scipy.stats
import xarray as xr

from brainmark.data.assembly import NEUROID, PRESENTATION
from brainmark.metrics.base import Computed, Estimator, require_choice
from brainmark.metrics.neural._common import (
    MetricInputError,
    base_meta,
    data_checksum,
    mean_and_error,
    prepare_target,
    squeeze_time_bin,
)
from brainmark.scores import Score, per_unit

ROW, COL = "stimulus_row", "stimulus_col"
DISTANCES = ("correlation", "euclidean", "cosine")
COMPARATORS = ("pearson", "spearman", "kendall_tau_a")
_AVERAGED_DIMS = ("session",)


def rdm(assembly: xr.DataArray, distance: str = "correlation") -> xr.DataArray:
    """The ``stimulus_row x stimulus_col`` dissimilarity matrix of a ``presentation x neuroid`` assembly.

    ``distance``: ``correlation`` (1 - Pearson r between stimulus patterns), ``euclidean`` or ``cosine``.
    Repetitions are averaged first.
    """
    if distance not in DISTANCES:
        raise MetricInputError(f"unknown RDM distance {distance!r}; choose one of {', '.join(DISTANCES)}")
    assembly = prepare_target(squeeze_time_bin(assembly, "assembly")).transpose(PRESENTATION, NEUROID)
    X = np.asarray(assembly.values, dtype=float)
    if distance == "euclidean":
        sq = (X * X).sum(axis=1)
        D = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * X @ X.T, 0.0))
    else:
        Z = X - X.mean(axis=1, keepdims=True) if distance == "correlation" else X
        norms = np.linalg.norm(Z, axis=1)
        if (norms == 0).any():
            bad = np.asarray(assembly["stimulus_id"].values)[norms == 0][:5].tolist()
            raise MetricInputError(
                f"{distance} distance is undefined for stimuli with a constant (or zero) response pattern, e.g. {bad}; "
                "use distance='euclidean'"
            )
        Z = Z / norms[:, None]
        D = 1.0 - np.clip(Z @ Z.T, -1.0, 1.0)
    np.fill_diagonal(D, 0.0)
    ids = [str(s) for s in assembly["stimulus_id"].values]
    return xr.DataArray(D, dims=(ROW, COL), coords={ROW: ids, COL: ids},
                        attrs={"kind": "dissimilarity", "symmetric": True, "distance": distance})


def _offdiag_index(n: int, symmetric: bool) -> tuple[np.ndarray, np.ndarray]:
    if symmetric:
        return np.triu_indices(n, k=1)
    rows, cols = np.nonzero(~np.eye(n, dtype=bool))
    return rows, cols


def kendall_tau_a(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's tau-a: (concordant - discordant) / (n (n - 1) / 2), in O(n log n) via scipy's tau-b.

    tau-b divides the same numerator by sqrt((n0 - ties_x)(n0 - ties_y)); rescaling by that over n0 gives tau-a.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = x.size
    n0 = n * (n - 1) / 2.0
    if n < 2:
        return float("nan")

    def ties(v: np.ndarray) -> float:
        _, counts = np.unique(v, return_counts=True)
        return float((counts * (counts - 1) / 2.0).sum())

    tx, ty = ties(x), ties(y)
    if tx == n0 or ty == n0:
        return float("nan")
    tau_b = scipy.stats.kendalltau(x, y, variant="b").statistic
    return float(tau_b * np.sqrt((n0 - tx) * (n0 - ty)) / n0)


def compare(a: np.ndarray, b: np.ndarray, comparator: str = "spearman") -> float:
    """Compare two vectors of matrix entries with ``pearson``, ``spearman`` or ``kendall_tau_a``."""
    if comparator == "pearson":
        return float(scipy.stats.pearsonr(a, b).statistic) if np.ptp(a) > 0 and np.ptp(b) > 0 else float("nan")
    if comparator == "spearman":
        return float(scipy.stats.spearmanr(a, b).statistic) if np.ptp(a) > 0 and np.ptp(b) > 0 else float("nan")
    if comparator == "kendall_tau_a":
        return kendall_tau_a(a, b)
    raise MetricInputError(f"unknown comparator {comparator!r}; choose one of {', '.join(COMPARATORS)}")


def _check_matrix(target: xr.DataArray) -> xr.DataArray:
    if not isinstance(target, xr.DataArray) or target.dims[-2:] != (ROW, COL):
        dims = getattr(target, "dims", None)
        raise MetricInputError(f"a representational matrix needs last dims ('{ROW}', '{COL}'), got {dims}")
    rows = [str(s) for s in target[ROW].values]
    cols = [str(s) for s in target[COL].values]
    if rows != cols:
        if sorted(rows) != sorted(cols):
            raise MetricInputError("the matrix's stimulus_row and stimulus_col ids differ; they must be the same stimuli")
        target = target.sel({COL: target[ROW].values})
    if target.attrs.get("kind", "dissimilarity") not in ("dissimilarity", "similarity"):
        raise MetricInputError(f"matrix attr 'kind' must be 'dissimilarity' or 'similarity', got {target.attrs['kind']!r}")
    return target


def subject_matrices(target: xr.DataArray) -> tuple[np.ndarray, list[str], dict[str, Any]]:
    """``(matrices[subject, n, n], subject labels, record)``: sessions averaged, other leading dims refused."""
    target = _check_matrix(target)
    record: dict[str, Any] = {}
    for dim in _AVERAGED_DIMS:
        if dim in target.dims:
            target = target.mean(dim, skipna=True, keep_attrs=True)
            record["averaged_dims"] = record.get("averaged_dims", []) + [dim]
    extra = [d for d in target.dims[:-2] if d != "subject"]
    if extra:
        raise MetricInputError(
            f"matrix has leading dims {extra}; select one entry of each (e.g. target.sel(region='IT')) before scoring"
        )
    if "subject" in target.dims:
        target = target.transpose("subject", ROW, COL)
        labels = [str(s) for s in target["subject"].values] if "subject" in target.coords else [str(i) for i in range(target.sizes["subject"])]
        return np.asarray(target.values, dtype=float), labels, record
    return np.asarray(target.values, dtype=float)[None], ["all"], record


def _vectors(mats: np.ndarray, symmetric: bool, comparator: str) -> np.ndarray:
    rows, cols = _offdiag_index(mats.shape[-1], symmetric)
    vecs = mats[:, rows, cols]
    if not np.isfinite(vecs).all():
        raise MetricInputError("matrix has NaN/inf off-diagonal entries; remove those stimuli first")
    return vecs


class RSA(Estimator):
    """``metric(source, target_matrix) -> Score``: model RDM vs each subject's matrix; mean over subjects."""

    def __init__(self, distance: str = "correlation", comparator: str = "spearman") -> None:
        self.distance = distance
        self.comparator = comparator

    def check_params(self) -> None:
        """``distance`` and ``comparator`` must be known."""
        require_choice(self, "distance", DISTANCES)
        require_choice(self, "comparator", COMPARATORS)

    def __call__(self, source: xr.DataArray, target: xr.DataArray) -> Score:
        """Compare the model's RDM of ``source`` with each subject's matrix in ``target``."""
        return self.compute(source, target).score

    def compute(self, source: xr.DataArray, target: xr.DataArray) -> Computed:
        """The RSA Score and its resampler (stimuli and subjects)."""
        from brainmark.metrics.neural.rsa_resampling import RSAResampler

        target = _check_matrix(target)
        ids = [str(s) for s in target[ROW].values]
        if not isinstance(source, xr.DataArray) or "stimulus_id" not in source.coords:
            raise MetricInputError("source must be a presentation x neuroid DataArray with a stimulus_id coordinate")
        index = {str(s): i for i, s in enumerate(source["stimulus_id"].values)}
        missing = [s for s in ids if s not in index]
        if missing:
            raise MetricInputError(
                f"{len(missing)} of {len(ids)} matrix stimulus ids are missing from source (e.g. {missing[:5]}); "
                "present the same stimulus set to the model"
            )
        source = source.isel({PRESENTATION: [index[s] for s in ids]})
        if not np.isfinite(np.asarray(source.values, dtype=float)).all():
            raise MetricInputError("source contains NaN/inf values; model features must be finite")
        model = rdm(source, self.distance).values
        mats, subjects, record = subject_matrices(target)
        symmetric = bool(target.attrs.get("symmetric", True))
        similarity = target.attrs.get("kind", "dissimilarity") == "similarity"
        model_vec = _vectors((-model if similarity else model)[None], symmetric, self.comparator)[0]
        subject_vecs = _vectors(mats, symmetric, self.comparator)
        per_subject = np.array([compare(model_vec, v, self.comparator) for v in subject_vecs])
        raw, error = mean_and_error(per_subject)
        meta = base_meta(
            "rsa",
            self.params_record(),
            seeds={},
            n_stimuli=len(ids),
            n_subjects=len(subjects),
            entries="upper triangle" if symmetric else "all off-diagonal entries",
            target_kind="similarity" if similarity else "dissimilarity",
            aggregation="comparator per subject; mean over subjects",
            error="std over subjects (ddof=0) / sqrt(n_subjects)" if len(subjects) > 1 else "none (one matrix)",
            data_checksum=data_checksum(target),
            **record,
        )
        score = Score(raw=raw, error=error if len(subjects) > 1 else float("nan"),
                      values={"subject": per_unit(per_subject, "subject", subjects)}, meta=meta)
        rows, cols = _offdiag_index(len(ids), symmetric)
        return Computed(score, RSAResampler(model_vec, subject_vecs, self.comparator, rows, cols, ids, subjects))


class RDMNoiseCeiling(Estimator):
    """``ceiling(per-subject matrices) -> Score``: lower bound (raw) and upper bound of the RDM noise ceiling.

    Lower bound: each subject vs the mean of the others; upper bound: each subject vs the mean of all (both averaged
    over subjects). For ``spearman`` the matrices are rank-transformed before averaging (as rsatoolbox does).
    """

    def __init__(self, comparator: str = "spearman") -> None:
        self.comparator = comparator

    def check_params(self) -> None:
        """``comparator`` must be known."""
        require_choice(self, "comparator", COMPARATORS)

    def __call__(self, target: xr.DataArray) -> Score:
        """Lower (raw) and upper bounds of the noise ceiling of per-subject matrices."""
        return self.compute(target).score

    def compute(self, target: xr.DataArray) -> Computed:
        """The noise ceiling's Score and the resampler of its lower bound (stimuli and subjects)."""
        from brainmark.metrics.neural.rsa_resampling import RDMCeilingResampler

        target = _check_matrix(target)
        mats, subjects, record = subject_matrices(target)
        if len(subjects) < 2:
            raise MetricInputError("an RDM noise ceiling needs per-subject matrices (a 'subject' dim with >= 2 subjects)")
        symmetric = bool(target.attrs.get("symmetric", True))
        raw_vecs = vecs = _vectors(mats, symmetric, self.comparator)
        if self.comparator == "spearman":
            vecs = np.apply_along_axis(scipy.stats.rankdata, 1, vecs)
        total = vecs.sum(axis=0)
        n = len(subjects)
        lower = np.array([compare(vecs[s], (total - vecs[s]) / (n - 1), self.comparator) for s in range(n)])
        upper = np.array([compare(vecs[s], total / n, self.comparator) for s in range(n)])
        raw, error = mean_and_error(lower)
        meta = base_meta(
            "rdm_noise_ceiling",
            self.params_record(),
            seeds={},
            lower=raw,
            upper=float(np.nanmean(upper)),
            n_subjects=n,
            n_stimuli=mats.shape[-1],
            entries="upper triangle" if symmetric else "all off-diagonal entries",
            aggregation="raw = lower bound (each subject vs mean of the others), mean over subjects",
            data_checksum=data_checksum(target),
            **record,
        )
        score = Score(raw=raw, error=error, values={"subject": per_unit(lower, "subject", subjects),
                                                    "upper": per_unit(upper, "subject", subjects)}, meta=meta)
        rows, cols = _offdiag_index(mats.shape[-1], symmetric)
        ids = [str(v) for v in target[ROW].values]
        return Computed(score, RDMCeilingResampler(raw_vecs, self.comparator, rows, cols, ids, subjects))
