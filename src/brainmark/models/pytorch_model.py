"""A PyTorch network as a BrainModel: recording from committed layers, ImageNet and fitted-readout tasks."""
from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

import numpy as np
import xarray as xr

from brainmark._version import __version__
from brainmark.data.stimuli import StimulusSet
from brainmark.models.activations import OUTPUT, ActivationExtractor, check_layers
from brainmark.models.brain_model import LABEL, PASSIVE, PROBABILITIES, TASKS
from brainmark.models.cache import ActivationCache, cache_key, weights_hash
from brainmark.models.errors import CommitmentError, TaskError
from brainmark.models.preprocessing import presentation_params
from brainmark.models.recording import region_assembly
from brainmark.models.reduction import Reduction, plan_reductions
from brainmark.models.spec import ModelSpec

LABEL_COLUMNS = ("object_name", "label", "category", "class_name", "category_name")
READOUT_C = 1e-3


def imagenet_categories() -> list[str]:
    """The 1000 ImageNet-1k class names, index-aligned with classifier outputs (shipped with torchvision)."""
    from torchvision.models import AlexNet_Weights

    return list(AlexNet_Weights.IMAGENET1K_V1.meta["categories"])


class PytorchBrainModel:
    """A :class:`~brainmark.models.BrainModel` around a :class:`ModelSpec`.

    Options: ``batch_size``, ``device`` (None/"auto", "cpu", "cuda"), ``reduction`` (see
    :mod:`brainmark.models.reduction`; default ``auto``: full features within ``memory_budget``, the exact Gram
    embedding beyond it), ``memory_budget`` (bytes or e.g. ``"4GiB"``; None: ``$BRAINMARK_MEMORY_BUDGET`` or
    512 MiB), ``seed`` (projection and readout seeds), ``layers`` ({region: layer} fixed by hand), ``workers``
    (image-decoding threads), ``use_cache``.
    """

    def __init__(
        self,
        spec: ModelSpec,
        identifier: str | None = None,
        *,
        batch_size: int = 32,
        device: str | None = None,
        reduction: str | Reduction | None = "auto",
        seed: int = 0,
        layers: Mapping[str, str] | None = None,
        workers: int | None = None,
        use_cache: bool = True,
        memory_budget: int | str | None = None,
    ) -> None:
        self.spec = spec
        self.identifier = identifier or spec.identifier or type(spec.module).__name__.lower()
        self.seed = int(seed)
        self.memory_budget = memory_budget
        self.reduction = Reduction.parse(reduction, seed=self.seed, memory_budget=memory_budget)
        self.use_cache = use_cache
        self.cache = ActivationCache()
        self.extractor = ActivationExtractor(
            spec.module,
            spec.preprocessing,
            spec.visual_degrees,
            identifier=self.identifier,
            batch_size=batch_size,
            device=device,
            workers=workers,
            candidate_layers=spec.layers,
        )
        self.commitment: dict[str, dict[str, Any]] = {}
        for region, layer in (spec.region_layers or {}).items():
            self.commit(region, layer, source="built-in")
        for region, layer in (layers or {}).items():
            self.commit(region, layer, source="user")
        self._weights_hash: str | None = None
        self._region: str | None = None
        self._time_bins: list[tuple[int, int]] | None = None
        self._task = PASSIVE
        self._readout: dict[str, Any] | None = None

    # --- identity -----------------------------------------------------------------------------------------
    @property
    def candidate_layers(self) -> list[str]:
        """The layers that may be committed to a region."""
        return list(self.spec.layers)

    @property
    def metadata(self) -> dict[str, Any]:
        """A copy of the model's metadata (family, paper, ImageNet top-1...)."""
        return dict(self.spec.metadata)

    def visual_degrees(self) -> float:
        """The visual angle the model's input spans, in degrees."""
        return float(self.spec.visual_degrees)

    @property
    def weights_hash(self) -> str:
        """The sha256 of the weights (computed once)."""
        if self._weights_hash is None:
            self._weights_hash = weights_hash(self.spec.module, self.spec.weights_file)
        return self._weights_hash

    @property
    def parameter_count(self) -> int:
        """The number of parameters of the network (trainable or not)."""
        return int(sum(p.numel() for p in self.spec.module.parameters()))

    def __repr__(self) -> str:
        return f"PytorchBrainModel({self.identifier!r}, layers={self.candidate_layers})"

    # --- commitment ---------------------------------------------------------------------------------------
    def commit(self, region: str, layer: str, source: str = "user", **record: Any) -> None:
        """Fix the layer recorded for ``region`` (source: built-in, user, selection)."""
        check_layers(self.spec.module, [layer], self.spec.layers)
        self.commitment[region] = {"layer": layer, "source": source, **record}

    def layer_for(self, region: str) -> str:
        """The layer committed to ``region``, or a CommitmentError saying how to commit one."""
        if region not in self.commitment:
            raise CommitmentError(
                f"{self.identifier} has no layer committed to region {region!r} (committed: "
                f"{ {r: c['layer'] for r, c in self.commitment.items()} or 'none'}). Select one with "
                "brainmark.models.commitment.commit_region(...) or fix it by hand: "
                f"load_model({self.identifier!r}, layers={{{region!r}: <layer>}}); candidates: {self.candidate_layers}"
            )
        return self.commitment[region]["layer"]

    # --- activations --------------------------------------------------------------------------------------
    def _key(self, layer: str, stimulus_set: StimulusSet, reduction: Reduction) -> str:
        return cache_key(
            {
                "model": self.identifier,
                "weights": self.weights_hash,
                "layer": layer,
                "presentation": presentation_params(self.spec.preprocessing, self.visual_degrees(), stimulus_set.degrees),
                "stimuli": stimulus_set.content_hash(),
                "reduction": {"kind": "none"} if layer == OUTPUT else reduction.key(),
            }
        )

    def _widths_key(self) -> str:
        return cache_key({"model": self.identifier, "weights": self.weights_hash, "kind": "layer-widths",
                          "input_size": self.spec.preprocessing.input_size})

    def layer_widths(self, stimulus_set: StimulusSet, layers: Sequence[str]) -> dict[str, int]:
        """Features per stimulus of each layer (remembered in the activation cache; else one probe image)."""
        known = self.cache.load_widths(self.identifier, self._widths_key()) if self.use_cache else {}
        self.extractor.remember_widths(known)
        widths = self.extractor.layer_widths(stimulus_set, layers)
        if self.use_cache and any(layer not in known for layer in layers):
            self.cache.save_widths(self.identifier, self._widths_key(), widths)
        return widths

    def plan(self, stimulus_set: StimulusSet, layers: Sequence[str], reduction: Reduction) -> dict[str, Reduction]:
        """The concrete reduction of each layer for this stimulus set (``auto`` resolved against the budget)."""
        if reduction.kind != "auto":
            return {layer: reduction for layer in layers}
        return plan_reductions(reduction, self.layer_widths(stimulus_set, layers), len(stimulus_set))

    def layer_activations(
        self,
        stimulus_set: StimulusSet,
        layers: Sequence[str],
        reduction: str | Reduction | None = None,
    ) -> dict[str, xr.DataArray]:
        """``presentation x neuroid`` activations of many layers from one forward pass (cached per layer)."""
        if reduction is None:
            reduction = self.reduction
        else:
            reduction = Reduction.parse(reduction, seed=self.seed, memory_budget=self.memory_budget)
        layers = list(dict.fromkeys(layers))
        real = [layer for layer in layers if layer != OUTPUT]
        check_layers(self.spec.module, real, self.spec.layers)
        plan = self.plan(stimulus_set, real, reduction)
        keys = {layer: self._key(layer, stimulus_set, plan.get(layer, reduction)) for layer in layers}
        hits = [layer for layer in layers if self.use_cache and self.cache.exists(self.identifier, keys[layer])]
        missing = [layer for layer in layers if layer not in hits]
        values: dict[str, np.ndarray] = {}
        infos: dict[str, dict[str, Any]] = {}
        if missing:  # before loading the hits: the extraction has the memory budget to itself
            self._extract(stimulus_set, missing, plan, keys, reduction.kind, values, infos)
        for layer in hits:
            hit = self.cache.load(self.identifier, keys[layer])
            if hit is None or hit[1].get("stimulus_ids") != stimulus_set.stimulus_ids:
                self._extract(stimulus_set, [layer], plan, keys, reduction.kind, values, infos)
            else:
                values[layer], infos[layer] = hit[0], hit[1]["info"]
        return {layer: self._assembly(values[layer], layer, stimulus_set, infos[layer]) for layer in layers}

    def _extract(self, stimulus_set: StimulusSet, layers: list[str], plan: dict[str, Reduction], keys: dict[str, str],
                 requested: str, values: dict[str, np.ndarray], infos: dict[str, dict[str, Any]]) -> None:
        """Extract ``layers`` by ``plan`` into ``values``/``infos`` and the cache."""
        real = [layer for layer in layers if layer != OUTPUT]
        arrays, info = self.extractor.extract(stimulus_set, real, {layer: plan[layer] for layer in real},
                                              with_output=OUTPUT in layers)
        if OUTPUT in layers:
            info[OUTPUT] = {"reduction": "none", "layer": OUTPUT, "n_outputs": int(arrays[OUTPUT].shape[1])}
        for layer in layers:
            info[layer]["requested_reduction"] = requested if layer != OUTPUT else "none"
            values[layer], infos[layer] = arrays[layer], info[layer]
            if self.use_cache:
                meta = {
                    "layer": layer,
                    "stimulus_set": stimulus_set.identifier,
                    "stimulus_ids": stimulus_set.stimulus_ids,
                    "info": info[layer],
                    "weights_hash": self.weights_hash,
                }
                self.cache.save(self.identifier, keys[layer], arrays[layer], meta)

    def _assembly(self, values: np.ndarray, layer: str, stimulus_set: StimulusSet, info: dict[str, Any]) -> xr.DataArray:
        n = values.shape[1]
        attrs = {
            "model": self.identifier,
            "layer": layer,
            "weights_hash": self.weights_hash,
            "stimulus_set": stimulus_set.identifier,
            "stimulus_set_hash": stimulus_set.content_hash(),
            "reduction": str(info.get("reduction")),
            "reduction_info": json.dumps(info, sort_keys=True, default=str),
            "presentation": json.dumps(
                presentation_params(self.spec.preprocessing, self.visual_degrees(), stimulus_set.degrees)
            ),
            "brainmark_version": __version__,
        }
        return xr.DataArray(
            values,
            dims=("presentation", "neuroid"),
            coords={
                "stimulus_id": ("presentation", stimulus_set.stimulus_ids),
                "neuroid_id": ("neuroid", [f"{layer}.{i}" for i in range(n)]),
                "layer": ("neuroid", [layer] * n),
            },
            attrs=attrs,
        )

    # --- BrainModel ---------------------------------------------------------------------------------------
    def start_recording(self, region: str, time_bins: Sequence[tuple[int, int]] | None = None) -> None:
        """Record from ``region``'s committed layer on the next ``look_at``."""
        self.layer_for(region)  # fail early with the commitment hint
        self._task, self._region = PASSIVE, region
        self._time_bins = [tuple(map(int, tb)) for tb in time_bins] if time_bins else None

    def start_task(
        self,
        task: str,
        fitting_stimuli: StimulusSet | None = None,
        *,
        allow_overlap: bool = False,
        label_column: str | None = None,
    ) -> None:
        """``probabilities``/``label``: ImageNet outputs without fitting stimuli, else a logistic readout.

        The readout (StandardScaler + multinomial LogisticRegression, C=1e-3, random_state=seed) is fitted on
        ``readout_layer`` features of ``fitting_stimuli``; testing on any of those stimuli is refused unless
        ``allow_overlap=True`` (recorded in the output's attrs).
        """
        if task not in TASKS:
            raise TaskError(f"unknown task {task!r}; tasks are {', '.join(TASKS)}")
        self._region = None
        self._task = task
        self._readout = None
        if task == PASSIVE:
            return
        if fitting_stimuli is None:
            if not self.spec.imagenet_output:
                raise TaskError(
                    f"{self.identifier} has no ImageNet output; give fitting_stimuli with a label column for the "
                    f"{task!r} task"
                )
            return
        self._readout = self._fit_readout(fitting_stimuli, allow_overlap, label_column)

    def _fit_readout(self, fitting: StimulusSet, allow_overlap: bool, label_column: str | None) -> dict[str, Any]:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        column = label_column or next((c for c in LABEL_COLUMNS if c in fitting.table.columns), None)
        if column is None or column not in fitting.table.columns:
            raise TaskError(
                f"fitting stimuli {fitting.identifier!r} need a label column (one of {LABEL_COLUMNS}, or name it "
                f"with label_column=); columns: {list(fitting.table.columns)}"
            )
        layer = self.spec.readout_layer or self.candidate_layers[-1]
        features = self.layer_activations(fitting, [layer])[layer]
        labels = np.asarray([str(v) for v in fitting.table[column]])
        if len(np.unique(labels)) < 2:
            raise TaskError(f"fitting stimuli {fitting.identifier!r} have fewer than 2 distinct {column!r} labels")
        clf = make_pipeline(
            StandardScaler(), LogisticRegression(C=READOUT_C, max_iter=1000, random_state=self.seed)
        ).fit(features.values, labels)
        return {
            "classifier": clf,
            "layer": layer,
            "column": column,
            "fitting": fitting,
            "allow_overlap": allow_overlap,
        }

    def look_at(self, stimulus_set: StimulusSet, number_of_trials: int = 1) -> xr.DataArray:
        """The recording (presentation x neuroid [x time_bin]) or task output for ``stimulus_set``."""
        if int(number_of_trials) < 1:
            raise TaskError(f"number_of_trials must be >= 1, got {number_of_trials}")
        if self._task == PASSIVE:
            if self._region is None:
                raise TaskError("call start_recording(region) or start_task(task) before look_at")
            return self._record(stimulus_set, int(number_of_trials))
        probabilities = self._probabilities(stimulus_set)
        probabilities.attrs["number_of_trials"] = int(number_of_trials)
        if self._task == PROBABILITIES:
            return probabilities
        labels = probabilities["choice"].values[probabilities.values.argmax(axis=1)]
        out = xr.DataArray(
            labels,
            dims=("presentation",),
            coords={"stimulus_id": ("presentation", stimulus_set.stimulus_ids)},
            attrs={**probabilities.attrs, "task": LABEL},
        )
        if "class_name" in probabilities.coords:
            names = probabilities["class_name"].values[probabilities.values.argmax(axis=1)]
            out = out.assign_coords(class_name=("presentation", names))
        return out

    def _record(self, stimulus_set: StimulusSet, trials: int) -> xr.DataArray:
        layer = self.layer_for(self._region)
        activations = self.layer_activations(stimulus_set, [layer])[layer]
        return region_assembly(activations, self._region, self.commitment[self._region], trials, self._time_bins)

    def _probabilities(self, stimulus_set: StimulusSet) -> xr.DataArray:
        attrs: dict[str, Any] = {"model": self.identifier, "task": self._task, "weights_hash": self.weights_hash}
        if self._readout is None:
            logits = self.layer_activations(stimulus_set, [OUTPUT])[OUTPUT].values.astype(np.float64)
            logits -= logits.max(axis=1, keepdims=True)
            probs = np.exp(logits)
            probs /= probs.sum(axis=1, keepdims=True)
            choices: Any = np.arange(probs.shape[1])
            coords: dict[str, Any] = {"choice": ("choice", choices)}
            if probs.shape[1] == 1000:
                coords["class_name"] = ("choice", imagenet_categories())
            attrs["readout"] = "imagenet-1k softmax"
        else:
            readout = self._readout
            fitting: StimulusSet = readout["fitting"]
            overlap = sorted(set(fitting.stimulus_ids) & set(stimulus_set.stimulus_ids))
            if overlap and not readout["allow_overlap"]:
                raise TaskError(
                    f"{len(overlap)} test stimuli (e.g. {overlap[:3]}) are also fitting stimuli of the readout; "
                    "testing on training images inflates scores. Use separate stimuli, or pass allow_overlap=True "
                    "to start_task (recorded in the result)"
                )
            features = self.layer_activations(stimulus_set, [readout["layer"]])[readout["layer"]]
            clf = readout["classifier"]
            probs = clf.predict_proba(features.values)
            coords = {"choice": ("choice", [str(c) for c in clf.classes_])}
            attrs.update(
                readout=f"StandardScaler + LogisticRegression(C={READOUT_C}, random_state={self.seed})",
                readout_layer=readout["layer"],
                fitting_stimuli=fitting.identifier,
                fitting_stimuli_hash=fitting.content_hash(),
                label_column=readout["column"],
                overlapping_stimuli=len(overlap),
                allow_overlap=int(bool(readout["allow_overlap"])),
            )
        coords["stimulus_id"] = ("presentation", stimulus_set.stimulus_ids)
        return xr.DataArray(probs, dims=("presentation", "choice"), coords=coords, attrs=attrs)
