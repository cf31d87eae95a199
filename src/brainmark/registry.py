"""Plain registries of identifier -> factory, one per kind (datasets, metrics, models, benchmarks).

Modules that define things register them at import time; third-party packages extend a registry through
an entry-point group (e.g. ``brainmark.models``) whose entries point at zero-argument-or-keyword factories.
"""
from __future__ import annotations

import difflib
from importlib.metadata import entry_points
from typing import Any, Callable, Generic, Iterator, TypeVar

T = TypeVar("T")


class UnknownIdentifierError(KeyError):
    """Raised for an identifier no registry entry matches; the message lists close matches."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class Registry(Generic[T]):
    """A named mapping from identifier to factory, extensible through an entry-point group."""

    def __init__(self, kind: str, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._factories: dict[str, Callable[..., T]] = {}
        self._entry_points_loaded = False

    def register(self, identifier: str, factory: Callable[..., T] | None = None, *, replace: bool = False):
        """Register ``factory`` under ``identifier``; usable as a decorator when ``factory`` is omitted."""

        def _add(f: Callable[..., T]) -> Callable[..., T]:
            if identifier in self._factories and not replace and self._factories[identifier] is not f:
                raise ValueError(f"{self.kind} {identifier!r} is already registered")
            self._factories[identifier] = f
            return f

        return _add(factory) if factory is not None else _add

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded or not self.entry_point_group:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=self.entry_point_group):
            if ep.name not in self._factories:
                self._factories[ep.name] = ep.load()

    def __contains__(self, identifier: object) -> bool:
        self._load_entry_points()
        return identifier in self._factories

    def __iter__(self) -> Iterator[str]:
        self._load_entry_points()
        return iter(sorted(self._factories))

    def __len__(self) -> int:
        self._load_entry_points()
        return len(self._factories)

    def names(self) -> list[str]:
        return list(self)

    def factory(self, identifier: str) -> Callable[..., T]:
        self._load_entry_points()
        try:
            return self._factories[identifier]
        except KeyError:
            close = difflib.get_close_matches(identifier, self._factories, n=5, cutoff=0.5)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise UnknownIdentifierError(
                f"unknown {self.kind} {identifier!r}.{hint} Known {self.kind}s: {', '.join(sorted(self._factories))}"
            ) from None

    def load(self, identifier: str, **params: Any) -> T:
        """Look up ``identifier`` and call its factory with ``params``."""
        return self.factory(identifier)(**params)
