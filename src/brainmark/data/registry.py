"""The data registry: datasets and stimulus sets, each with its files, checksums, citation and license.

``DATASETS`` and ``STIMULUS_SETS`` are :class:`~brainmark.registry.Registry` objects (entry-point groups
``brainmark.datasets`` and ``brainmark.stimulus_sets``). brainmark's own entries are :class:`DatasetEntry`
objects, callable with no arguments, registered by the :mod:`brainmark.datasets` package when it is imported
(the data layer never imports it); a third-party entry point may register any zero-argument factory. Use
``brainmark.datasets.load_dataset`` (or ``brainmark.load_dataset``), which has the built-in datasets registered.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import xarray as xr

from brainmark.data.files import DataFile
from brainmark.data.stimuli import StimulusSet
from brainmark.data.store import Store, default_store
from brainmark.registry import Registry

DATASETS: Registry[Any] = Registry("dataset", "brainmark.datasets")
STIMULUS_SETS: Registry[Any] = Registry("stimulus set", "brainmark.stimulus_sets")

KINDS = ("neural", "rdm", "behavioral", "stimuli")


class Files:
    """The resolved files of one entry, handed to its loader: ``files.path(name)``, ``files.folder(name)``."""

    def __init__(self, entry: "DatasetEntry", store: Store) -> None:
        self._entry = entry
        self._store = store
        self._by_name = {f.name: f for f in entry.files}

    def file(self, name: str) -> DataFile:
        """The registered file ``name`` of this entry."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"{self._entry.identifier} has no registered file {name!r}") from None

    def path(self, name: str) -> Path:
        """Verified local path of a registered file."""
        return self._store.fetch(self.file(name))

    def folder(self, name: str) -> Path:
        """Folder holding the extracted members of a registered zip archive."""
        return self._store.extract(self.file(name))

    def names(self) -> list[str]:
        """The names of this entry's registered files."""
        return list(self._by_name)


@dataclass(frozen=True)
class DatasetEntry:
    """A registered dataset or stimulus set.

    ``loader(files)`` builds the object (a DataArray or a :class:`StimulusSet`) from the resolved files.
    ``kind`` is one of neural | rdm | behavioral | stimuli. ``shape`` describes the loaded object for listings.
    """

    identifier: str
    kind: str
    loader: Callable[[Files], Any]
    files: tuple[DataFile, ...]
    description: str = ""
    citation: str = ""
    license: str = ""
    stimulus_set: str | None = None
    shape: str = ""
    sources: tuple[DataFile, ...] = field(default=())
    notes: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"dataset kind {self.kind!r} is not one of {KINDS}")
        object.__setattr__(self, "files", tuple(self.files))
        object.__setattr__(self, "sources", tuple(self.sources))

    @property
    def shipped(self) -> bool:
        """True if every file ships inside the package (works offline on a fresh machine)."""
        return bool(self.files) and all(f.shipped for f in self.files)

    @property
    def size(self) -> int:
        """Total size in bytes of the entry's files (as registered)."""
        return sum(f.size or 0 for f in self.files)

    def load(self, store: Store | None = None) -> Any:
        """Build the dataset or stimulus set from its files, resolved through ``store``."""
        return self.loader(Files(self, store or default_store()))

    def fetch(self, store: Store | None = None, *, verify: bool = True) -> list[Path]:
        """Fetch every file (re-hashing cached ones when ``verify``) and extract archives; returns local paths."""
        store = store or default_store()
        paths = []
        for f in self.files:
            paths.append(store.fetch(f, verify=verify))
            if f.archive:
                store.extract(f)
        return paths

    def is_available(self, store: Store | None = None) -> bool:
        """True if every file is shipped or cached (loading needs no mirror and no network)."""
        store = store or default_store()
        return all(store.is_cached(f) for f in self.files)

    def __call__(self) -> Any:
        return self.load()


def register(entry: DatasetEntry) -> DatasetEntry:
    """Add a :class:`DatasetEntry` to the datasets registry (or stimulus sets, for kind ``stimuli``)."""
    registry = STIMULUS_SETS if entry.kind == "stimuli" else DATASETS
    registry.register(entry.identifier, entry)
    return entry


_cache: dict[tuple, Any] = {}
_cache_lock = threading.Lock()


def _cache_key(kind: str, identifier: str) -> tuple:
    return kind, identifier, os.environ.get("BRAINMARK_HOME", ""), os.environ.get("BRAINMARK_DATA_MIRROR", "")


def _copy(obj: Any) -> Any:
    if isinstance(obj, xr.DataArray):
        return obj.copy(deep=True)
    if isinstance(obj, StimulusSet):
        return StimulusSet(obj.identifier, obj.table.copy(), degrees=obj.degrees, attrs=dict(obj.attrs))
    return obj


def _load(registry: Registry[Any], kind: str, identifier: str) -> Any:
    identifier = registry.resolve(identifier)
    key = _cache_key(kind, identifier)
    with _cache_lock:
        hit = _cache.get(key)
    if hit is None:
        hit = registry.load(identifier)
        with _cache_lock:
            _cache[key] = hit
    return _copy(hit)


def load_dataset(identifier: str) -> xr.DataArray:
    """Load a registered dataset (an assembly, trials, or labelled matrices) as an ``xarray.DataArray``.

    Files are resolved through the store (shipped -> cache -> mirror -> download) and verified; the parsed
    result is kept for the rest of the process, and each call returns an independent copy.
    """
    return _load(DATASETS, "dataset", identifier)


def load_stimulus_set(identifier: str) -> StimulusSet:
    """Load a registered :class:`StimulusSet` (image files resolved and verified through the store)."""
    return _load(STIMULUS_SETS, "stimulus set", identifier)


def list_datasets(kind: str | None = None) -> list[str]:
    """Identifiers of registered datasets (and stimulus sets when ``kind`` is None or ``"stimuli"``)."""
    names = [] if kind == "stimuli" else [n for n in DATASETS.names() if kind is None or _kind(DATASETS, n) == kind]
    if kind in (None, "stimuli"):
        names += STIMULUS_SETS.names()
    return names


def list_stimulus_sets() -> list[str]:
    """Identifiers of the registered stimulus sets."""
    return STIMULUS_SETS.names()


def _kind(registry: Registry[Any], identifier: str) -> str | None:
    factory = registry.factory(identifier)
    return factory.kind if isinstance(factory, DatasetEntry) else None


def dataset_info(identifier: str) -> DatasetEntry:
    """The registry entry of a dataset or stimulus set (files, checksums, URLs, citation, license)."""
    registry = DATASETS if identifier in DATASETS or identifier not in STIMULUS_SETS else STIMULUS_SETS
    factory = registry.factory(identifier)
    if not isinstance(factory, DatasetEntry):
        return DatasetEntry(identifier, "stimuli" if registry is STIMULUS_SETS else "neural",
                            loader=lambda files: factory(), files=(),
                            description=f"registered through an entry point ({getattr(factory, '__module__', '?')})")
    return factory


def clear_memory_cache() -> None:
    """Forget parsed datasets kept in this process (files on disk stay)."""
    with _cache_lock:
        _cache.clear()
