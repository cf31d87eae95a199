"""Data helpers shared by the benchmarks: loading with provenance, region selection, presentation degrees."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import xarray as xr

from brainmark.data.stimuli import StimulusSet


def data_files(identifiers: Sequence[str]) -> dict[str, dict[str, str]]:
    """``{dataset: {file name: "algorithm:digest"}}`` for every registered file the benchmark reads."""
    from brainmark.datasets import dataset_info

    out: dict[str, dict[str, str]] = {}
    for identifier in identifiers:
        try:
            entry = dataset_info(identifier)
        except KeyError:
            continue
        out[identifier] = {f.name: f"{f.algorithm}:{f.digest}" for f in entry.files}
    return out


def load_dataset(identifier: str) -> xr.DataArray:
    """A registered dataset through the data layer (imported when first needed)."""
    from brainmark.datasets import load_dataset as _load

    return _load(identifier)


def load_stimuli(identifier: "str | StimulusSet", stimulus_ids: Sequence[str] | None = None,
                 degrees: float | None = None) -> StimulusSet:
    """The stimulus set (subset to ``stimulus_ids`` in that order), with ``degrees`` filled in if unknown."""
    from brainmark.datasets import load_stimulus_set

    stimuli = identifier if isinstance(identifier, StimulusSet) else load_stimulus_set(identifier)
    if stimulus_ids is not None:
        stimuli = stimuli.subset([str(s) for s in stimulus_ids], identifier=stimuli.identifier)
    if stimuli.degrees is None and degrees is not None:
        stimuli = StimulusSet(stimuli.identifier, stimuli.table, degrees=degrees, attrs=dict(stimuli.attrs))
    return stimuli


def select_region(assembly: xr.DataArray, region: str | None) -> xr.DataArray:
    """The neuroids of ``region`` (all of them if the assembly has no region coordinate)."""
    if region is None or "region" not in assembly.coords:
        return assembly
    mask = np.asarray(assembly["region"].values).astype(str) == region
    if not mask.any():
        from brainmark.benchmarks.base import BenchmarkError

        raise BenchmarkError(f"no neuroids of region {region!r}; regions present: {sorted(set(assembly['region'].values.astype(str)))}")
    return assembly.isel(neuroid=np.flatnonzero(mask))


def unique_stimulus_ids(assembly: xr.DataArray) -> list[str]:
    """Stimulus ids in first-appearance order."""
    ids = np.asarray(assembly["stimulus_id"].values).astype(str)
    _, first = np.unique(ids, return_index=True)
    return [str(s) for s in ids[np.sort(first)]]


def select_presentations(assembly: xr.DataArray, coord: str, values: Sequence[Any]) -> xr.DataArray:
    """The presentations of ``assembly`` whose ``coord`` value is one of ``values``, in order."""
    mask = np.isin(np.asarray(assembly[coord].values), list(values))
    return assembly.isel(presentation=np.flatnonzero(mask))
