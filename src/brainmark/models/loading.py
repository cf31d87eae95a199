"""Model registry and ``load_model``: zoo names, ``timm:<name>``, ``file.py:factory`` / ``module:factory``.

Zoo entries are factories ``factory(untrained: bool = False, seed: int = 0) -> ModelSpec`` registered in
:data:`MODELS` (extensible through the ``brainmark.models`` entry-point group) with their metadata in
:data:`MODEL_INFO` (family, paper, literature ImageNet top-1, weights URL, candidate layers, input size,
normalisation, visual degrees).
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import os
import sys
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping
from urllib.parse import urlparse

import torch

from brainmark.models.errors import UserModelError, WeightsUnavailableError
from brainmark.models.pytorch_model import PytorchBrainModel
from brainmark.models.spec import ModelSpec
from brainmark.registry import Registry

MODELS: Registry[Callable[..., ModelSpec]] = Registry("model", "brainmark.models")
MODEL_INFO: dict[str, dict[str, Any]] = {}
UNTRAINED_SUFFIX = "-untrained"


def register_model(name: str, factory: Callable[..., ModelSpec], **info: Any) -> None:
    """Add a zoo entry with its metadata."""
    MODELS.register(name, factory, replace=True)
    MODEL_INFO[name] = {"identifier": name, "visual_degrees": 8.0, **info}


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Random initialisation from ``seed`` without disturbing the caller's global torch RNG."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        yield


def offline() -> bool:
    """``BRAINMARK_OFFLINE=1`` skips download attempts (fail fast with a clear error)."""
    return os.environ.get("BRAINMARK_OFFLINE", "").lower() in ("1", "true", "yes")


def unavailable(name: str, url: str, reason: str = "") -> WeightsUnavailableError:
    target = Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(url).path).name
    why = f" ({reason})" if reason else ""
    return WeightsUnavailableError(
        f"published weights of {name!r} are not available offline{why}: {url}. Either go online, put the file "
        f"at {target}, or use random weights: load_model({name!r}, untrained=True) / `--untrained`"
    )


def hub_file(url: str) -> Path:
    """Where torch.hub caches the file of ``url``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(url).path).name


def fetch_state_dict(name: str, url: str) -> tuple[dict[str, Any], str]:
    """The state dict at ``url`` (torch.hub cache, else download), loaded with ``weights_only=True``."""
    path = hub_file(url)
    if not path.is_file():
        if offline():
            raise unavailable(name, url, "BRAINMARK_OFFLINE is set")
        try:
            torch.hub.download_url_to_file(url, str(path), progress=False)
        except Exception as exc:  # URLError, socket errors, HTTP errors: all mean "not available"
            raise unavailable(name, url, f"{type(exc).__name__}: {exc}") from exc
    return torch.load(path, map_location="cpu", weights_only=True), str(path)


# --- user models ------------------------------------------------------------------------------------------
def _user_factory(reference: str) -> Callable[..., Any]:
    target, _, attr = reference.rpartition(":")
    if not target or not attr:
        raise UserModelError(f"a user model is 'path/to/file.py:factory' or 'package.module:factory', got {reference!r}")
    if target.endswith(".py") or os.sep in target or "/" in target:
        path = Path(target).expanduser().resolve()
        if not path.is_file():
            raise UserModelError(f"model file {path} does not exist (from {reference!r})")
        module_name = f"brainmark_user_model_{abs(hash(str(path)))}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise UserModelError(f"cannot import {path} as a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(module_name, None)
            raise UserModelError(f"importing model file {path} raised {type(exc).__name__}: {exc}") from exc
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise UserModelError(f"cannot import module {target!r} for user model {reference!r}: {exc}") from exc
    factory = getattr(module, attr, None)
    if factory is None or not callable(factory):
        names = [n for n, v in vars(module).items() if callable(v) and not n.startswith("_")]
        raise UserModelError(
            f"{target} does not define a callable {attr!r} (the factory returning a brainmark ModelSpec); "
            f"callables there: {', '.join(sorted(names)) or 'none'}"
        )
    return factory


