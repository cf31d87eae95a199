"""Shared helpers of the neural metrics: input checks, vectorised correlations, aggregation, provenance."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import xarray as xr

from brainmark._version import __version__
from brainmark.data.assembly import (
    NEUROID,
    PRESENTATION,
    REPETITION,
    TIME_BIN,
    align_by_stimulus,
    average_repetitions,
    validate_assembly,
)
from brainmark.data.checksum import data_checksum
from brainmark.errors import AssemblyError, MetricInputError

__all__ = ["MetricInputError", "data_checksum", "mean_and_error", "nanmedian_rows", "pearson_columns",
           "pearson_columns_nan", "prepare_source", "prepare_target", "spearman_brown", "squeeze_time_bin"]


def squeeze_time_bin(assembly: xr.DataArray, name: str) -> xr.DataArray:
    """Drop a single ``time_bin`` dim; several time bins must be selected by the caller."""
    if TIME_BIN in assembly.dims:
        if assembly.sizes[TIME_BIN] != 1:
            raise MetricInputError(
                f"{name} has {assembly.sizes[TIME_BIN]} time bins; select one (assembly.isel(time_bin=i)) "
                "or average them before scoring"
            )
        assembly = assembly.squeeze(TIME_BIN, drop=True)
    return assembly


def prepare_target(target: xr.DataArray) -> xr.DataArray:
    """Validate a target assembly and average its repetitions (NaN-aware), giving presentation x neuroid."""
    try:
        target = validate_assembly(target, allow_nan=True, name="target")
    except AssemblyError as err:
        raise MetricInputError(str(err)) from None
    target = squeeze_time_bin(target, "target")
    averaged = average_repetitions(target).transpose(PRESENTATION, NEUROID)
    values = np.asarray(averaged.values, dtype=float)
    missing = np.isnan(values)
    if missing.any():
        bad = np.unique(np.nonzero(missing)[0])
        ids = averaged["stimulus_id"].values[bad][:5].tolist()
        raise MetricInputError(
            f"target has no valid repetition for {len(bad)} stimuli (e.g. {ids}) in some neuroids; "
            "drop those stimuli or neuroids before scoring"
        )
    return averaged


def prepare_source(source: xr.DataArray, target: xr.DataArray) -> xr.DataArray:
    """Validate model features and reorder them to the target's stimulus order (clear error on missing ids)."""
    if not isinstance(source, xr.DataArray):
        raise MetricInputError(f"source must be an xarray.DataArray (presentation x neuroid), got {type(source).__name__}")
    source = squeeze_time_bin(source, "source")
    if REPETITION in source.dims:
        source = average_repetitions(source)
    try:
        validate_assembly(source, allow_nan=True, name="source")
    except AssemblyError as err:
        raise MetricInputError(str(err)) from None
    try:
        source = align_by_stimulus(source, target).transpose(PRESENTATION, NEUROID)
    except AssemblyError as err:
        raise MetricInputError(str(err)) from None
    values = np.asarray(source.values)
    if values.dtype.kind not in "fiub":
        raise MetricInputError(f"source values must be numeric, got dtype {values.dtype}")
    if not np.isfinite(values).all():
        n_bad = int((~np.isfinite(values)).sum())
        raise MetricInputError(
            f"source contains {n_bad} NaN/inf values; model features must be finite (check the layer's "
            "activations, e.g. for overflow in float16)"
        )
    return source


def pearson_columns(a: np.ndarray, b: np.ndarray, axis: int = 0) -> np.ndarray:
    """Pearson r between matching columns of ``a`` and ``b`` along ``axis`` (vectorised; NaN for constant columns)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a = a - a.mean(axis=axis, keepdims=True)
    b = b - b.mean(axis=axis, keepdims=True)
    num = (a * b).sum(axis=axis)
    den = np.sqrt((a * a).sum(axis=axis) * (b * b).sum(axis=axis))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = num / den
    r = np.where(den > 0, r, np.nan)
    return np.clip(r, -1.0, 1.0)


def pearson_columns_nan(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson r per column over the rows (axis 0) where both ``a`` and ``b`` are finite."""
    valid = np.isfinite(a) & np.isfinite(b)
    n = valid.sum(axis=0)
    a0 = np.where(valid, a, 0.0)
    b0 = np.where(valid, b, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma = a0.sum(axis=0) / n
        mb = b0.sum(axis=0) / n
        da = np.where(valid, a - ma, 0.0)
        db = np.where(valid, b - mb, 0.0)
        den = np.sqrt((da * da).sum(axis=0) * (db * db).sum(axis=0))
        r = (da * db).sum(axis=0) / den
    r = np.where((den > 0) & (n >= 3), r, np.nan)
    return np.clip(r, -1.0, 1.0)


def spearman_brown(r: np.ndarray | float, n: float = 2.0) -> np.ndarray:
    """Spearman-Brown prophecy: reliability of ``n`` times the data from reliability ``r`` of one part."""
    r = np.asarray(r, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return n * r / (1 + (n - 1) * r)


def mean_and_error(values: np.ndarray) -> tuple[float, float]:
    """Mean over finite values and the official error: std (ddof=0, as xarray) / sqrt(count)."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return math.nan, math.nan
    return float(finite.mean()), float(finite.std(ddof=0) / math.sqrt(finite.size))


def nanmedian_rows(values: np.ndarray) -> np.ndarray:
    """Median over the last axis ignoring NaN (NaN where a row is all-NaN), without warnings."""
    values = np.asarray(values, dtype=float)
    out = np.full(values.shape[:-1], np.nan)
    has = np.isfinite(values).any(axis=-1)
    if has.any():
        out[has] = np.nanmedian(values[has], axis=-1)
    return out


def base_meta(metric: str, parameters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The provenance record every neural Score carries."""
    return {"metric": metric, "parameters": parameters, "brainmark_version": __version__, **extra}
