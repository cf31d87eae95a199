"""The one score type shared by every metric, ceiling, benchmark and composite.

A :class:`Score` carries the raw value, its ceiling, the ceiled value under a named convention, errors,
per-split / per-neuroid values and a provenance record (``meta``: metric, parameters, seeds, data checksums,
package version). ``to_dict`` is JSON-ready and ``from_dict`` restores it exactly (floats round-trip).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import numpy as np

from brainmark._version import __version__

#: How a raw score r is normalised by a ceiling c.
#: ``ratio``: r / c (Schrimpf et al. 2018); ``squared-ratio``: (r / c)^2 (official 2019-2025);
#: ``explained-variance``: r^2 / c (official since January 2026). Scores are not clipped.
CEILING_CONVENTIONS = ("ratio", "squared-ratio", "explained-variance")
DEFAULT_CONVENTION = "ratio"


def check_convention(convention: str) -> str:
    if convention not in CEILING_CONVENTIONS:
        raise ValueError(
            f"unknown ceiling convention {convention!r}; choose one of {', '.join(CEILING_CONVENTIONS)}"
        )
    return convention


def apply_ceiling(raw: float, ceiling: float, convention: str = DEFAULT_CONVENTION) -> float:
    """Ceiled value of ``raw`` given ``ceiling`` under ``convention`` (NaN if the ceiling is not positive)."""
    check_convention(convention)
    if not np.isfinite(ceiling) or ceiling <= 0 or not np.isfinite(raw):
        return math.nan
    if convention == "ratio":
        return float(raw / ceiling)
    if convention == "squared-ratio":
        return float((raw / ceiling) ** 2)
    return float(raw**2 / ceiling)


def ceiled_error(raw: float, error: float, ceiling: float, convention: str = DEFAULT_CONVENTION) -> float:
    """First-order propagation of the raw score's error through the ceiling convention (ceiling held fixed)."""
    check_convention(convention)
    if not (np.isfinite(error) and np.isfinite(ceiling) and ceiling > 0 and np.isfinite(raw)):
        return math.nan
    if convention == "ratio":
        return float(error / ceiling)
    if convention == "squared-ratio":
        return float(2 * abs(raw) * error / ceiling**2)
    return float(2 * abs(raw) * error / ceiling)


def _to_jsonable(value: Any) -> Any:
    if isinstance(value, Score):
        return value.to_dict()
    if isinstance(value, np.ndarray):
        return _to_jsonable(value.tolist())
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, Mapping):
        return {str(k): _to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_jsonable(v) for v in value]
    return value


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


@dataclass(frozen=True)
class Score:
    """A score with its ceiling and provenance.

    ``values`` maps a name (``"split"``, ``"neuroid"``, ``"subject"``...) to a 1-d array of per-unit values;
    ``labels`` optionally maps the same name to the unit labels (e.g. neuroid ids). ``meta`` is a free-form,
    JSON-ready provenance record.
    """

    raw: float
    error: float = math.nan
    ceiling: float = math.nan
    ceiling_error: float = math.nan
    ceiled: float = math.nan
    ceiled_error: float = math.nan
    convention: str | None = None
    values: Mapping[str, np.ndarray] = field(default_factory=dict)
    labels: Mapping[str, list] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "raw", float(self.raw))
        object.__setattr__(self, "error", float(self.error))
        object.__setattr__(self, "values", {k: np.asarray(v) for k, v in dict(self.values).items()})
        if self.convention is not None:
            check_convention(self.convention)

    def with_ceiling(self, ceiling: "Score | float", convention: str = DEFAULT_CONVENTION) -> "Score":
        """Return a copy ceiled by ``ceiling`` (a ceiling Score or a float) under ``convention``."""
        if isinstance(ceiling, Score):
            c, c_err, c_meta = ceiling.raw, ceiling.error, dict(ceiling.meta)
        else:
            c, c_err, c_meta = float(ceiling), math.nan, {}
        meta = dict(self.meta)
        if c_meta:
            meta["ceiling"] = c_meta
        return replace(
            self,
            ceiling=float(c),
            ceiling_error=float(c_err),
            ceiled=apply_ceiling(self.raw, c, convention),
            ceiled_error=ceiled_error(self.raw, self.error, c, convention),
            convention=convention,
            meta=meta,
        )

    def with_meta(self, **entries: Any) -> "Score":
        """Return a copy with ``entries`` added to ``meta``."""
        return replace(self, meta={**dict(self.meta), **entries})

    def to_dict(self) -> dict[str, Any]:
        return {
            "raw": _to_jsonable(self.raw),
            "error": _to_jsonable(self.error),
            "ceiling": _to_jsonable(self.ceiling),
            "ceiling_error": _to_jsonable(self.ceiling_error),
            "ceiled": _to_jsonable(self.ceiled),
            "ceiled_error": _to_jsonable(self.ceiled_error),
            "convention": self.convention,
            "values": {k: _to_jsonable(v) for k, v in self.values.items()},
            "labels": {k: _to_jsonable(list(v)) for k, v in self.labels.items()},
            "meta": _to_jsonable(dict(self.meta)),
            "brainmark_version": __version__,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Score":
        values = {
            k: np.array([math.nan if x is None else x for x in v], dtype=float) for k, v in d.get("values", {}).items()
        }
        return cls(
            raw=_float(d.get("raw")),
            error=_float(d.get("error")),
            ceiling=_float(d.get("ceiling")),
            ceiling_error=_float(d.get("ceiling_error")),
            ceiled=_float(d.get("ceiled")),
            ceiled_error=_float(d.get("ceiled_error")),
            convention=d.get("convention"),
            values=values,
            labels={k: list(v) for k, v in d.get("labels", {}).items()},
            meta=dict(d.get("meta", {})),
        )

    def __float__(self) -> float:
        return self.ceiled if np.isfinite(self.ceiled) else self.raw

    def __repr__(self) -> str:
        parts = [f"raw={self.raw:.4f}"]
        if np.isfinite(self.error):
            parts.append(f"error={self.error:.4f}")
        if np.isfinite(self.ceiling):
            parts.append(f"ceiling={self.ceiling:.4f}")
            parts.append(f"ceiled={self.ceiled:.4f} ({self.convention})")
        name = self.meta.get("metric") or self.meta.get("benchmark") or ""
        return f"Score({name + ': ' if name else ''}{', '.join(parts)})"
