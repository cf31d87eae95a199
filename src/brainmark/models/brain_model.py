"""The model interfaces benchmarks rely on, written down once.

- :class:`BrainModel` (the official Brain-Score design): a model as an experimental subject. Any object with
  these members can be scored; benchmarks record regions and run tasks through it.
- :class:`LayeredBrainModel`: a BrainModel built from a network's layers (brainmark's
  :class:`~brainmark.models.PytorchBrainModel`, or a proxy of one). Benchmarks choose the layer of a region on
  separate selection data and read that layer's activations directly; models that are only BrainModels map
  regions to units themselves.

Scoring never changes a model's commitment: the layer chosen on selection data is recorded on disk and in the
score, not written into the model object (``brainmark.models.commitment.commit_region`` does write it when a
user calls it directly).
"""
from __future__ import annotations

from typing import Any, Mapping, Protocol, Sequence, runtime_checkable

import xarray as xr

from brainmark.data.stimuli import StimulusSet

#: Tasks a model can be asked to do.
PASSIVE, LABEL, PROBABILITIES = "passive", "label", "probabilities"
TASKS = (PASSIVE, LABEL, PROBABILITIES)
#: Regions a model can be recorded from.
REGIONS = ("V1", "V2", "V4", "IT")


@runtime_checkable
class BrainModel(Protocol):
    """What benchmarks can ask of any model.

    - ``start_recording(region, time_bins)`` then ``look_at(stimuli)`` -> ``presentation x neuroid`` assembly
      (``region`` coordinate on neuroid; ``time_bin`` dim only if more than one bin was asked for).
    - ``start_task("probabilities", fitting_stimuli)`` then ``look_at(stimuli)`` -> ``presentation x choice``
      probabilities; ``start_task("label")`` -> labels per presentation.
    """

    identifier: str

    def visual_degrees(self) -> float:
        """The visual angle the model's input spans, in degrees."""

    def start_recording(self, region: str, time_bins: Sequence[tuple[int, int]] | None = None) -> None:
        """Record from ``region`` (optionally in ``time_bins`` in ms) on the next ``look_at``."""

    def start_task(self, task: str, fitting_stimuli: object | None = None) -> None:
        """Perform ``task`` on the next ``look_at`` (``fitting_stimuli`` to fit a readout)."""

    def look_at(self, stimulus_set: StimulusSet, number_of_trials: int = 1) -> xr.DataArray:
        """The recording or task output for ``stimulus_set`` (``number_of_trials`` repeats)."""


@runtime_checkable
class LayeredBrainModel(BrainModel, Protocol):
    """A BrainModel whose regions are layers of a network, chosen per region on selection data.

    - ``candidate_layers``: the layers a region may be committed to, shallow to deep.
    - ``weights_hash``: identifies the weights (commitments and caches are kept per weights).
    - ``commitment``: region -> record (``{"layer": ..., "source": "built-in" | "user" | "selection", ...}``) of
      the layers fixed by the model itself or by its user; benchmarks select the other regions.
    - ``use_cache``: whether activations are cached (lets benchmarks score all candidate layers from one pass).
    - ``layer_activations(stimuli, layers, reduction=None)``: ``{layer: presentation x neuroid DataArray}``
      from one forward pass (``reduction``: None for the model's own, or e.g. ``"random:1000"``).
    """

    candidate_layers: Sequence[str]
    weights_hash: str
    commitment: Mapping[str, Mapping[str, Any]]
    use_cache: bool

    def layer_activations(self, stimulus_set: StimulusSet, layers: Sequence[str],
                          reduction: Any = None) -> dict[str, xr.DataArray]:
        """``{layer: presentation x neuroid}`` activations of ``stimulus_set`` from one forward pass."""
