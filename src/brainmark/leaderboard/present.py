"""How the board's numbers look on a page: colour classes, cell whiskers, interval text, benchmark labels.

Colours are CSS classes (``heat-0`` .. ``heat-10`` in ``static/style.css``), never inline styles, so the pages
keep to the strict Content-Security-Policy.
"""
from __future__ import annotations

import math
import re
from typing import Any, Iterable, Sequence

from markupsafe import Markup, escape

from brainmark.leaderboard import svgcharts


def finite(value: Any) -> bool:
    """True for a finite number."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def heat(value: float | None, scale: Sequence[float]) -> str:
    """The colour class of ``value`` on a column's (lo, hi) scale: ``heat-0`` (low, red) .. ``heat-10`` (green)."""
    if not finite(value):
        return "heat-none"
    lo, hi = scale[0], scale[1]
    t = 0.5 if hi <= lo else min(1.0, max(0.0, (value - lo) / (hi - lo)))
    return f"heat-{round(10 * t)}"


def scale_of(intervals: Iterable[Any]) -> tuple[float, float]:
    """(lo, hi) spanning every value and interval end of a column (``Interval`` objects or None)."""
    points: list[float] = []
    for item in intervals:
        if item is None or not finite(item.value):
            continue
        points.append(item.value)
        if item.ci is not None:
            points += [c for c in item.ci if finite(c)]
    return (min(points), max(points)) if points else (0.0, 1.0)


def whisker(item: Any, scale: Sequence[float]) -> Markup:
    """The inline SVG whisker of an ``Interval`` on a column's scale (empty without a value)."""
    if item is None:
        return Markup("")
    return Markup(svgcharts.whisker(item.value, item.ci, scale[0], scale[1]))


def ci_text(item: Any, digits: int = 3) -> str:
    """``95 % CI [0.412, 0.498]``, or a note that there is no interval."""
    if item is None or item.ci is None or not all(finite(c) for c in item.ci):
        return "no interval"
    level = f"{100 * item.level:.0f} % " if finite(item.level) else ""
    return f"{level}CI [{item.ci[0]:.{digits}f}, {item.ci[1]:.{digits}f}]"


def label(identifier: str) -> Markup:
    """A benchmark identifier that may wrap after ``.``, ``-`` and ``_`` (narrow columns), text unchanged."""
    pieces = re.split(r"(?<=[.\-_])|(?<=\d)(?=[A-Za-z])", identifier)
    return Markup("<wbr>").join(escape(p) for p in pieces)


def p_text(p: float | None) -> str:
    """A p-value for people: ``< 0.001``, ``0.032``."""
    if not finite(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"
