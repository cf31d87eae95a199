"""The BrainModel interface: a model as an experimental subject (the official Brain-Score design)."""
from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

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
