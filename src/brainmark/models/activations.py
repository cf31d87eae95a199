"""Memory-bounded activation extraction from a PyTorch network.

One forward pass serves many layers: forward hooks on dotted module paths copy or reduce each layer's output the
moment it is produced (so later in-place operations, e.g. ``ReLU(inplace=True)``, cannot change it; see
:mod:`brainmark.models.reduction`). Layers kept whole are written straight into their output arrays; layers beyond
the memory budget get the exact Gram embedding (:mod:`brainmark.models.gram`), accumulated over extra passes that
run only the stimuli they need and stop after the deepest layer they serve. Images are decoded and presented by a
small thread pool one batch ahead of the forward pass. Runs under ``torch.inference_mode`` in eval mode on CPU
or CUDA.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from brainmark.data.stimuli import StimulusSet
from brainmark.models._recorder import INPUT_SUFFIX, Plan, PassRecorder, StopForward, first_tensor
from brainmark.models.errors import ModelError, ModelForwardError, ModelOutputError, UnknownLayerError
from brainmark.models.preprocessing import Preprocessing, present
from brainmark.models.gram import AnchorBlock, GramAccumulator, anchor_jobs, gram_embedding, schedule
from brainmark.models.reduction import LayerReducer, Reduction, ReductionError, full_bytes, plan_reductions
from brainmark.progress import progress

OUTPUT = "__output__"  # pseudo-layer: the network's own output (logits)



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
    """Run a network over stimulus sets and return activations of several layers at once, within a memory budget."""

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
        self._widths: dict[str, int] = {}
        self._position: dict[str, float] = {}  # when each layer's hook fires in a forward pass (probe)
        self._repeated: set[str] = set()  # layers whose module runs more than once per forward pass

    # --- batches ------------------------------------------------------------------------------------------
    def batches(self, stimulus_set: StimulusSet, start: int = 0) -> Iterator[tuple[list[int], torch.Tensor]]:
        """Yield (row indices, input tensor) per batch from row ``start``, decoding the next batch while this one
        is computed."""
        ids, paths = stimulus_set.stimulus_ids, stimulus_set.image_paths
        degrees = stimulus_set.degrees
        chunks = [list(range(i, min(i + self.batch_size, len(ids)))) for i in range(start, len(ids), self.batch_size)]
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

    # --- planning -----------------------------------------------------------------------------------------
    def layer_widths(self, stimulus_set: StimulusSet, layers: Sequence[str]) -> dict[str, int]:
        """Features per stimulus of each layer, from one forward pass on the first stimulus (remembered)."""
        missing = [layer for layer in dict.fromkeys(layers) if layer not in self._widths]
        if missing and len(stimulus_set):
            self._probe(stimulus_set.subset(stimulus_set.stimulus_ids[:1], identifier=stimulus_set.identifier), missing)
        return {layer: self._widths[layer] for layer in layers}

    def remember_widths(self, widths: Mapping[str, int]) -> None:
        """Take layer widths known from elsewhere (e.g. the activation cache), so no probe is needed for them."""
        for layer, width in widths.items():
            self._widths.setdefault(str(layer), int(width))

    def _probe(self, first: StimulusSet, layers: list[str]) -> None:
        """One image through the network: widths and firing positions of ``layers`` and the candidate layers."""
        clock = [0]

        def tick(*_args: Any) -> None:
            clock[0] += 1

        recorder = PassRecorder(self.identifier, 1, {}, self.device, clock=clock)
        ticks = [module.register_forward_hook(tick) for module in self.module.modules()]
        names = {name for name, _ in self.module.named_modules()}
        extra = [c for c in self.candidate_layers if c not in layers and module_path(c) in names]
        try:
            self._pass(first, recorder, layers + extra, with_output=False, desc="probing layer widths", required=layers)
        finally:
            for handle in ticks:
                handle.remove()
        self._widths.update(recorder.widths)
        self._position.update(recorder.positions)
        self._repeated.update(layer for layer, count in recorder.fired.items() if count > 1)

    def plan(self, stimulus_set: StimulusSet, layers: Sequence[str], reduction: "Reduction | Plan | None") -> dict[str, Reduction]:
        """The reduction of each layer (``auto`` resolved against the memory budget; a mapping is taken as given)."""
        if isinstance(reduction, Mapping):
            return {layer: reduction[layer] for layer in layers}
        reduction = reduction or Reduction()
        if reduction.kind != "auto":
            return {layer: reduction for layer in layers}
        return plan_reductions(reduction, self.layer_widths(stimulus_set, layers), len(stimulus_set))

    def _stop_layer(self, layers: Sequence[str]) -> str | None:
        """The deepest of ``layers`` when the probe knows where they fire (None: run the whole network)."""
        if not layers or any(layer not in self._position or layer in self._repeated for layer in layers):
            return None
        return max(layers, key=lambda layer: self._position[layer])

    # --- extraction ---------------------------------------------------------------------------------------
    def extract(
        self,
        stimulus_set: StimulusSet,
        layers: Sequence[str],
        reduction: "Reduction | Plan | None" = None,
        *,
        with_output: bool = False,
        desc: str | None = None,
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        """Activations per layer (``n_stimuli x n_outputs``) and per-layer reduction info.

        ``reduction``: one :class:`Reduction` for all layers (``auto`` is resolved against its memory budget) or a
        ``{layer: Reduction}`` plan. ``with_output`` adds the network's output under the key ``OUTPUT``.
        """
        layers = list(dict.fromkeys(layers))
        check_layers(self.module, layers, self.candidate_layers)
        n = len(stimulus_set)
        plan = self.plan(stimulus_set, layers, reduction)
        streams: dict[str, LayerReducer] = {}
        pca = [layer for layer in layers if plan[layer].kind == "pca"]
        if pca:
            self._fit_pca(plan, pca, streams)
        gram = self._gram_layers(stimulus_set, layers, plan)
        arrays: dict[str, np.ndarray] = {}
        passes = self._run_passes(stimulus_set, layers, plan, streams, arrays, gram, with_output, desc)
        info: dict[str, dict[str, Any]] = {}
        for layer in layers:
            if layer in gram:
                arrays[layer], record = gram_embedding(gram[layer].gram, gram[layer].row_sums, gram[layer].n_features)
                info[layer] = self._gram_info(layer, plan[layer], gram[layer], record, passes, n)
            else:
                info[layer] = {**streams[layer].describe(n), "layer": layer}
        return arrays, info

    def _gram_layers(self, stimulus_set: StimulusSet, layers: list[str], plan: dict[str, Reduction]) -> dict[str, GramAccumulator]:
        names = [layer for layer in layers if plan[layer].kind == "gram"]
        unplaced = [layer for layer in names if layer not in self._position]
        if unplaced and len(stimulus_set):  # widths may come from a cache; where and how often they fire may not
            self._probe(stimulus_set.subset(stimulus_set.stimulus_ids[:1], identifier=stimulus_set.identifier), unplaced)
        widths = self.layer_widths(stimulus_set, names)
        repeated = [layer for layer in names if layer in self._repeated]
        if repeated:
            raise ReductionError(f"layer(s) {repeated} of {self.identifier} run more than once per forward pass; the "
                                 "exact embedding needs one output per stimulus: use reduction='random' for them")
        return {layer: GramAccumulator(len(stimulus_set), widths[layer]) for layer in names}

    def _gram_info(self, layer: str, reduction: Reduction, acc: GramAccumulator, record: dict[str, Any],
                   passes: int, n: int) -> dict[str, Any]:
        return {"reduction": "gram", "layer": layer, "n_features": acc.n_features, "n_outputs": record["gram_rank"] + 1,
                "memory_budget_bytes": reduction.budget(), "full_bytes": full_bytes(n, acc.n_features),
                "embedding": "exact Gram embedding: inner products, distances and per-stimulus correlations of the "
                             "full features", "seed": None, "anchor_blocks": acc.passes, "forward_passes": passes,
                "distortion": record["gram_max_relative_error"], "distortion_measure": "max |E E' - X X'| / max |X X'|",
                "gram_rank": record["gram_rank"]}

    def _run_passes(self, stimulus_set: StimulusSet, layers: list[str], plan: dict[str, Reduction],
                    streams: dict[str, LayerReducer], arrays: dict[str, np.ndarray], gram: dict[str, GramAccumulator],
                    with_output: bool, desc: str | None) -> int:
        """The extra anchor passes, then the main pass (streamed layers, output, first anchors); returns their count."""
        n = len(stimulus_set)
        streamed = [layer for layer in layers if layer not in gram]
        budget = plan[layers[0]].budget() if layers else 0
        held = sum(full_bytes(n, self._widths.get(layer, 0)) for layer in streamed if plan[layer].kind == "none")
        jobs = anchor_jobs({layer: acc.n_features for layer, acc in gram.items()}, n, self.batch_size, budget)
        main, extra = schedule(jobs, budget, budget - held)
        count = 0
        # the extra passes first: while they run nothing else is held, then the main pass fills the full layers
        for index, group in [*((i + 1, g) for i, g in enumerate(extra)), (0, main)]:
            if index == 0 and not (streamed or with_output or group):
                continue
            blocks: dict[str, list[AnchorBlock]] = {}
            for job in group:
                blocks.setdefault(job.layer, []).append(AnchorBlock(job, gram[job.layer], self.device))
            hooked = (streamed if index == 0 else []) + [layer for layer in blocks if layer not in streamed]
            stop = None if (index == 0 and with_output) else self._stop_layer(hooked)
            recorder = PassRecorder(self.identifier, n, plan, self.device, streams=streams, arrays=arrays,
                                     blocks=blocks, stop_after=stop)
            start = min((job.start for job in group), default=0) if index else 0
            label = desc or f"{self.identifier} activations"
            self._pass(stimulus_set, recorder, hooked, with_output=index == 0 and with_output, start=start,
                       desc=label if index == 0 else f"{label} (exact embedding, pass {index}/{len(extra)})")
            del recorder, blocks  # free this pass's anchors before the next pass allocates its own
            count += 1
        return count

    def _fit_pca(self, plan: dict[str, Reduction], layers: list[str], streams: dict[str, LayerReducer]) -> None:
        fitting: StimulusSet = plan[layers[0]].fitting_stimuli
        projected: dict[str, np.ndarray] = {}
        recorder = PassRecorder(self.identifier, len(fitting), plan, self.device, streams=streams, arrays=projected,
                                 project_only=True)
        self._pass(fitting, recorder, layers, with_output=False, desc="fitting PCA")
        for layer in layers:
            streams[layer].fit(projected[layer])

    def _ensure_device(self) -> None:
        if not self._module_on_device:
            self.module.to(self.device)
            self._module_on_device = True
        self.module.eval()

    def _hook(self, recorder: PassRecorder, layers: Sequence[str]) -> list[Any]:
        """Register ``recorder``'s hooks on ``layers`` (forward hooks, or pre-hooks for ``:input`` layers)."""
        modules = dict(self.module.named_modules())
        handles = []
        for layer in layers:
            hook = recorder.hook(layer)
            target = modules[module_path(layer)]
            if layer.endswith(INPUT_SUFFIX):
                handles.append(target.register_forward_pre_hook(lambda m, args, hook=hook: hook(m, None, args)))
            else:
                handles.append(target.register_forward_hook(hook))
        return handles

    def _pass(self, stimulus_set: StimulusSet, recorder: PassRecorder, layers: Sequence[str], *, with_output: bool,
              desc: str, start: int = 0, required: Sequence[str] | None = None) -> None:
        """One forward pass over the stimuli from row ``start``, feeding ``recorder`` (``required``: the layers that
        must run, default all)."""
        self._ensure_device()
        ids = stimulus_set.stimulus_ids
        handles = self._hook(recorder, layers)
        try:
            bar = progress(desc=desc, total=len(stimulus_set) - start, unit="img")
            with torch.inference_mode(), bar:
                for rows, inputs in self.batches(stimulus_set, start):
                    recorder.begin(rows, [ids[r] for r in rows])
                    output = self._forward(inputs, recorder.ids)
                    recorder.check_fired(layers if required is None else required)
                    if with_output:
                        recorder.put(OUTPUT, self._check_output(output, len(rows), recorder.ids))
                    bar.update(len(rows))
        finally:
            for handle in handles:
                handle.remove()

    def _forward(self, inputs: torch.Tensor, ids: list[str]) -> Any:
        try:
            return self.module(inputs.to(self.device))
        except StopForward:
            return None
        except (ModelError, ReductionError):
            raise
        except Exception as exc:
            raise ModelForwardError(
                f"{self.identifier} raised {type(exc).__name__} while looking at stimuli {ids[:5]}: {exc}"
            ) from exc

    def _check_output(self, output: Any, batch: int, ids: list[str]) -> torch.Tensor:
        tensor = first_tensor(output)
        if tensor is None or tensor.ndim != 2 or tensor.shape[0] != batch:
            shape = None if tensor is None else tuple(tensor.shape)
            raise ModelOutputError(
                f"{self.identifier} returned output of shape {shape} for a batch of {batch}; expected (batch, classes)"
            )
        if not torch.isfinite(tensor).all():
            raise ModelOutputError(f"{self.identifier} returned NaN or inf outputs for stimuli {ids[:5]}")
        return tensor.float()
