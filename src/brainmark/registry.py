"""Plain registries of identifier -> factory, one per kind (datasets, metrics, models, benchmarks).

One way to register: brainmark's built-ins are registered by the package that defines them when it is imported
(``brainmark.metrics`` registers the metrics, ``brainmark.datasets`` the datasets, ...); third-party packages extend
a registry through an entry-point group (e.g. ``brainmark.models``) whose entries point at factories. Look-up is
exact first, then case-insensitive; an unknown identifier raises :class:`UnknownIdentifierError` with suggestions.
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

    def unregister(self, identifier: str) -> None:
        """Remove ``identifier`` (e.g. a temporary benchmark of a test); unknown identifiers are ignored."""
        self._factories.pop(identifier, None)

    def __iter__(self) -> Iterator[str]:
        self._load_entry_points()
        return iter(sorted(self._factories))

    def __len__(self) -> int:
        self._load_entry_points()
        return len(self._factories)

    def names(self) -> list[str]:
        """All registered identifiers, sorted."""
        return list(self)

    def resolve(self, identifier: str) -> str:
        """The registered spelling of ``identifier`` (exact, else the unique case-insensitive match)."""
        self._load_entry_points()
        if identifier in self._factories:
            return identifier
        folded = [name for name in self._factories if name.casefold() == str(identifier).casefold()]
        if len(folded) == 1:
            return folded[0]
        by_fold = {name.casefold(): name for name in self._factories}
        close = difflib.get_close_matches(str(identifier).casefold(), list(by_fold), n=5, cutoff=0.5)
        hint = f" Did you mean: {', '.join(by_fold[c] for c in close)}?" if close else ""
        ambiguous = f" (several match when case is ignored: {', '.join(folded)})" if folded else ""
        raise UnknownIdentifierError(
            f"unknown {self.kind} {identifier!r}{ambiguous}.{hint} Known {self.kind}s: {', '.join(sorted(self._factories))}"
        )

    def factory(self, identifier: str) -> Callable[..., T]:
        """The factory registered as ``identifier`` (see :meth:`resolve`)."""
        return self._factories[self.resolve(identifier)]

    def load(self, identifier: str, /, **params: Any) -> T:
        """Look up ``identifier`` and call its factory with ``params``."""
        return self.factory(identifier)(**params)
