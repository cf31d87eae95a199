"""Progress bars (tqdm) that switch off with ``BRAINMARK_PROGRESS=0`` or when stderr is not a terminal."""
from __future__ import annotations

import os
import sys
from typing import Iterable, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress_enabled() -> bool:
    """Whether to show progress bars: ``BRAINMARK_PROGRESS`` if set, else whether stderr is a terminal."""
    setting = os.environ.get("BRAINMARK_PROGRESS")
    if setting is not None:
        return setting not in ("0", "false", "no", "")
    return sys.stderr.isatty()


def progress(iterable: Iterable[T] | None = None, *, desc: str = "", total: int | None = None, unit: str = "it", **kw) -> tqdm:
    """A tqdm bar over ``iterable`` (or a manual bar when ``iterable`` is None)."""
    return tqdm(iterable, desc=desc, total=total, unit=unit, disable=not progress_enabled(), leave=False, dynamic_ncols=True, **kw)
