"""Content-addressed activation cache under ``$BRAINMARK_HOME/activations``.

The key is a sha256 over everything that can change the numbers: model identifier, weights hash (sha256 of the
state-dict tensors), layer, presentation parameters (input size, normalisation, model and stimulus degrees),
the stimulus set's content hash, the reduction (kind, size, seed, PCA fitting-set hash), and the brainmark and
torch versions. Values are stored as ``.npy`` (read with ``allow_pickle=False``) plus a JSON side-car written last,
both atomically, so a half-written entry is never read. No pickles anywhere.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from brainmark import paths
from brainmark._io import atomic_write
from brainmark._json import canonical_hash
from brainmark._version import __version__

FORMAT = "brainmark.activations/1"


def cache_key(parts: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of ``parts`` (plus brainmark and torch versions and the format)."""
    return canonical_hash({**parts, "brainmark_version": __version__, "torch_version": torch.__version__,
                           "format": FORMAT})


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.+" else "_" for c in name)[:120] or "model"


def state_dict_hash(module: nn.Module) -> str:
    """sha256 over (name, dtype, shape, bytes) of every state-dict tensor, in name order."""
    h = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        if not isinstance(tensor, torch.Tensor):
            continue
        t = tensor.detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        if t.numel():
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def weights_hash(module: nn.Module, source_file: str | Path | None = None) -> str:
    """The weights hash; remembered on disk per weights file (path, size, mtime) so it is computed once."""
    if source_file is None or not Path(source_file).is_file():
        return state_dict_hash(module)
    stat = Path(source_file).stat()
    memo_key = f"{Path(source_file).resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    memo_path = paths.subdir("activations") / "weights-hashes.json"
    try:
        memo = json.loads(memo_path.read_text())
    except (OSError, ValueError):
        memo = {}
    if memo_key not in memo:
        memo[memo_key] = state_dict_hash(module)
        with atomic_write(memo_path, "w") as f:
            json.dump(memo, f, indent=1, sort_keys=True)
    return memo[memo_key]


class ActivationCache:
    """Activations by content key; ``root`` defaults to ``$BRAINMARK_HOME/activations``."""

    def __init__(self, root: str | Path | None = None) -> None:
        self._root = Path(root) if root is not None else None

    @property
    def root(self) -> Path:
        """The cache folder (created on use; ``$BRAINMARK_HOME/activations`` by default)."""
        if self._root is not None:
            self._root.mkdir(parents=True, exist_ok=True)
            return self._root
        return paths.subdir("activations")

    def _paths(self, model: str, key: str) -> tuple[Path, Path]:
        folder = self.root / _safe(model)
        return folder / f"{key}.npy", folder / f"{key}.json"

    def exists(self, model: str, key: str) -> bool:
        """Whether a complete entry is stored under ``key``."""
        npy, meta_path = self._paths(model, key)
        return meta_path.is_file() and npy.is_file()

    def load(self, model: str, key: str) -> tuple[np.ndarray, dict[str, Any]] | None:
        """The cached array and its metadata, or None when absent or unreadable."""
        npy, meta_path = self._paths(model, key)
        if not meta_path.is_file() or not npy.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            array = np.load(npy, allow_pickle=False)
        except (OSError, ValueError):
            return None
        if list(array.shape) != meta.get("shape"):
            return None
        return array, meta

    def save(self, model: str, key: str, array: np.ndarray, meta: dict[str, Any]) -> None:
        """Store ``array`` and its metadata under ``key`` (atomic writes, array first)."""
        npy, meta_path = self._paths(model, key)
        with atomic_write(npy) as f:
            np.save(f, np.ascontiguousarray(array), allow_pickle=False)
        record = {**meta, "model": model, "key": key, "shape": list(array.shape), "created": time.time()}
        with atomic_write(meta_path, "w") as f:
            json.dump(record, f, default=str)

    def load_widths(self, model: str, key: str) -> dict[str, int]:
        """Remembered layer widths (features per stimulus) of a model's network at one input size."""
        path = self.root / _safe(model) / f"widths-{key}.json"
        try:
            return {str(k): int(v) for k, v in json.loads(path.read_text()).items()}
        except (OSError, ValueError, AttributeError):
            return {}

    def save_widths(self, model: str, key: str, widths: dict[str, int]) -> None:
        """Remember layer widths (merged with those already known)."""
        merged = {**self.load_widths(model, key), **{k: int(v) for k, v in widths.items()}}
        path = self.root / _safe(model) / f"widths-{key}.json"
        with atomic_write(path, "w") as f:
            json.dump(merged, f, sort_keys=True)

    def entries(self) -> list[dict[str, Any]]:
        """One dict per complete entry: model, layer, stimuli, shape, bytes, created, key."""
        rows = []
        for meta_path in sorted(self.root.glob("*/*.json")):
            npy = meta_path.with_suffix(".npy")
            if not npy.is_file():
                continue
            try:
                meta = json.loads(meta_path.read_text())
            except (OSError, ValueError):
                continue
            rows.append(
                {
                    "model": meta.get("model", meta_path.parent.name),
                    "layer": meta.get("layer", "?"),
                    "stimuli": meta.get("stimulus_set", "?"),
                    "shape": tuple(meta.get("shape", ())),
                    "reduction": (meta.get("info") or {}).get("reduction", "?"),
                    "bytes": npy.stat().st_size + meta_path.stat().st_size,
                    "created": meta.get("created", 0.0),
                    "key": meta_path.stem,
                }
            )
        return rows

    def clear(self, model: str | None = None) -> tuple[int, int]:
        """Delete all entries (or one model's); returns (entries removed, bytes freed)."""
        folders = [self.root / _safe(model)] if model else [p for p in self.root.iterdir() if p.is_dir()]
        count = size = 0
        for folder in folders:
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if path.suffix == ".json" and path.with_suffix(".npy").is_file():
                    count += 1
                size += path.stat().st_size
            shutil.rmtree(folder)
        return count, size
