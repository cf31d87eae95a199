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
from typing import Any, Callable

import xarray as xr

from brainmark._version import __version__
from brainmark.data.stimuli import StimulusSet
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
    """Commit ``region`` (on ``selection``) and return the model's responses to ``stimuli`` from it.

    Layers fixed by hand or built into the model (e.g. CORnet's areas) are kept; otherwise the model's layer
    commitment scores every candidate layer on the selection data and freezes the best one.
    """
    table: dict[str, float] = {}
    how = None
    fixed = _fixed_commitment(model, region)
    if fixed is not None:
        how = f"{fixed} commitment"
    elif selection is not None and all(hasattr(model, a) for a in ("layer_activations", "commit", "weights_hash")):
        table = commit(model, region, selection, stimuli)
        how = selection.description or selection.key
    else:  # any other BrainModel maps regions to its own units
        how = "the model's own region mapping"
    model.start_recording(region, time_bins)
    assembly = model.look_at(stimuli, number_of_trials=number_of_trials)
    layer = assembly.attrs.get("layer")
    if layer is None and callable(getattr(model, "layer_for", None)):
        layer = model.layer_for(region)
    return Recording(assembly, str(layer) if layer is not None else None, table, how)


def _fixed_commitment(model: Any, region: str) -> str | None:
    record = (getattr(model, "commitment", None) or {}).get(region)
    if isinstance(record, dict) and record.get("source") in ("built-in", "user"):
        return str(record["source"])
    return None


def commit(model: Any, region: str, selection: LayerSelection, reported: StimulusSet) -> dict[str, float]:
    """Choose and commit ``region``'s layer on the selection data; returns the per-layer score table.

    When the choice is not on record yet, the candidate layers' activations come from one forward pass and
    the layers are scored in parallel threads (as many as memory and CPUs allow); the model's commitment
    bookkeeping then records the choice.
    """
    from brainmark.models.commitment import commit_region, commitment_path

    scorer = selection.scorer
    record_exists = commitment_path(model.identifier, model.weights_hash, selection.key, region).is_file()
    layers = list(getattr(model, "candidate_layers", []) or [])
    if not record_exists and layers and getattr(model, "use_cache", False):
        activations = model.layer_activations(selection.stimuli, layers, reduction=selection.reduction)
        scores = _score_layers_in_parallel(activations, selection.scorer)
        scorer = _lookup_scorer(scores)
    record = commit_region(model, region, selection.stimuli, scorer, selection.key,
                           reduction=selection.reduction,
                           reported_stimuli=None if selection.same_stimuli else reported)
    return {str(k): float(v) for k, v in dict(record.scores or {}).items()}


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
