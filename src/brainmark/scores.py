"""The one score type shared by every metric, ceiling, benchmark and composite.

A :class:`Score` is an immutable value: the raw value, its ceiling, the ceiled value under a named convention,
errors, an optional confidence interval, per-unit results (:attr:`Score.values`, labelled arrays) and a read-only
provenance record (:attr:`Score.meta`: metric, parameters, seeds, data checksum, package version). Two scores are
equal when all of that is equal (NaN equals NaN); a score can be hashed, put in a set and round-tripped through
JSON exactly (``Score.from_dict(s.to_dict()) == s``).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import xarray as xr

from brainmark._json import canonical_json, to_jsonable
from brainmark._version import __version__

#: How a raw score r is normalised by a ceiling c.
#: ``ratio``: r / c (Schrimpf et al. 2018); ``squared-ratio``: (r / c)^2 (official 2019-2025);
#: ``explained-variance``: r^2 / c (official since January 2026). Scores are not clipped.
CEILING_CONVENTIONS = ("ratio", "squared-ratio", "explained-variance")
DEFAULT_CONVENTION = "ratio"
_FLOAT_FIELDS = ("raw", "error", "ceiling", "ceiling_error", "ceiled", "ceiled_error")


def check_convention(convention: str) -> str:
    """Return ``convention`` if it is one of :data:`CEILING_CONVENTIONS`, else raise ``ValueError``."""
    if convention not in CEILING_CONVENTIONS:
        raise ValueError(
            f"unknown ceiling convention {convention!r}; choose one of {', '.join(CEILING_CONVENTIONS)}"
        )
    return convention


def apply_ceiling(raw: Any, ceiling: Any, convention: str = DEFAULT_CONVENTION) -> Any:
    """Ceiled value of ``raw`` given ``ceiling`` under ``convention`` (NaN where the ceiling is not positive).

    Floats give a float; arrays (e.g. bootstrap replicates of both) give an array, element by element.
    """
    check_convention(convention)
    r, c = np.asarray(raw, dtype=float), np.asarray(ceiling, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if convention == "ratio":
            out = r / c
        elif convention == "squared-ratio":
            out = (r / c) ** 2
        else:
            out = r**2 / c
    out = np.where(np.isfinite(c) & (c > 0) & np.isfinite(r), out, np.nan)
    return float(out) if out.ndim == 0 else out


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


class FrozenDict(dict):
    """A ``dict`` that refuses changes: the read-only provenance of a :class:`Score` (nested values frozen too)."""

    def _readonly(self, *_args: Any, **_kwargs: Any) -> Any:
        raise TypeError("score metadata is read-only; use score.with_meta(key=value) for a changed copy")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _readonly  # type: ignore

    def __reduce__(self) -> tuple:
        return FrozenDict, (dict(self),)

    def __copy__(self) -> "FrozenDict":
        return self

    def __deepcopy__(self, _memo: dict) -> "FrozenDict":
        return self


class FrozenList(list):
    """A ``list`` that refuses changes (compares equal to a list with the same items)."""

    def _readonly(self, *_args: Any, **_kwargs: Any) -> Any:
        raise TypeError("score metadata is read-only; use score.with_meta(key=value) for a changed copy")

    __setitem__ = __delitem__ = __iadd__ = __imul__ = append = extend = insert = pop = remove = clear = _readonly  # type: ignore
    sort = reverse = _readonly  # type: ignore

    def __reduce__(self) -> tuple:
        return FrozenList, (list(self),)

    def __copy__(self) -> "FrozenList":
        return self

    def __deepcopy__(self, _memo: dict) -> "FrozenList":
        return self


def freeze(value: Any) -> Any:
    """A read-only copy of a JSON-like value: mappings become :class:`FrozenDict`, lists :class:`FrozenList`."""
    if isinstance(value, Mapping):
        return FrozenDict({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return FrozenList(freeze(v) for v in value)
    if isinstance(value, np.ndarray):
        return freeze(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _coerce(name: str, value: Any) -> float:
    """A numeric field as a float (None means NaN); anything else is a ``TypeError`` naming the field."""
    if value is None:
        return math.nan
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"Score.{name} must be a number, got a bool ({value!r})")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"Score.{name} must be a number, got {type(value).__name__} {value!r}") from None


def per_unit(values: Any, dim: str, labels: Any = None) -> xr.DataArray:
    """A 1-d labelled array of per-unit results: ``values`` along ``dim``, unit ``labels`` as its coordinate."""
    array = np.asarray(values)
    coords = {dim: [str(v) for v in labels]} if labels is not None else {}
    return xr.DataArray(array, dims=(dim,), coords=coords)


def _frozen_array(name: str, value: Any) -> xr.DataArray:
    array = value if isinstance(value, xr.DataArray) else per_unit(value, name)
    array = array.copy(deep=True)
    array.values.flags.writeable = False
    return array


def _values_key(values: Mapping[str, xr.DataArray]) -> tuple:
    return tuple(
        (name, a.dims, canonical_json({str(c): a[c].values for c in a.coords}), tuple(to_jsonable(a.values.ravel())))
        for name, a in sorted(values.items())
    )


@dataclass(frozen=True, eq=False)
class Score:
    """A score with its ceiling, uncertainty, per-unit results and provenance (an immutable value).

    Parameters
    ----------
    raw : float
        The metric's value before ceiling.
    error : float
        Its standard error (by default the official split-wise std / sqrt(n)).
    ceiling, ceiling_error : float
        The noise ceiling of the data and its error (NaN: none).
    ceiled, ceiled_error : float
        ``raw`` normalised by ``ceiling`` under ``convention``. Computed when omitted; when given together with a
        convention and a finite ceiling it must agree with :func:`apply_ceiling`. With ``convention=None`` it is
        taken as given (e.g. I2n's split-wise rule, composites).
    convention : str or None
        One of :data:`CEILING_CONVENTIONS`, or None when no ratio convention was applied.
    ci : (float, float) or None
        Confidence interval of the ceiled value (of ``raw`` for a score without ceiling), at level ``ci_level``.
    values : mapping of str to xarray.DataArray
        Per-unit results (``split``, ``neuroid``, ``subject``, ``resample``...), each a labelled array whose
        coordinate holds the unit labels. Plain arrays are accepted and get the key as their dim.
    meta : mapping
        Provenance: metric, parameters, seeds, ``data_checksum``, versions. Read-only.

    ``float(score)`` is the ceiled value for a score that was ceiled (a convention, ceiling or ceiled value is
    set; NaN when the ceiling failed) and the raw value for a score without any ceiling.
    """

    raw: float
    error: float = math.nan
    ceiling: float = math.nan
    ceiling_error: float = math.nan
    ceiled: float = math.nan
    ceiled_error: float = math.nan
    convention: str | None = None
    ci: tuple[float, float] | None = None
    ci_level: float | None = None
    values: Mapping[str, xr.DataArray] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in _FLOAT_FIELDS:
            object.__setattr__(self, name, _coerce(name, getattr(self, name)))
        if self.convention is not None:
            check_convention(self.convention)
            self._fill_ceiled()
        self._check_ci()
        values = {str(k): _frozen_array(str(k), v) for k, v in dict(self.values).items()}
        object.__setattr__(self, "values", FrozenDict(values))
        object.__setattr__(self, "meta", freeze(dict(self.meta)))

    def _fill_ceiled(self) -> None:
        expected = apply_ceiling(self.raw, self.ceiling, self.convention)
        if math.isnan(self.ceiled):
            object.__setattr__(self, "ceiled", expected)
        elif not math.isclose(self.ceiled, expected, rel_tol=1e-9, abs_tol=1e-12):
            raise ValueError(
                f"Score.ceiled={self.ceiled!r} disagrees with raw={self.raw!r}, ceiling={self.ceiling!r} under "
                f"convention {self.convention!r} (expected {expected!r}); omit ceiled or set convention=None"
            )
        if math.isnan(self.ceiled_error):
            object.__setattr__(self, "ceiled_error", ceiled_error(self.raw, self.error, self.ceiling, self.convention))

    def _check_ci(self) -> None:
        if self.ci is None:
            if self.ci_level is not None:
                raise ValueError("Score.ci_level is set but Score.ci is not")
            return
        low, high = (_coerce("ci", v) for v in self.ci)
        if not (math.isnan(low) or math.isnan(high)) and low > high:
            raise ValueError(f"Score.ci must be (low, high) with low <= high, got {self.ci!r}")
        level = _coerce("ci_level", self.ci_level)
        if not 0 < level < 1:
            raise ValueError(f"Score.ci_level must be in (0, 1), got {self.ci_level!r}")
        object.__setattr__(self, "ci", (low, high))
        object.__setattr__(self, "ci_level", level)

    # --- derived copies -------------------------------------------------------------------------------------
    def with_ceiling(self, ceiling: "Score | float", convention: str = DEFAULT_CONVENTION) -> "Score":
        """A copy ceiled by ``ceiling`` (a ceiling Score, whose meta goes to ``meta["ceiling"]``, or a float)."""
        if isinstance(ceiling, Score):
            c, c_err, c_meta = ceiling.raw, ceiling.error, dict(ceiling.meta)
        else:
            c, c_err, c_meta = _coerce("ceiling", ceiling), math.nan, {}
        meta = {**self.meta, "ceiling": c_meta} if c_meta else dict(self.meta)
        return replace(self, ceiling=c, ceiling_error=c_err, ceiled=math.nan, ceiled_error=math.nan,
                       convention=check_convention(convention), meta=meta)

    def with_meta(self, **entries: Any) -> "Score":
        """A copy with ``entries`` added to (or replacing keys of) ``meta``."""
        return replace(self, meta={**self.meta, **entries})

    def with_values(self, **values: Any) -> "Score":
        """A copy with per-unit ``values`` added (arrays or labelled DataArrays)."""
        return replace(self, values={**self.values, **values})

    def with_ci(self, low: float, high: float, level: float) -> "Score":
        """A copy with the confidence interval ``(low, high)`` at ``level`` (e.g. 0.95)."""
        return replace(self, ci=(low, high), ci_level=level)

    @property
    def is_ceiled(self) -> bool:
        """True when a ceiling was applied (a convention, a finite ceiling or a finite ceiled value is set)."""
        return self.convention is not None or math.isfinite(self.ceiling) or math.isfinite(self.ceiled)

    # --- value semantics ------------------------------------------------------------------------------------
    def _key(self) -> tuple:
        floats = tuple(to_jsonable(getattr(self, n)) for n in _FLOAT_FIELDS)
        ci = None if self.ci is None else tuple(to_jsonable(list(self.ci)))
        return floats, self.convention, ci, self.ci_level, _values_key(self.values), canonical_json(self.meta)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Score):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __float__(self) -> float:
        return self.ceiled if self.is_ceiled else self.raw

    # --- JSON -----------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN as null); :meth:`from_dict` restores an equal Score."""
        out: dict[str, Any] = {name: to_jsonable(getattr(self, name)) for name in _FLOAT_FIELDS}
        out.update(
            convention=self.convention,
            ci=None if self.ci is None else to_jsonable(list(self.ci)),
            ci_level=self.ci_level,
            values={name: _array_to_dict(a) for name, a in self.values.items()},
            meta=to_jsonable(self.meta),
            brainmark_version=__version__,
        )
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Score":
        """The Score of a :meth:`to_dict` dict (also reads the older ``values`` + ``labels`` layout)."""
        labels = d.get("labels") or {}
        values = {name: _array_from_dict(name, v, labels.get(name)) for name, v in (d.get("values") or {}).items()}
        ci = d.get("ci")
        convention = d.get("convention")
        if convention and d.get("ceiling") is None and d.get("ceiled") is not None:
            convention = None  # a 0.1.0 composite: it named its components' convention without having a ceiling
        return cls(
            **{name: d.get(name) for name in _FLOAT_FIELDS},
            convention=convention,
            ci=None if ci is None else (ci[0], ci[1]),
            ci_level=d.get("ci_level") if ci is not None else None,
            values=values,
            meta=dict(d.get("meta") or {}),
        )

    def __repr__(self) -> str:
        parts = [f"raw={self.raw:.4f}"]
        if np.isfinite(self.error):
            parts.append(f"error={self.error:.4f}")
        if np.isfinite(self.ceiling):
            parts.append(f"ceiling={self.ceiling:.4f}")
        if self.is_ceiled:
            parts.append(f"ceiled={self.ceiled:.4f} ({self.convention or 'own rule'})")
        if self.ci is not None:
            parts.append(f"{self.ci_level:.0%} CI [{self.ci[0]:.4f}, {self.ci[1]:.4f}]")
        name = self.meta.get("benchmark") or self.meta.get("metric") or self.meta.get("composite") or ""
        return f"Score({name + ': ' if name else ''}{', '.join(parts)})"


def _array_to_dict(array: xr.DataArray) -> dict[str, Any]:
    return {"dims": list(array.dims), "coords": {str(c): to_jsonable(array[c].values) for c in array.coords},
            "data": to_jsonable(array.values)}


def _array_from_dict(name: str, value: Any, labels: Any) -> xr.DataArray:
    if isinstance(value, Mapping):
        data = np.asarray(value["data"], dtype=object)
        data = _numeric(data)
        coords = {c: (c, list(v)) for c, v in (value.get("coords") or {}).items()}
        return xr.DataArray(data, dims=tuple(value["dims"]), coords=coords)
    return per_unit(_numeric(np.asarray(value, dtype=object)), name, labels)


def _numeric(data: np.ndarray) -> np.ndarray:
    """JSON lists back to float arrays (null -> NaN); non-numeric data stays as it is."""
    try:
        return np.where(data == None, np.nan, data).astype(float)  # noqa: E711  (elementwise None test)
    except (TypeError, ValueError):
        return data
