"""A view of the board: which benchmarks count and with what weights, the composite rule, the date, the filters.

Everything a visitor chooses lives in the URL's query string, so a view is shareable and the CSV/JSON/BibTeX
exports of a view are the same query on another path:

- ``composite``: ``hierarchical`` (default), ``brainscore2018`` or ``weighted``;
- ``w.<benchmark>=<weight>``: a benchmark's weight (default 1; 0 leaves it out of the view); only the weighted
  composite uses weights other than 0 and 1;
- ``as_of=YYYY-MM-DD``: the board as it stood at the end of that day (UTC), from the score history;
- ``q`` (model name contains), ``family`` and ``training`` (repeatable), ``trained=pretrained|untrained``,
  ``params_min`` / ``params_max`` (millions of parameters);
- ``open=V4,IT`` (or ``none``): the column groups shown expanded (presentation only; by default all of them on a
  board of up to 6 benchmarks, none on a larger one).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping
from urllib.parse import urlencode

from fastapi import HTTPException

COMPOSITES = {
    "hierarchical": "hierarchical (regions -> neural; neural and behaviour -> overall)",
    "brainscore2018": "Brain-Score 2018 (mean of V4, IT and behaviour)",
    "weighted": "weighted mean of the chosen benchmarks (your weights)",
}
GROUPS = ("V1", "V2", "V4", "IT", "behavior", "other")
MAX_WEIGHT = 1000.0


@dataclass(frozen=True)
class View:
    """One view of the board (see the module docstring); ``query()`` is its canonical query string."""

    composite: str = "hierarchical"
    weights: tuple[tuple[str, float], ...] = ()  # only weights other than the default 1, sorted by benchmark
    as_of: date | None = None
    q: str = ""
    family: tuple[str, ...] = ()
    training: tuple[str, ...] = ()
    trained: str = ""
    params_min: float | None = None
    params_max: float | None = None
    open: tuple[str, ...] | None = field(default=None, compare=False)  # None: the default for the board's size

    def dated(self) -> "View":
        """The default view on this view's date (what the compare and history pages take)."""
        return View(as_of=self.as_of)

    def weight(self, benchmark: str) -> float:
        """The weight of ``benchmark`` in this view (1 unless chosen)."""
        return dict(self.weights).get(benchmark, 1.0)

    @property
    def as_of_end(self) -> datetime | None:
        """The first instant after the ``as_of`` day (history rows imported before it count)."""
        return None if self.as_of is None else datetime.combine(self.as_of + timedelta(days=1), time())

    @property
    def filtered(self) -> bool:
        """True when a model filter is set."""
        return bool(self.q or self.family or self.training or self.trained or self.params_min is not None
                    or self.params_max is not None)

    def params(self, **changes: Any) -> list[tuple[str, str]]:
        """The (name, value) pairs of the canonical query, with ``changes`` applied."""
        view = replace(self, **changes) if changes else self
        out: list[tuple[str, str]] = []
        if view.composite != "hierarchical":
            out.append(("composite", view.composite))
        out += [(f"w.{b}", _num(w)) for b, w in view.weights]
        if view.as_of is not None:
            out.append(("as_of", view.as_of.isoformat()))
        if view.q:
            out.append(("q", view.q))
        out += [("family", f) for f in view.family] + [("training", t) for t in view.training]
        if view.trained:
            out.append(("trained", view.trained))
        for name in ("params_min", "params_max"):
            if getattr(view, name) is not None:
                out.append((name, _num(getattr(view, name))))
        if view.open is not None:
            out.append(("open", ",".join(view.open) or "none"))
        return out

    def query(self, **changes: Any) -> str:
        """``?...`` of this view (empty for the default view)."""
        text = urlencode(self.params(**changes))
        return f"?{text}" if text else ""

    def key(self) -> tuple[Any, ...]:
        """What the computed board depends on (not the presentation-only ``open``)."""
        return (self.composite, self.weights, self.as_of, self.q, self.family, self.training, self.trained,
                self.params_min, self.params_max)


def _num(value: float) -> str:
    return f"{value:g}"


def _float(name: str, text: str, lo: float, hi: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise HTTPException(400, f"{name} must be a number, got {text!r}") from None
    if not (math.isfinite(value) and lo <= value <= hi):
        raise HTTPException(400, f"{name} must be between {lo:g} and {hi:g}, got {text!r}")
    return value


def _as_of(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise HTTPException(400, f"as_of must be a date YYYY-MM-DD, got {text!r}") from None


def parse_view(params: Mapping[str, Any]) -> View:
    """The view of a request's query parameters (a Starlette ``QueryParams``); 400 naming a bad value."""
    getlist = params.getlist if hasattr(params, "getlist") else (lambda k: [params[k]] if k in params else [])
    composite = params.get("composite") or "hierarchical"
    if composite not in COMPOSITES:
        raise HTTPException(400, f"unknown composite {composite!r}; choose one of {', '.join(COMPOSITES)}")
    weights = {}
    for name in params.keys():
        if name.startswith("w.") and len(name) > 2:
            value = _float(f"the weight of {name[2:]}", str(params.get(name)).strip() or "1", 0.0, MAX_WEIGHT)
            if value != 1.0:
                weights[name[2:]] = value
    trained = params.get("trained") or ""
    if trained not in ("", "pretrained", "untrained"):
        raise HTTPException(400, f"trained must be pretrained or untrained, got {trained!r}")
    bounds = {n: _float(n, str(params.get(n)), 0.0, 1e6) if str(params.get(n) or "").strip() else None
              for n in ("params_min", "params_max")}
    groups = tuple(g for g in str(params.get("open")).split(",") if g in GROUPS) if "open" in params else None
    return View(
        composite=composite, weights=tuple(sorted(weights.items())), as_of=_as_of(str(params.get("as_of") or "")),
        q=str(params.get("q") or "").strip()[:200],
        family=tuple(sorted({f for f in getlist("family") if f})), training=tuple(sorted({t for t in getlist("training") if t})),
        trained=trained, open=groups, **bounds,
    )
