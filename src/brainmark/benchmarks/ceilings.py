"""Ceilings computed once per dataset and cached under ``$BRAINMARK_HOME/ceilings`` as JSON.

The cache key covers everything that can change the value: the ceiling's name and parameters, a checksum of
the data's values and coordinates, and the brainmark version. A corrupt cache entry is recomputed.
"""
from __future__ import annotations

import json
import threading
from typing import Any, Callable

from brainmark._io import atomic_write
from brainmark._json import canonical_hash, dumps
from brainmark._version import __version__
from brainmark.paths import subdir
from brainmark.scores import Score

__all__ = ["cached_ceiling", "ceiling_key", "clear_memory_cache"]

_LOCK = threading.Lock()
_MEMORY: dict[str, Score] = {}


def ceiling_key(name: str, params: dict[str, Any], checksum: str) -> str:
    """The cache key of a ceiling: its name and parameters, the data checksum and the brainmark version."""
    return canonical_hash({"ceiling": name, "params": params, "data": checksum, "brainmark": __version__}, 32)


def cached_ceiling(name: str, params: dict[str, Any], checksum: str, compute: Callable[[], Score]) -> Score:
    """The ceiling from memory, else disk, else ``compute()`` (then stored atomically)."""
    key = ceiling_key(name, params, checksum)
    with _LOCK:
        if key in _MEMORY:
            return _MEMORY[key]
    path = subdir("ceilings") / f"{name}-{key}.json"
    score: Score | None = None
    if path.exists():
        try:
            score = Score.from_dict(json.loads(path.read_text()))
        except (ValueError, KeyError, TypeError):
            score = None  # a damaged entry is recomputed and replaced
    if score is None:
        score = compute().with_meta(data_checksum=checksum, ceiling_name=name, ceiling_params=params)
        with atomic_write(path, "w") as f:
            f.write(dumps(score.to_dict(), indent=None))
        # read back what was written so a cold and a warm run return the very same floats
        score = Score.from_dict(json.loads(path.read_text()))
    with _LOCK:
        _MEMORY[key] = score
    return score


def clear_memory_cache() -> None:
    """Forget the ceilings kept in this process (the disk cache stays)."""
    with _LOCK:
        _MEMORY.clear()
