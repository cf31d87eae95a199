"""Turning one layer's activations into a region's recording (shared by models and benchmarks)."""
from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

import xarray as xr


def region_assembly(activations: xr.DataArray, region: str, commitment: Mapping[str, Any], number_of_trials: int = 1,
                    time_bins: Sequence[tuple[int, int]] | None = None) -> xr.DataArray:
    """A layer's ``presentation x neuroid`` activations recorded as ``region``.

    Adds the ``region`` coordinate and the commitment record to the attrs; with several ``time_bins`` the same
    response is repeated in every bin (a feed-forward network has no dynamics), with one it is noted in the attrs.
    """
    assembly = activations.assign_coords(region=("neuroid", [region] * activations.sizes["neuroid"]))
    assembly.attrs.update(region=region, commitment=json.dumps(dict(commitment), default=str),
                          number_of_trials=int(number_of_trials))
    bins = [tuple(map(int, tb)) for tb in time_bins] if time_bins else None
    if bins and len(bins) > 1:
        assembly = xr.concat([assembly] * len(bins), dim="time_bin").transpose("presentation", "neuroid", "time_bin")
        assembly = assembly.assign_coords(time_bin_start=("time_bin", [b[0] for b in bins]),
                                          time_bin_end=("time_bin", [b[1] for b in bins]))
    elif bins:
        assembly.attrs["time_bin"] = json.dumps(list(bins[0]))
    return assembly