def _call_factory(factory: Callable[..., Any], untrained: bool, seed: int) -> Any:
    params = inspect.signature(factory).parameters
    kwargs: dict[str, Any] = {}
    if "untrained" in params:
        kwargs["untrained"] = untrained
    elif untrained:
        raise UserModelError(f"factory {getattr(factory, '__name__', factory)!r} does not accept untrained=")
    if "seed" in params:
        kwargs["seed"] = seed
    with seeded(seed):
        return factory(**kwargs)


def _looks_like_brain_model(obj: Any) -> bool:
    return all(hasattr(obj, a) for a in ("identifier", "look_at", "start_recording", "start_task", "visual_degrees"))


def load_model(
    identifier: str,
    /,
    *,
    untrained: bool = False,
    seed: int = 0,
    device: str | None = None,
    batch_size: int = 32,
    reduction: Any = "auto",
    layers: Mapping[str, str] | None = None,
    workers: int | None = None,
    use_cache: bool = True,
    identifier_override: str | None = None,
    memory_budget: int | str | None = None,
    **kwargs: Any,
) -> Any:
    """A BrainModel by zoo name (``resnet18``, ``resnet18-untrained``), ``timm:<name>``, or user reference.

    ``untrained=True`` gives random, seeded weights (identifier suffixed ``-untrained``, plus ``-seed<n>`` when
    ``seed != 0``); ``layers={region: layer}`` fixes the commitment by hand; ``identifier=`` (keyword, e.g.
    for uploaded models) names the resulting model; ``memory_budget`` bounds the full-size activations one
    extraction holds (see :mod:`brainmark.models.reduction`).
    """
    unknown = set(kwargs) - {"identifier"}
    if unknown:
        raise TypeError(f"load_model got unexpected options {sorted(unknown)}")
    identifier_override = identifier_override or kwargs.get("identifier")
    name = identifier.strip()
    if name.endswith(UNTRAINED_SUFFIX):
        name, untrained = name[: -len(UNTRAINED_SUFFIX)], True
    if name.startswith("timm:"):
        from brainmark.models.timm_zoo import timm_spec

        spec: Any = timm_spec(name[len("timm:") :], untrained=untrained, seed=seed)
    elif ":" in name:
        factory = _user_factory(name)
        spec = _call_factory(factory, untrained, seed)
        if not isinstance(spec, ModelSpec) and not _looks_like_brain_model(spec):
            raise UserModelError(
                f"factory {name!r} returned {type(spec).__name__}; it must return brainmark.models.ModelSpec "
                "(module, layers, preprocessing, ...) or a BrainModel"
            )
        if isinstance(spec, ModelSpec) and spec.identifier is None:
            spec.identifier = name.rpartition(":")[2]
    else:
        spec = _call_factory(MODELS.factory(name), untrained, seed)
    if _looks_like_brain_model(spec):
        return spec
    if untrained:
        spec.metadata = _untrained_metadata(dict(spec.metadata or {}), seed)
    base = spec.identifier or name
    final = base + (UNTRAINED_SUFFIX if untrained else "") + (f"-seed{seed}" if untrained and seed else "")
    final = identifier_override or final
    return PytorchBrainModel(
        spec,
        final,
        batch_size=batch_size,
        device=device,
        reduction=reduction,
        seed=seed,
        layers=layers,
        workers=workers,
        use_cache=use_cache,
        memory_budget=memory_budget,
    )


#: Top-1 accuracy (percent) of guessing among the 1,000 ImageNet classes: what random weights achieve.
CHANCE_TOP1 = 0.1


def _untrained_metadata(metadata: dict[str, Any], seed: int) -> dict[str, Any]:
    """Metadata of the random-weights control: the literature top-1 belongs to the trained weights, not to it."""
    if "imagenet_top1" in metadata:
        metadata["imagenet_top1_pretrained"] = metadata.pop("imagenet_top1")
        metadata["imagenet_top1"] = CHANCE_TOP1
    metadata["weights"] = f"random initialisation (seed {seed})"
    return metadata
