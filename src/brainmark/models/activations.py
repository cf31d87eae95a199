"""Memory-bounded activation extraction from a PyTorch network.

One forward pass serves many layers: forward hooks on dotted module paths reduce each layer's output as soon
as it is produced (see :mod:`brainmark.models.reduction`), so only one layer of one batch is ever held at full
size. Images are decoded and presented by a small thread pool one batch ahead of the forward pass, overlapping
decoding with compute. Runs under ``torch.inference_mode`` in eval mode on CPU or CUDA.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from brainmark.data.stimuli import StimulusSet
from brainmark.models.errors import ModelError, ModelForwardError, ModelOutputError, UnknownLayerError
from brainmark.models.preprocessing import Preprocessing, present
from brainmark.models.reduction import LayerReducer, Reduction
from brainmark.progress import progress

OUTPUT = "__output__"  # pseudo-layer: the network's own output (logits)
INPUT_SUFFIX = ":input"  # "fc:input" = the tensor entering module "fc" (e.g. pooled penultimate features)


def module_path(layer: str) -> str:
    """The module path of a layer name (``fc:input`` -> ``fc``)."""
    return layer[: -len(INPUT_SUFFIX)] if layer.endswith(INPUT_SUFFIX) else layer


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """``None``/``"auto"`` -> CUDA when available, else CPU; otherwise the named device."""
    if device is None or str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def default_workers() -> int:
    """Image-decoding threads: enough to keep one batch ahead without crowding a small machine."""
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def check_layers(module: nn.Module, layers: Sequence[str], candidates: Sequence[str] = ()) -> None:
    """Raise :class:`UnknownLayerError` naming the bad layer and listing valid ones."""
    names = {name for name, _ in module.named_modules() if name}
    unknown = [layer for layer in layers if module_path(layer) not in names]
    if unknown:
        shown = list(candidates) or sorted(names)[:40]
        more = "" if candidates or len(names) <= 40 else f" (and {len(names) - 40} more module paths)"
        raise UnknownLayerError(
            f"unknown layer(s) {unknown}: not module paths of this network. "
            f"Candidate layers: {', '.join(shown)}{more}"
        )


class ActivationExtractor:
    """Run a network over stimulus sets and return reduced activations of several layers at once."""

    def __init__(
        self,
        module: nn.Module,
        preprocessing: Preprocessing,
        model_degrees: float = 8.0,
        *,
        identifier: str = "model",
        batch_size: int = 32,
        device: str | torch.device | None = None,
        workers: int | None = None,
        candidate_layers: Sequence[str] = (),
    ) -> None:
        self.module = module
        self.preprocessing = preprocessing
        self.model_degrees = float(model_degrees)
        self.identifier = identifier
        self.batch_size = int(batch_size)
        self.device = resolve_device(device)
        self.workers = default_workers() if workers is None else max(1, int(workers))
        self.candidate_layers = list(candidate_layers)
        self._module_on_device = False

    # --- batches ------------------------------------------------------------------------------------------
    def batches(self, stimulus_set: StimulusSet) -> Iterator[tuple[list[int], torch.Tensor]]:
        """Yield (row indices, input tensor) per batch, decoding the next batch while this one is computed."""
        ids, paths = stimulus_set.stimulus_ids, stimulus_set.image_paths
        degrees = stimulus_set.degrees
        chunks = [list(range(i, min(i + self.batch_size, len(ids)))) for i in range(0, len(ids), self.batch_size)]
        if not chunks:
            return
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="brainmark-images") as pool:

            def submit(chunk: list[int]) -> list[Any]:
                return [
                    pool.submit(present, paths[j], self.preprocessing, self.model_degrees, degrees, ids[j])
                    for j in chunk
                ]

            pending = submit(chunks[0])
            for index, chunk in enumerate(chunks):
                futures = pending
                pending = submit(chunks[index + 1]) if index + 1 < len(chunks) else []
                try:
                    tensors = [f.result() for f in futures]
                except BaseException:
                    for f in pending:
                        f.cancel()
                    raise
                yield chunk, torch.stack(tensors)

    # --- extraction ---------------------------------------------------------------------------------------
    def extract(
        self,
        stimulus_set: StimulusSet,
        layers: Sequence[str],
        reduction: Reduction | None = None,
        *,
        with_output: bool = False,
        desc: str | None = None,
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        """Reduced activations per layer (``n_stimuli x n_outputs`` float32) and per-layer reduction info.

        ``with_output`` adds the network's output under the key ``OUTPUT`` (never reduced).
        """
        reduction = reduction or Reduction()
        layers = list(dict.fromkeys(layers))
        check_layers(self.module, layers, self.candidate_layers)
        n = len(stimulus_set)
        reducers: dict[str, LayerReducer] = {}
        if reduction.kind == "pca":
            self._fit_pca(reduction, layers, reducers, n)
        arrays, _ = self._run(stimulus_set, layers, reduction, reducers, with_output, mode="transform", desc=desc)
        info = {layer: {**reducers[layer].describe(n), "layer": layer} for layer in layers}
        return arrays, info

    def _fit_pca(self, reduction: Reduction, layers: list[str], reducers: dict[str, LayerReducer], n: int) -> None:
        fitting: StimulusSet = reduction.fitting_stimuli
        projected, _ = self._run(fitting, layers, reduction, reducers, False, mode="project", desc="fitting PCA")
        for layer in layers:
            reducers[layer].fit(projected[layer])

    def _ensure_device(self) -> None:
        if not self._module_on_device:
            self.module.to(self.device)
            self._module_on_device = True
        self.module.eval()

    def _run(
        self,
        stimulus_set: StimulusSet,
        layers: list[str],
        reduction: Reduction,
        reducers: dict[str, LayerReducer],
        with_output: bool,
        mode: str,
        desc: str | None,
    ) -> tuple[dict[str, np.ndarray], None]:
        self._ensure_device()
        n = len(stimulus_set)
        ids = stimulus_set.stimulus_ids
        modules = dict(self.module.named_modules())
        captured: dict[str, torch.Tensor] = {}
        state: dict[str, Any] = {"batch": 0, "ids": []}

        def make_hook(layer: str):
            def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
                tensor = _first_tensor(output)
                if tensor is None:
                    raise ModelOutputError(
                        f"layer {layer!r} of {self.identifier} returned {type(output).__name__}, not a tensor"
                    )
                batch = state["batch"]
                if tensor.ndim == 0 or tensor.shape[0] != batch:
                    raise ModelOutputError(
                        f"layer {layer!r} of {self.identifier} returned shape {tuple(tensor.shape)} for a batch of "
                        f"{batch} images; the first dimension must be the batch"
                    )
                flat = tensor.detach().reshape(batch, -1)
                if not torch.isfinite(flat).all():
                    raise ModelOutputError(
                        f"layer {layer!r} of {self.identifier} produced NaN or inf for stimuli {state['ids'][:5]}"
                    )
                if layer not in reducers:
                    reducers[layer] = LayerReducer(flat.shape[1], reduction, n, self.device)
                reducer = reducers[layer]
                if flat.shape[1] != reducer.n_features:
                    raise ModelOutputError(
                        f"layer {layer!r} of {self.identifier} changed width from {reducer.n_features} to "
                        f"{flat.shape[1]} features between batches"
                    )
                captured[layer] = reducer.project(flat.float()) if mode == "project" else reducer(flat)

            return hook

        handles = []
        for layer in layers:
            hook = make_hook(layer)
            target = modules[module_path(layer)]
            if layer.endswith(INPUT_SUFFIX):
                handles.append(target.register_forward_pre_hook(lambda m, args, hook=hook: hook(m, None, args)))
            else:
                handles.append(target.register_forward_hook(hook))
        arrays: dict[str, np.ndarray] = {}
        try:
            bar = progress(desc=desc or f"{self.identifier} activations", total=n, unit="img")
            with torch.inference_mode(), bar:
                for rows, inputs in self.batches(stimulus_set):
                    state["batch"], state["ids"] = len(rows), [ids[r] for r in rows]
                    captured.clear()
                    output = self._forward(inputs, state["ids"])
                    if with_output:
                        captured[OUTPUT] = self._check_output(output, len(rows), state["ids"])
                    missing = [layer for layer in layers if layer not in captured]
                    if missing:
                        raise ModelOutputError(
                            f"layer(s) {missing} of {self.identifier} were not run during the forward pass; "
                            "pick layers that the network's forward() uses"
                        )
                    for key, value in captured.items():
                        if key not in arrays:
                            arrays[key] = np.empty((n, value.shape[1]), dtype=np.float32)
                        arrays[key][rows[0] : rows[-1] + 1] = value.float().cpu().numpy()
                    bar.update(len(rows))
        finally:
            for handle in handles:
                handle.remove()
        return arrays, None

    def _forward(self, inputs: torch.Tensor, ids: list[str]) -> Any:
        try:
            return self.module(inputs.to(self.device))
        except ModelError:
            raise
        except Exception as exc:
            raise ModelForwardError(
                f"{self.identifier} raised {type(exc).__name__} while looking at stimuli {ids[:5]}: {exc}"
            ) from exc

    def _check_output(self, output: Any, batch: int, ids: list[str]) -> torch.Tensor:
        tensor = _first_tensor(output)
        if tensor is None or tensor.ndim != 2 or tensor.shape[0] != batch:
            shape = None if tensor is None else tuple(tensor.shape)
            raise ModelOutputError(
                f"{self.identifier} returned output of shape {shape} for a batch of {batch}; expected (batch, classes)"
            )
        if not torch.isfinite(tensor).all():
            raise ModelOutputError(f"{self.identifier} returned NaN or inf outputs for stimuli {ids[:5]}")
        return tensor.float()


def _first_tensor(output: Any) -> torch.Tensor | None:
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    if hasattr(output, "logits") and isinstance(output.logits, torch.Tensor):
        return output.logits
    return None
