"""StimulusSet: a table of stimuli (``stimulus_id`` + metadata), each row pointing at an image file.

A thin wrapper around a pandas DataFrame (no subclassing) with a content hash over ids and image bytes,
usable as a cache key: two stimulus sets with the same ids and the same image bytes hash the same wherever
their files live.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import pandas as pd

from brainmark.errors import BrainmarkError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp")


class StimulusSetError(BrainmarkError, ValueError):
    """A stimulus set is malformed (missing ids or files, duplicated ids...)."""


@dataclass
class StimulusSet:
    """Stimuli to show a model.

    ``table`` has one row per stimulus with at least ``stimulus_id`` (unique strings) and ``image_path``
    (absolute paths); further columns are metadata (``object_name``, ``category_name``...).
    ``degrees`` is the visual angle the images spanned in the experiment (None if unknown).
    """

    identifier: str
    table: pd.DataFrame
    degrees: float | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    _hash: str | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        table = self.table.copy()
        for column in ("stimulus_id", "image_path"):
            if column not in table.columns:
                raise StimulusSetError(f"stimulus set {self.identifier!r} has no {column!r} column")
        table["stimulus_id"] = table["stimulus_id"].astype(str)
        table["image_path"] = [str(Path(p)) for p in table["image_path"]]
        dup = table["stimulus_id"][table["stimulus_id"].duplicated()].unique().tolist()
        if dup:
            raise StimulusSetError(f"stimulus set {self.identifier!r} has duplicated stimulus ids, e.g. {dup[:5]}")
        self.table = table.reset_index(drop=True)

    # --- construction -------------------------------------------------------------------------------------
    @classmethod
    def from_files(
        cls,
        identifier: str,
        paths: Sequence[str | Path],
        stimulus_ids: Sequence[str] | None = None,
        degrees: float | None = None,
        **metadata: Sequence[Any],
    ) -> "StimulusSet":
        """A stimulus set of image files (ids default to the file stems), with metadata columns."""
        paths = [Path(p).resolve() for p in paths]
        ids = list(stimulus_ids) if stimulus_ids is not None else [p.stem for p in paths]
        table = pd.DataFrame({"stimulus_id": ids, "image_path": [str(p) for p in paths], **metadata})
        return cls(identifier, table, degrees=degrees)

    @classmethod
    def from_directory(cls, identifier: str, folder: str | Path, degrees: float | None = None) -> "StimulusSet":
        """All images in ``folder`` (sorted by name), ids = file stems."""
        folder = Path(folder)
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not paths:
            raise StimulusSetError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {folder}")
        return cls.from_files(identifier, paths, degrees=degrees)

    # --- access -------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.table)

    def __iter__(self) -> Iterator[str]:
        return iter(self.stimulus_ids)

    @property
    def stimulus_ids(self) -> list[str]:
        """The stimulus ids, in table order."""
        return self.table["stimulus_id"].tolist()

    @property
    def image_paths(self) -> list[str]:
        """The image paths, in table order."""
        return self.table["image_path"].tolist()

    def get_image_path(self, stimulus_id: str) -> str:
        """The image path of one stimulus id."""
        match = self.table.loc[self.table["stimulus_id"] == str(stimulus_id), "image_path"]
        if match.empty:
            raise StimulusSetError(f"stimulus {stimulus_id!r} is not in stimulus set {self.identifier!r}")
        return str(match.iloc[0])

    def subset(self, stimulus_ids: Sequence[str], identifier: str | None = None) -> "StimulusSet":
        """The stimuli with these ids, in this order."""
        index = {sid: i for i, sid in enumerate(self.stimulus_ids)}
        missing = [s for s in stimulus_ids if str(s) not in index]
        if missing:
            raise StimulusSetError(f"{len(missing)} ids are not in stimulus set {self.identifier!r}: {missing[:5]}")
        rows = self.table.iloc[[index[str(s)] for s in stimulus_ids]]
        return StimulusSet(identifier or f"{self.identifier}.subset", rows, degrees=self.degrees, attrs=dict(self.attrs))

    def metadata(self, column: str) -> list[Any]:
        """One metadata column as a list, in table order."""
        if column not in self.table.columns:
            raise StimulusSetError(
                f"stimulus set {self.identifier!r} has no {column!r} column; columns: {list(self.table.columns)}"
            )
        return self.table[column].tolist()

    # --- identity -----------------------------------------------------------------------------------------
    def content_hash(self) -> str:
        """sha256 over (stimulus id, image bytes) in order: a cache key independent of where files live."""
        if self._hash is None:
            h = hashlib.sha256()
            for sid, path in zip(self.stimulus_ids, self.image_paths):
                h.update(sid.encode() + b"\0")
                try:
                    h.update(hashlib.sha256(Path(path).read_bytes()).digest())
                except OSError as exc:
                    raise StimulusSetError(
                        f"cannot read image of stimulus {sid!r} in {self.identifier!r}: {path} ({exc.strerror})"
                    ) from exc
            if self.degrees is not None:
                h.update(f"degrees={self.degrees!r}".encode())
            self._hash = h.hexdigest()
        return self._hash
