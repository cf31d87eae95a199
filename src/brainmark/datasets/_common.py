"""Helpers shared by the dataset modules: labelled representational matrices and stimulus tables."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from brainmark.data.registry import Files
from brainmark.data.stimuli import StimulusSet

ROW, COL = "stimulus_row", "stimulus_col"


def matrices(
    values: np.ndarray,
    stimulus_ids: Sequence[str],
    *,
    kind: str,
    symmetric: bool,
    leading: dict[str, Sequence[Any]] | None = None,
    attrs: dict[str, Any] | None = None,
) -> xr.DataArray:
    """Representational matrices as a DataArray: ``[leading dims...] x stimulus_row x stimulus_col``."""
    leading = leading or {}
    ids = [str(s) for s in stimulus_ids]
    values = np.asarray(values)
    if values.shape[-2:] != (len(ids), len(ids)):
        raise ValueError(f"matrices of shape {values.shape} do not match {len(ids)} stimulus ids")
    coords: dict[str, Any] = {ROW: ids, COL: ids}
    coords.update({dim: list(vals) for dim, vals in leading.items()})
    return xr.DataArray(
        values, dims=(*leading, ROW, COL), coords=coords, attrs={"kind": kind, "symmetric": symmetric, **(attrs or {})}
    )


def stimulus_set_from_csv(identifier: str, files: Files, csv_name: str, *, degrees: float | None = None,
                          attrs: dict[str, Any] | None = None) -> StimulusSet:
    """A shipped stimulus set: a CSV with ``stimulus_id`` and ``filename`` (a registered file) per row."""
    table = pd.read_csv(files.path(csv_name))
    table["image_path"] = [str(files.path(name)) for name in table["filename"]]
    return StimulusSet(identifier, table, degrees=degrees, attrs=dict(attrs or {}))
