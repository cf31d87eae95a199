"""Readers for the official Brain-Score (BrainIO) file format, converted to brainmark's conventions.

- Assemblies: a netCDF file holding one xarray DataArray (variable ``data`` in compressed files, else the only
  variable) whose MultiIndex coordinates were reset to plain coordinates; older files call ``stimulus_id``
  ``image_id``. Neural assemblies are flat (one ``presentation`` row per repetition, dims ``neuroid x
  presentation x time_bin``); :func:`to_neural_assembly` turns them into ``presentation x neuroid x repetition``
  (NaN-padded) with a single time bin squeezed out and recorded in ``attrs``.
- Stimulus sets: a CSV (``stimulus_id``, ``filename`` and metadata columns) plus a zip of the images.

Files are verified (SHA-1, as the official loader does) by the store before they reach these readers.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from brainmark.data.assembly import PRESENTATION, REPETITION, TIME_BIN, validate_assembly
from brainmark.data.stimuli import StimulusSet, StimulusSetError
from brainmark.errors import AssemblyError

OFFICIAL_BUCKET_URL = "https://brainscore-storage.s3.amazonaws.com/brainio-brainscore/"


def official_url(file_name: str) -> str:
    """Public URL of an official Brain-Score file, e.g. ``assy_dicarlo_MajajHong2015_public.nc``."""
    return OFFICIAL_BUCKET_URL + file_name


def read_netcdf_assembly(path: str | Path) -> xr.DataArray:
    """Read an official netCDF assembly into memory; rename legacy ``image_id`` to ``stimulus_id``."""
    path = Path(path)
    try:
        dataset = xr.open_dataset(path)
    except (OSError, ValueError) as exc:
        raise AssemblyError(f"{path.name} is not a readable netCDF assembly ({exc})") from None
    with dataset:
        names = list(dataset.data_vars)
        if "data" in names:
            name = "data"
        elif len(names) == 1:
            name = names[0]
        else:
            raise AssemblyError(f"{path.name} holds {len(names)} variables {names}; expected one DataArray")
        assembly = dataset[name].load()
    assembly.name = None
    # leftovers of reset indexes (``presentation_``) carry no information
    assembly = assembly.drop_vars([c for c in assembly.coords if c.rstrip("_") in assembly.dims and c not in assembly.dims])
    if PRESENTATION in assembly.dims and "stimulus_id" not in assembly.coords and "image_id" in assembly.coords:
        assembly = assembly.rename({"image_id": "stimulus_id"})
    return assembly


def to_neural_assembly(assembly: xr.DataArray, *, squeeze_time_bin: bool = True) -> xr.DataArray:
    """Official flat neural assembly -> validated ``presentation x neuroid [x repetition] [x time_bin]``."""
    if "stimulus_id" not in assembly.coords:
        raise AssemblyError("the assembly has neither 'stimulus_id' nor legacy 'image_id' on 'presentation'")
    assembly = assembly.astype(float)
    if squeeze_time_bin and TIME_BIN in assembly.dims and assembly.sizes[TIME_BIN] == 1:
        for coord in ("time_bin_start", "time_bin_end"):
            if coord in assembly.coords:
                assembly.attrs[coord] = int(np.asarray(assembly[coord].values).ravel()[0])
        assembly = assembly.squeeze(TIME_BIN, drop=True)
    order = [d for d in (PRESENTATION, "neuroid", TIME_BIN) if d in assembly.dims]
    assembly = assembly.transpose(*order)
    sid = np.asarray(assembly["stimulus_id"].values).astype(str)
    if len(np.unique(sid)) == len(sid):
        return validate_assembly(assembly.assign_coords(stimulus_id=(PRESENTATION, sid)), allow_nan=True)
    return validate_assembly(_stack_repetitions(assembly, sid), allow_nan=True)


def _stack_repetitions(assembly: xr.DataArray, sid: np.ndarray) -> xr.DataArray:
    """Rows that repeat a stimulus become entries of a NaN-padded ``repetition`` dim (in repetition order)."""
    rows = np.arange(len(sid))
    if REPETITION in assembly.coords and assembly[REPETITION].dims == (PRESENTATION,):
        rows = np.argsort(np.asarray(assembly[REPETITION].values), kind="stable")  # repetition order
    uniques, first, inverse = np.unique(sid, return_index=True, return_inverse=True)
    rank = np.empty(len(uniques), dtype=int)
    rank[np.argsort(first)] = np.arange(len(uniques))  # stimuli in first-occurrence order
    stimulus_index = rank[inverse]
    repetition_index = np.empty(len(sid), dtype=int)
    seen: dict[int, int] = {}
    for row in rows:
        s = stimulus_index[row]
        repetition_index[row] = seen.get(s, 0)
        seen[s] = repetition_index[row] + 1
    n_rep = int(repetition_index.max()) + 1
    data = np.moveaxis(assembly.values, 0, -1)  # neuroid [x time_bin] x presentation
    values = np.full(data.shape[:-1] + (len(uniques), n_rep), np.nan)
    values[..., stimulus_index, repetition_index] = data
    values = np.moveaxis(values, -2, 0)  # presentation x neuroid [x time_bin] x repetition
    keep_rows = first[np.argsort(first)]
    coords: dict[str, Any] = {}
    for name, coord in assembly.coords.items():
        if coord.dims == (PRESENTATION,):
            column = np.asarray(coord.values)
            if _constant_within(column, stimulus_index):
                coords[name] = (PRESENTATION, column[keep_rows] if name != "stimulus_id" else sid[keep_rows])
        elif PRESENTATION not in coord.dims:
            coords[name] = (coord.dims, coord.values)
    coords[REPETITION] = (REPETITION, np.arange(n_rep))
    dims = (PRESENTATION, *[d for d in assembly.dims if d != PRESENTATION], REPETITION)
    return xr.DataArray(values, dims=dims, coords=coords, attrs=dict(assembly.attrs))


def _constant_within(values: np.ndarray, groups: np.ndarray) -> bool:
    first: dict[int, Any] = {}
    for g, v in zip(groups.tolist(), values.tolist()):
        if first.setdefault(g, v) != v:
            return False
    return True


def to_trials(assembly: xr.DataArray, *, rename: dict[str, str] | None = None) -> xr.DataArray:
    """Official behavioural assembly -> one ``presentation`` per trial, values = the chosen response."""
    extra = [d for d in assembly.dims if d != PRESENTATION]
    for dim in extra:
        if assembly.sizes[dim] != 1:
            raise AssemblyError(f"behavioural assembly has dim {dim!r} of size {assembly.sizes[dim]}; expected one value per trial")
        assembly = assembly.squeeze(dim, drop=True)
    renames = {k: v for k, v in (rename or {}).items() if k in assembly.coords and v not in assembly.coords}
    assembly = assembly.rename(renames)
    if "stimulus_id" not in assembly.coords:
        raise AssemblyError("behavioural assembly has no 'stimulus_id' (or legacy 'image_id') coordinate")
    return assembly.assign_coords(stimulus_id=(PRESENTATION, np.asarray(assembly["stimulus_id"].values).astype(str)))


def read_stimulus_set(
    identifier: str, csv_path: str | Path, images_folder: str | Path, *, degrees: float | None = None
) -> StimulusSet:
    """An official stimulus set: CSV rows (``stimulus_id``, ``filename``, metadata) joined to extracted images."""
    table = pd.read_csv(csv_path)
    if "stimulus_id" not in table.columns and "image_id" in table.columns:
        table = table.rename(columns={"image_id": "stimulus_id"})
    for column in ("stimulus_id", "filename"):
        if column not in table.columns:
            raise StimulusSetError(f"{Path(csv_path).name} has no {column!r} column; columns: {list(table.columns)}")
    folder = Path(images_folder).resolve()
    paths = [(folder / str(name)).resolve() for name in table["filename"]]
    outside = [str(n) for n, p in zip(table["filename"], paths) if folder not in p.parents]
    if outside:
        raise StimulusSetError(f"{Path(csv_path).name}: file names point outside the image folder: {outside[:5]}")
    missing = [str(n) for n, p in zip(table["filename"], paths) if not p.is_file()]
    if missing:
        raise StimulusSetError(
            f"{len(missing)} images listed in {Path(csv_path).name} are not in the archive, e.g. {missing[:5]}"
        )
    table = table.assign(image_path=[str(p) for p in paths])
    return StimulusSet(identifier, table, degrees=degrees)


def merge_stimulus_metadata(assembly: xr.DataArray, stimulus_set: StimulusSet, columns: list[str]) -> xr.DataArray:
    """Add stimulus-set columns missing from the assembly as ``presentation`` coords (as the official loader does)."""
    missing = [c for c in columns if c not in assembly.coords and c in stimulus_set.table.columns]
    if not missing:
        return assembly
    table = stimulus_set.table.set_index("stimulus_id")
    sid = [str(s) for s in assembly["stimulus_id"].values]
    absent = [s for s in sid if s not in table.index]
    if absent:
        raise AssemblyError(f"{len(absent)} assembly stimulus ids are not in stimulus set {stimulus_set.identifier!r}: {absent[:5]}")
    return assembly.assign_coords({c: (PRESENTATION, table.loc[sid, c].to_numpy()) for c in missing})
