"""The hooks of one forward pass: validate each hooked layer's output, then stream it into its output array
(whole or reduced), hand it to the layer's anchor blocks (:mod:`brainmark.models.gram`), or (when probing) note
its width and where it fires."""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from brainmark.models.errors import ModelOutputError
from brainmark.models.gram import AnchorBlock
from brainmark.models.reduction import LayerReducer, Reduction, ReductionError, full_bytes

INPUT_SUFFIX = ":input"  # "fc:input" = the tensor entering module "fc" (e.g. pooled penultimate features)
Plan = Mapping[str, Reduction]


class StopForward(Exception):
    """Raised by the hook of the deepest layer a pass needs: the rest of the network is not run."""


class PassRecorder:
    """What one forward pass does with the layers it hooks: validate each output, then write it (reduced or whole)
    into its output array, or hand it to the layer's anchor blocks, or (probe) just note its width and position."""

    def __init__(self, identifier: str, n_stimuli: int, plan: Plan, device: torch.device, *,
                 streams: dict[str, LayerReducer] | None = None, arrays: dict[str, np.ndarray] | None = None,
                 blocks: Mapping[str, list[AnchorBlock]] | None = None, project_only: bool = False,
                 stop_after: str | None = None, clock: list[int] | None = None) -> None:
        self.identifier, self.n, self.plan, self.device = identifier, n_stimuli, plan, device
        self.clock = clock  # probe: a count of finished modules, to place each layer in the forward pass
        self.positions: dict[str, float] = {}
        self.streams = streams if streams is not None else {}
        self.arrays = arrays if arrays is not None else {}
        self.blocks = blocks or {}
        self.project_only, self.stop_after = project_only, stop_after
        self.batch, self.row0, self.ids = 0, 0, []
        self.fired: dict[str, int] = {}
        self.widths: dict[str, int] = {}

    def begin(self, rows: list[int], ids: list[str]) -> None:
        """Start a batch of stimuli ``rows`` (consecutive)."""
        self.batch, self.row0, self.ids = len(rows), rows[0], ids
        self.fired.clear()

    def hook(self, layer: str) -> Callable[[nn.Module, Any, Any], None]:
        """The forward hook of ``layer``."""

        def record(_module: nn.Module, _inputs: Any, output: Any) -> None:
            flat = self._flat(layer, output)
            self.fired[layer] = self.fired.get(layer, 0) + 1
            self.widths[layer] = int(flat.shape[1])
            if self.clock is not None:  # an input hook fires before its module's children finish
                self.positions.setdefault(layer, self.clock[0] + (0.5 if layer.endswith(INPUT_SUFFIX) else 0.0))
            for block in self.blocks.get(layer, ()):
                block.add(self.row0, flat)
            if layer in self.plan and self.plan[layer].kind != "gram":
                self._stream(layer, flat)
            if layer == self.stop_after:
                raise StopForward

        return record

    def _flat(self, layer: str, output: Any) -> torch.Tensor:
        tensor = first_tensor(output)
        if tensor is None:
            raise ModelOutputError(f"layer {layer!r} of {self.identifier} returned {type(output).__name__}, not a tensor")
        if tensor.ndim == 0 or tensor.shape[0] != self.batch:
            raise ModelOutputError(
                f"layer {layer!r} of {self.identifier} returned shape {tuple(tensor.shape)} for a batch of "
                f"{self.batch} images; the first dimension must be the batch"
            )
        flat = tensor.detach().reshape(self.batch, -1)
        if not torch.isfinite(flat).all():
            raise ModelOutputError(f"layer {layer!r} of {self.identifier} produced NaN or inf for stimuli {self.ids[:5]}")
        return flat

    def _reducer(self, layer: str, width: int) -> LayerReducer:
        if layer not in self.streams:
            reducer = LayerReducer(width, self.plan[layer], self.n, self.device)
            if self.plan[layer].kind == "none":
                held = sum(full_bytes(self.n, r.n_features) for name, r in self.streams.items()
                           if self.plan[name].kind == "none") + full_bytes(self.n, width)
                budget = self.plan[layer].budget()
                if held > budget:
                    raise ReductionError(
                        f"reduction 'none' would hold {held / 2**30:.2f} GiB of float32 activations ({self.n} stimuli) "
                        f"in a memory budget of {budget / 2**30:.2f} GiB; use reduction='auto' (exact embedding "
                        "beyond the budget) or raise memory_budget"
                    )
            self.streams[layer] = reducer
        reducer = self.streams[layer]
        if width != reducer.n_features:
            raise ModelOutputError(f"layer {layer!r} of {self.identifier} changed width from {reducer.n_features} "
                                   f"to {width} features between batches")
        return reducer

    def _stream(self, layer: str, flat: torch.Tensor) -> None:
        reducer = self._reducer(layer, int(flat.shape[1]))
        if self.project_only:
            out = reducer.project(flat.float())
        else:
            out = reducer(flat)
            reducer.measure(flat, out)
        self.put(layer, out)

    def put(self, key: str, values: torch.Tensor) -> None:
        """Copy a batch of rows of ``key`` into its output array (allocated on first use)."""
        if key not in self.arrays:
            self.arrays[key] = np.empty((self.n, values.shape[1]), dtype=np.float32)
        self.arrays[key][self.row0 : self.row0 + self.batch] = values.float().cpu().numpy()

    def check_fired(self, layers: Sequence[str]) -> None:
        """Every expected layer ran in this batch's forward pass."""
        missing = [layer for layer in layers if layer not in self.fired]
        if missing:
            raise ModelOutputError(
                f"layer(s) {missing} of {self.identifier} were not run during the forward pass; "
                "pick layers that the network's forward() uses"
            )


def first_tensor(output: Any) -> torch.Tensor | None:
    """The tensor in a module's output (a tensor, the first of a tuple/list, or ``.logits``), else None."""
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    if hasattr(output, "logits") and isinstance(output.logits, torch.Tensor):
        return output.logits
    return None
