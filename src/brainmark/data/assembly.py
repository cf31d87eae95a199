"""Assemblies: ``xarray.DataArray`` with dims ``presentation`` x ``neuroid`` (+ ``repetition`` | ``time_bin``).

Conventions (Brain-Score's): ``stimulus_id`` on ``presentation``; ``neuroid_id`` and ``region`` on ``neuroid``;
any further metadata as extra coordinates. No subclasses: plain DataArrays plus the helpers here.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np
import xarray as xr

from brainmark.errors import AlignmentError, AssemblyError

PRESENTATION, NEUROID, REPETITION, TIME_BIN = "presentation", "neuroid", "repetition", "time_bin"
OPTIONAL_DIMS = (REPETITION, TIME_BIN)


def make_assembly(
    values: np.ndarray,
    stimulus_id: Sequence[Any],
    neuroid_id: Sequence[Any] | None = None,
    region: str | Sequence[str] | None = None,
    *,
    extra_dims: Sequence[str] = (),
    presentation_coords: dict[str, Sequence[Any]] | None = None,
    neuroid_coords: dict[str, Sequence[Any]] | None = None,
    attrs: dict[str, Any] | None = None,
) -> xr.DataArray:
    """Build a validated ``presentation x neuroid [x extra_dims]`` assembly from plain arrays."""
    values = np.asarray(values)
    if values.ndim != 2 + len(extra_dims):
        raise AssemblyError(
            f"values have {values.ndim} dims but presentation x neuroid{' x ' if extra_dims else ''}"
            f"{' x '.join(extra_dims)} needs {2 + len(extra_dims)}"
        )
    n_pres, n_neur = values.shape[:2]
    if neuroid_id is None:
        neuroid_id = [str(i) for i in range(n_neur)]
    coords: dict[str, Any] = {
        "stimulus_id": (PRESENTATION, [str(s) for s in stimulus_id]),
        "neuroid_id": (NEUROID, [str(n) for n in neuroid_id]),
    }
    if region is not None:
        coords["region"] = (NEUROID, [region] * n_neur if isinstance(region, str) else list(region))
    for name, vals in (presentation_coords or {}).items():
        coords[name] = (PRESENTATION, list(vals))
    for name, vals in (neuroid_coords or {}).items():
        coords[name] = (NEUROID, list(vals))
    for dim, size in zip(extra_dims, values.shape[2:]):
        coords.setdefault(dim, (dim, np.arange(size)))
    da = xr.DataArray(values, dims=(PRESENTATION, NEUROID, *extra_dims), coords=coords, attrs=attrs or {})
    return validate_assembly(da, allow_nan=True)


def validate_assembly(
    assembly: xr.DataArray,
    *,
    allow_nan: bool = False,
    require_region: bool = False,
    name: str = "assembly",
) -> xr.DataArray:
    """Check the conventions; return the assembly unchanged or raise :class:`AssemblyError` naming the problem."""
    if not isinstance(assembly, xr.DataArray):
        raise AssemblyError(f"{name} must be an xarray.DataArray, got {type(assembly).__name__}")
    dims = assembly.dims
    for dim in (PRESENTATION, NEUROID):
        if dim not in dims:
            raise AssemblyError(f"{name} has dims {dims}; it needs a {dim!r} dim (presentation x neuroid)")
    unknown = [d for d in dims if d not in (PRESENTATION, NEUROID, *OPTIONAL_DIMS)]
    if unknown:
        raise AssemblyError(
            f"{name} has unexpected dims {unknown}; allowed are presentation, neuroid, repetition, time_bin"
        )
    if "stimulus_id" not in assembly.coords or assembly["stimulus_id"].dims != (PRESENTATION,):
        hint = " (legacy files call it image_id: load them with brainmark.data.brainio)" if "image_id" in assembly.coords else ""
        raise AssemblyError(f"{name} is missing the 'stimulus_id' coordinate on 'presentation'{hint}")
    if "neuroid_id" not in assembly.coords or assembly["neuroid_id"].dims != (NEUROID,):
        raise AssemblyError(f"{name} is missing the 'neuroid_id' coordinate on 'neuroid'")
    if require_region and "region" not in assembly.coords:
        raise AssemblyError(f"{name} is missing the 'region' coordinate on 'neuroid'")
    neuroid_ids = assembly["neuroid_id"].values
    if len(set(neuroid_ids.tolist())) != len(neuroid_ids):
        raise AssemblyError(f"{name} has duplicated neuroid_id values; each neuroid needs a unique id")
    if REPETITION not in dims and TIME_BIN not in dims:
        sid = assembly["stimulus_id"].values
        if len(set(sid.tolist())) != len(sid):
            dup = _first_duplicates(sid)
            raise AssemblyError(
                f"{name} has duplicated stimulus_id values (e.g. {dup}); average repetitions first "
                "(brainmark.data.average_repetitions) or give them a 'repetition' dim"
            )
    values = assembly.values
    if values.dtype.kind in "fc":
        if np.isinf(values).any():
            raise AssemblyError(f"{name} contains inf values; remove or clip them before scoring")
        if not allow_nan and np.isnan(values).any():
            raise AssemblyError(
                f"{name} contains NaN values ({int(np.isnan(values).sum())} of {values.size}); "
                "NaN is only allowed for missing repetitions"
            )
    elif values.dtype.kind not in "iub":
        raise AssemblyError(f"{name} values must be numeric, got dtype {values.dtype}")
    return assembly


def _first_duplicates(ids: Iterable[Any], n: int = 3) -> list[Any]:
    seen, dup = set(), []
    for i in ids:
        if i in seen and i not in dup:
            dup.append(i)
            if len(dup) == n:
                break
        seen.add(i)
    return dup


def average_repetitions(assembly: xr.DataArray) -> xr.DataArray:
    """Average over repetitions, NaN-aware (missing repeats padded with NaN are ignored).

    Handles both layouts: a ``repetition`` dim, or repeated ``stimulus_id`` along ``presentation`` (the official
    flat layout). The result keeps the first occurrence's order of stimuli and their presentation coords.
    """
    if REPETITION in assembly.dims:
        with np.errstate(invalid="ignore"):
            values = assembly.values
            counts = np.sum(~np.isnan(values), axis=assembly.get_axis_num(REPETITION)) if values.dtype.kind == "f" else None
        out = assembly.mean(REPETITION, skipna=True, keep_attrs=True)
        if counts is not None and (counts == 0).any():
            out = out.where(counts > 0)
        drop = [c for c in out.coords if REPETITION in out[c].dims]
        return out.drop_vars(drop)
    sid = assembly["stimulus_id"].values
    uniques, first_index, inverse = np.unique(sid, return_index=True, return_inverse=True)
    if len(uniques) == len(sid):
        return assembly
    order = np.argsort(first_index)  # keep first-occurrence order
    axis = assembly.get_axis_num(PRESENTATION)
    values = np.moveaxis(np.asarray(assembly.values, dtype=float), axis, 0)
    sums = np.zeros((len(uniques),) + values.shape[1:])
    counts = np.zeros((len(uniques),) + values.shape[1:])
    finite = ~np.isnan(values)
    np.add.at(sums, inverse, np.where(finite, values, 0.0))
    np.add.at(counts, inverse, finite)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)[order]
    means = np.moveaxis(means, 0, axis)
    template = assembly.isel({PRESENTATION: first_index[order]})
    keep = [
        c for c in template.coords
        if template[c].dims != (PRESENTATION,) or c == "stimulus_id" or _constant_within(assembly[c].values, inverse)
    ]
    template = template.drop_vars([c for c in template.coords if c not in keep])
    return template.copy(data=means)


def _constant_within(values: np.ndarray, groups: np.ndarray) -> bool:
    """True if a presentation coordinate takes one value per stimulus (so it survives averaging)."""
    first = {}
    for g, v in zip(groups.tolist(), values.tolist()):
        if first.setdefault(g, v) != v:
            return False
    return True


def align_by_stimulus(
    source: xr.DataArray, target: xr.DataArray, *, source_name: str = "source", target_name: str = "target"
) -> xr.DataArray:
    """Reorder ``source`` presentations to match ``target``'s stimulus ids; error naming any missing ids."""
    s_ids = [str(s) for s in source["stimulus_id"].values]
    t_ids = [str(t) for t in target["stimulus_id"].values]
    index = {sid: i for i, sid in enumerate(s_ids)}
    if len(index) != len(s_ids):
        raise AlignmentError(f"{source_name} has duplicated stimulus_id values (e.g. {_first_duplicates(s_ids)})")
    missing = [t for t in t_ids if t not in index]
    if missing:
        raise AlignmentError(
            f"{len(missing)} of {len(t_ids)} {target_name} stimulus ids are missing from {source_name} "
            f"(e.g. {missing[:5]}); present the same stimulus set to both"
        )
    return source.isel({PRESENTATION: [index[t] for t in t_ids]})
