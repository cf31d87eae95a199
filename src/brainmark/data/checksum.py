"""The data checksum recorded in every score: identifies the exact data a number was computed from."""
from __future__ import annotations

import hashlib

import numpy as np
import xarray as xr


def data_checksum(data: xr.DataArray | np.ndarray) -> str:
    """sha256 over an array's dims, values and coordinate values (names, dims and labels included)."""
    h = hashlib.sha256()
    if isinstance(data, xr.DataArray):
        h.update(repr(data.dims).encode())
        for name in sorted(data.coords, key=str):
            coord = data.coords[name]
            h.update(str(name).encode() + repr(coord.dims).encode())
            h.update(np.asarray(coord.values).astype(str).tobytes())
        values = np.asarray(data.values)
    else:
        values = np.asarray(data)
    if values.dtype == object:  # the bytes of an object array are pointers: hash the values' text instead
        values = values.astype(str)
    h.update(repr(values.shape).encode() + str(values.dtype).encode())
    h.update(np.ascontiguousarray(values).tobytes())
    return h.hexdigest()
