"""Model registry and ``load_model``: zoo names, ``timm:<name>``, ``file.py:factory`` / ``module:factory``.

Zoo entries are :class:`ModelEntry` objects in :data:`MODELS` (extensible through the ``brainmark.models``
entry-point group): a factory ``factory(untrained: bool = False, seed: int = 0) -> ModelSpec`` with its metadata
(family, paper, literature ImageNet top-1, weights URL, candidate layers, input size, normalisation, visual
degrees), read with :func:`model_entry_info`. ``load_model`` also takes a ``ModelSpec`` or a torch module.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
import importlib
import importlib.util
import inspect
import os
import sys
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping
from urllib.parse import urlparse

import torch

from brainmark.models.brain_model import BrainModel
from brainmark.models.errors import UserModelError, WeightsUnavailableError
from brainmark.models.pytorch_model import PytorchBrainModel
from brainmark.models.spec import ModelSpec
from brainmark.registry import Registry

UNTRAINED_SUFFIX = "-untrained"


@dataclass(frozen=True)
class ModelEntry:
    """A zoo entry: ``factory(untrained=False, seed=0) -> ModelSpec`` and its metadata (``info``: family, paper,
    literature ImageNet top-1, weights URL, candidate layers, input size, normalisation, visual degrees)."""

    factory: Callable[..., ModelSpec]
    info: Mapping[str, Any]

    def __call__(self, **kwargs: Any) -> ModelSpec:
        """Build the ModelSpec (see :attr:`factory`)."""
        return self.factory(**kwargs)


#: Zoo name -> :class:`ModelEntry`; plugins add factories through the ``brainmark.models`` entry-point group.
MODELS: Registry[Any] = Registry("model", "brainmark.models")


def register_model(name: str, factory: Callable[..., ModelSpec], *, replace: bool = False, **info: Any) -> ModelEntry:
    """Add a zoo entry with its metadata (a name already taken is an error unless ``replace=True``)."""
    entry = ModelEntry(factory, {"identifier": name, "visual_degrees": 8.0, **info})
    MODELS.register(name, entry, replace=replace)
    return entry


def model_entry_info(name: str) -> dict[str, Any]:
    """The metadata of zoo model ``name`` (empty for a plugin factory registered without any)."""
    entry = MODELS.factory(name)
    return dict(entry.info) if isinstance(entry, ModelEntry) else {"identifier": MODELS.resolve(name)}


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
    """The error for published weights that cannot be had offline, saying the three ways out."""
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
    factory = factory.factory if isinstance(factory, ModelEntry) else factory
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


def _spec_from(model: Any, untrained: bool, seed: int, spec_fields: dict[str, Any]) -> tuple[Any, str]:
    """The ModelSpec (or a ready BrainModel) behind ``model`` and the base name of the resulting model."""
    if isinstance(model, (ModelSpec, BrainModel, torch.nn.Module)) and untrained:
        raise UserModelError("untrained=True applies to zoo names and factories (which build the weights); "
                             "re-initialise the module yourself before handing it to load_model")
    if isinstance(model, ModelSpec) or isinstance(model, BrainModel):
        if spec_fields:
            raise TypeError(f"load_model got ModelSpec fields {sorted(spec_fields)} with a ready {type(model).__name__}")
        return model, str(getattr(model, "identifier", None) or "model")
    if isinstance(model, torch.nn.Module):
        if "candidate_layers" not in spec_fields:
            raise UserModelError("load_model(module) needs candidate_layers=[...] (dotted module paths, shallow to "
                                 "deep), e.g. load_model(net, candidate_layers=['layer1', 'layer2'], "
                                 "preprocessing=Preprocessing(224), identifier='mynet')")
        fields = dict(spec_fields)
        spec = ModelSpec(model, layers=fields.pop("candidate_layers"), **fields)
        return spec, spec.identifier or type(model).__name__.lower()
    if spec_fields:
        raise TypeError(f"load_model got unexpected options {sorted(spec_fields)}")
    if not isinstance(model, str):
        raise UserModelError(f"load_model takes a model name, a ModelSpec or a torch.nn.Module, got {type(model).__name__}")
    name = model.strip()
    if name.endswith(UNTRAINED_SUFFIX):
        name, untrained = name[: -len(UNTRAINED_SUFFIX)], True
    if name.startswith("timm:"):
        from brainmark.models.timm_zoo import timm_spec

        return timm_spec(name[len("timm:"):], untrained=untrained, seed=seed), name
    if ":" in name:
        spec = _call_factory(_user_factory(name), untrained, seed)
        if not isinstance(spec, (ModelSpec, BrainModel)):
            raise UserModelError(
                f"factory {name!r} returned {type(spec).__name__}; it must return brainmark.models.ModelSpec "
                "(module, layers, preprocessing, ...) or a BrainModel"
            )
        if isinstance(spec, ModelSpec) and spec.identifier is None:
            spec.identifier = name.rpartition(":")[2]
        return spec, name
    return _call_factory(MODELS.factory(name), untrained, seed), MODELS.resolve(name)


def load_model(
    model: "str | ModelSpec | torch.nn.Module",
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
    identifier: str | None = None,
    memory_budget: int | str | None = None,
    **spec_fields: Any,
) -> BrainModel:
    """A BrainModel from a zoo name, a user factory, a :class:`ModelSpec` or a torch module.

    Parameters
    ----------
    model : str, ModelSpec or torch.nn.Module
        A zoo name (``"resnet18"``, ``"resnet18-untrained"``, case-insensitive), ``"timm:<name>"``, a user
        factory (``"path/to/file.py:factory"`` or ``"package.module:factory"``), a ready ModelSpec, or a module
        (then give ``candidate_layers=[...]`` and optionally other ModelSpec fields: ``preprocessing``,
        ``readout_layer``, ``imagenet_output``, ``visual_degrees``, ``metadata``).
    untrained, seed : random, seeded weights (identifier suffixed ``-untrained``, plus ``-seed<n>`` when seed != 0).
    device, batch_size, workers : where and how the forward passes run.
    reduction : how each layer's activations are reduced as they stream (see :mod:`brainmark.models.reduction`).
    layers : ``{region: layer}`` fixed by hand (benchmarks keep them instead of selecting).
    use_cache : cache activations under ``$BRAINMARK_HOME/activations``.
    identifier : the name of the resulting model (e.g. for uploaded models).
    memory_budget : the most full-size activations one extraction holds (bytes or ``"512MiB"``; default 512 MiB or
        ``$BRAINMARK_MEMORY_BUDGET``); wider layers are kept as their exact Gram embedding (see
        :mod:`brainmark.models.reduction`).

    Returns
    -------
    BrainModel
        A :class:`~brainmark.models.PytorchBrainModel` (a :class:`~brainmark.models.LayeredBrainModel`), or the
        BrainModel a user factory returned.
    """
    if isinstance(model, str) and model.strip().endswith(UNTRAINED_SUFFIX):  # "alexnet-untrained" == untrained=True
        model, untrained = model.strip()[: -len(UNTRAINED_SUFFIX)], True
    spec, name = _spec_from(model, untrained, seed, spec_fields)
    if isinstance(spec, BrainModel) and not isinstance(spec, ModelSpec):
        return spec
    if untrained:
        spec.metadata = _untrained_metadata(dict(spec.metadata or {}), seed)
    base = spec.identifier or name
    final = identifier or (base + (UNTRAINED_SUFFIX if untrained else "") + (f"-seed{seed}" if untrained and seed else ""))
    return PytorchBrainModel(spec, final, batch_size=batch_size, device=device, reduction=reduction, seed=seed,
                             layers=layers, workers=workers, use_cache=use_cache,
                             memory_budget=memory_budget)


#: Top-1 accuracy (percent) of guessing among the 1,000 ImageNet classes: what random weights achieve.
CHANCE_TOP1 = 0.1


def _untrained_metadata(metadata: dict[str, Any], seed: int) -> dict[str, Any]:
    """Metadata of the random-weights control: the literature top-1 belongs to the trained weights, not to it."""
    if "imagenet_top1" in metadata:
        metadata["imagenet_top1_pretrained"] = metadata.pop("imagenet_top1")
        metadata["imagenet_top1"] = CHANCE_TOP1
    metadata["weights"] = f"random initialisation (seed {seed})"
    if "training_data" in metadata:
        metadata["training_data"] = "none (random weights)"
    return metadata
