"""The one JSON convention of brainmark: what every results file, cache key and provenance record goes through.

- :func:`to_jsonable` turns NumPy scalars and arrays, xarray objects, mappings, tuples and sets into plain JSON
  types; non-finite floats become ``None`` (JSON has no NaN), objects with ``to_dict()`` are serialised by it, and
  anything else becomes its ``str()`` (so a provenance record never fails to serialise).
- :func:`canonical_json` is the compact, key-sorted text of that, and :func:`canonical_hash` its sha256: the
  content key of caches (ceilings, activations) and of resampling schemes.
"""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Set
from pathlib import Path
from typing import Any

import numpy as np


def to_jsonable(value: Any) -> Any:
    """A JSON-ready copy of ``value`` (NaN and inf become None; see the module docstring)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if hasattr(value, "to_dict") and callable(value.to_dict) and not isinstance(value, Mapping):
        return to_jsonable(value.to_dict())
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Set):
        return sorted((to_jsonable(v) for v in value), key=repr)
    if isinstance(value, Path):
        return str(value)
    return str(value)


def canonical_json(value: Any) -> str:
    """Compact, key-sorted JSON of :func:`to_jsonable` (``value``): equal content gives equal text."""
    return json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"), allow_nan=False)


def canonical_hash(value: Any, length: int | None = None) -> str:
    """sha256 hex digest of :func:`canonical_json` (``value``), optionally cut to ``length`` characters."""
    digest = hashlib.sha256(canonical_json(value).encode()).hexdigest()
    return digest[:length] if length else digest


def dumps(value: Any, *, indent: int | None = 2) -> str:
    """Readable key-sorted JSON of :func:`to_jsonable` (``value``), as results files are written."""
    return json.dumps(to_jsonable(value), indent=indent, sort_keys=True, allow_nan=False)
