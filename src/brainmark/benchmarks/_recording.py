"""How benchmarks get a model's responses for a region, with the layer committed on separate selection data.

A neural benchmark hands the model a :class:`LayerSelection`: the selection stimuli and a scoring callable
(``scorer(layer_activations) -> Score`` on those stimuli, using the benchmark's own metric). The model's
commitment bookkeeping (``brainmark.models.commitment``) scores every candidate layer with it, freezes the best
one for the region and records the per-layer table; the benchmark then records the region on its scored
stimuli. Models that map regions to layers themselves (e.g. CORnet) ignore the selection.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import xarray as xr

from brainmark._version import __version__
from brainmark.data.stimuli import StimulusSet
from brainmark.benchmarks.base import BenchmarkError
from brainmark.scores import Score


def selection_key(benchmark: str, version: int, data_checksum: str, stimuli_hash: str) -> str:
    """Names a benchmark's selection data and metric for the commitment record (changes with any of them)."""
    return f"{benchmark}-v{version}-bm{__version__}-{data_checksum[:10]}{stimuli_hash[:10]}"


@dataclass
class LayerSelection:
    """Data and metric to choose a region's layer on (never the data that is scored)."""

    key: str
    stimuli: StimulusSet
    scorer: Callable[[xr.DataArray], Score]
    description: str = ""
    #: True when selection reuses the scored images with other recordings (e.g. other subjects), so the
    #: "no shared stimuli" check of the commitment does not apply.
    same_stimuli: bool = False
    #: Feature reduction for scoring the candidate layers (None: the model's own), e.g. ``"random:1000"``
    #: like the official PCA-1000 used only for layer selection. The committed layer's reported score always
    #: uses the model's own (default: full features within the memory budget, exact embedding beyond).
    reduction: str | None = None


@dataclass
class Recording:
    """A model's responses for one region, and how the layer was chosen."""

    assembly: xr.DataArray
    layer: str | None
    layer_scores: dict[str, float] = field(default_factory=dict)
    selection: str | None = None

    @property
    def features(self) -> dict[str, Any] | None:
        """How the recorded layer's features were kept: reduction, memory budget, seed, measured distortion."""
        info = self.assembly.attrs.get("reduction_info")
        return json.loads(info) if isinstance(info, str) else None

    def meta(self) -> dict[str, Any]:
        """Provenance for the score: the layer, how it was chosen and how its features were kept."""
        return {"layer": self.layer, "layer_scores": dict(self.layer_scores), "layer_selection": self.selection,
                "features": self.features}


def record_region(model: Any, region: str, stimuli: StimulusSet, *, selection: LayerSelection | None,
                  number_of_trials: int = 1, time_bins: Any = None) -> Recording:
    """The model's responses to ``stimuli`` in ``region``, and how its layer was chosen.

    A :class:`~brainmark.models.LayeredBrainModel` keeps the layers it fixes itself (built-in, e.g. CORnet's
    areas) or that its user fixed; any other region is chosen on ``selection`` (never the scored data) and frozen
    on disk, and that layer's activations are read directly, so the model object is left as it was. Any other
    :class:`~brainmark.models.BrainModel` maps regions to its own units through ``start_recording``/``look_at``.
    """
    from brainmark.models.brain_model import BrainModel, LayeredBrainModel
    from brainmark.models.recording import region_assembly

    if isinstance(model, LayeredBrainModel):
        fixed = _fixed_commitment(model, region)
        if fixed is not None:
            layer, table, how, record = str(fixed["layer"]), {}, f"{fixed['source']} commitment", dict(fixed)
        elif selection is not None:
            chosen, table = commit(model, region, selection, stimuli)
            layer, how = chosen.layer, selection.description or selection.key
            record = {"layer": layer, "source": "selection", "selection": selection.key}
        else:
            raise BenchmarkError(f"{model.identifier} has no layer for region {region!r} and this benchmark has no "
                                 f"selection data; fix one by hand: load_model(..., layers={{{region!r}: <layer>}})")
        activations = model.layer_activations(stimuli, [layer])[layer]
        assembly = region_assembly(activations, region, record, number_of_trials, time_bins)
        return Recording(assembly, layer, table, how)
    if not isinstance(model, BrainModel):
        raise BenchmarkError(
            f"cannot score a {type(model).__name__}: a model must be a brainmark BrainModel (identifier, "
            "visual_degrees, start_recording, start_task, look_at); wrap a torch module with "
            "brainmark.load_model(module, layers=[...]) or brainmark.models.ModelSpec"
        )
    model.start_recording(region, time_bins)
    assembly = model.look_at(stimuli, number_of_trials=number_of_trials)
    layer = assembly.attrs.get("layer")
    return Recording(assembly, str(layer) if layer is not None else None, {}, "the model's own region mapping")


def _fixed_commitment(model: Any, region: str) -> dict[str, Any] | None:
    record = (getattr(model, "commitment", None) or {}).get(region)
    if isinstance(record, Mapping) and record.get("source") in ("built-in", "user"):
        return dict(record)
    return None


def commit(model: Any, region: str, selection: LayerSelection, reported: StimulusSet) -> tuple[Any, dict[str, float]]:
    """Choose ``region``'s layer on the selection data (or reuse the frozen choice): (record, per-layer scores).

    When the choice is not on record yet, the candidate layers' activations come from one forward pass and
    the layers are scored in parallel threads (as many as memory and CPUs allow). The model is not changed.
    """
    from brainmark.models.commitment import commit_region, commitment_path

    scorer = selection.scorer
    record_exists = commitment_path(model.identifier, model.weights_hash, selection.key, region).is_file()
    layers = list(model.candidate_layers or [])
    if not record_exists and layers and model.use_cache:
        activations = model.layer_activations(selection.stimuli, layers, reduction=selection.reduction)
        scores = _score_layers_in_parallel(activations, selection.scorer)
        scorer = _lookup_scorer(scores)
    record = commit_region(model, region, selection.stimuli, scorer, selection.key,
                           reduction=selection.reduction, apply=False,
                           reported_stimuli=None if selection.same_stimuli else reported)
    return record, {str(k): float(v) for k, v in dict(record.scores or {}).items()}


def _lookup_scorer(scores: dict[str, Score]) -> Callable[[xr.DataArray], Score]:
    def lookup(activations: xr.DataArray) -> Score:
        return scores[str(activations.attrs["layer"])]

    return lookup


def layer_workers(activations: dict[str, xr.DataArray]) -> int:
    """Threads for scoring layers: bounded by CPUs, layers and memory (~20 copies of the largest layer each)."""
    import os

    import psutil

    largest = max((a.size * 8 for a in activations.values()), default=1)
    by_memory = int(psutil.virtual_memory().available // max(20 * largest, 1))
    return max(1, min(os.cpu_count() or 1, len(activations), by_memory))


def _score_layers_in_parallel(activations: dict[str, xr.DataArray], scorer: Callable[[xr.DataArray], Score]) -> dict[str, Score]:
    from brainmark.compute.local import LocalExecutor
    from brainmark.progress import progress

    names = list(activations)
    with LocalExecutor(layer_workers(activations), "thread") as executor, \
            progress(total=len(names), desc="layer selection", unit="layer") as bar:
        def run(name: str) -> Score:
            score = scorer(activations[name])
            bar.update(1)
            return score

        results = executor.map(run, names)
    return dict(zip(names, results))
