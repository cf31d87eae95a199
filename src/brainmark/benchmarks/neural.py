"""Neural predictivity benchmarks: a regression from model features to recorded responses (PLS by default),
ceiled by the data's internal consistency, with the layer committed on separate selection data."""
from __future__ import annotations

from typing import Any, Callable

import xarray as xr

from brainmark.benchmarks._data import data_files, load_dataset, load_stimuli, select_region, unique_stimulus_ids
from brainmark.benchmarks._recording import LayerSelection, record_region, selection_key
from brainmark.benchmarks.base import NEURAL, Benchmark, computed
from brainmark.data.checksum import data_checksum
from brainmark.data.assembly import average_repetitions
from brainmark.data.stimuli import StimulusSet
from brainmark.metrics.base import Computed
from brainmark.scores import DEFAULT_CONVENTION, Score

#: Candidate layers are compared on a 1,000-dimensional data-independent random projection (the official code
#: used PCA-1000 for this choice); the committed layer is scored with the model's own features: by default the
#: full features when they fit the memory budget, else their exact Gram embedding (the same scores).
SELECTION_REDUCTION = "random:1000"

#: Loads the scored (or the selection) target: a ``presentation x neuroid [x repetition]`` assembly.
TargetLoader = Callable[[], xr.DataArray]


class NeuralPredictivityBenchmark(Benchmark):
    """Score = metric(model features of the committed layer, repetition-averaged target).

    ``target`` and ``selection_target`` load the scored and the layer-selection assemblies (separate data);
    ``stimulus_set`` and ``selection_stimulus_set`` name their stimulus sets. The ceiling (``ceiling`` name,
    on the target with its repetitions) is computed once per dataset and cached.
    """

    kind = NEURAL

    def __init__(self, identifier: str, *, region: str, target: TargetLoader, stimulus_set: "str | StimulusSet",
                 selection_target: TargetLoader | None, selection_stimulus_set: "str | StimulusSet | None",
                 datasets: tuple[str, ...], metric: str = "pls", metric_params: dict[str, Any] | None = None,
                 ceiling: str = "internal_consistency", ceiling_params: dict[str, Any] | None = None,
                 visual_degrees: float = 8.0, number_of_trials: int = 1, version: int = 1, bibtex: str = "",
                 description: str = "", selection_description: str = "", offline: bool = True,
                 selection_reduction: str | None = SELECTION_REDUCTION, convention: str = DEFAULT_CONVENTION) -> None:
        super().__init__(convention)
        self.identifier, self.region, self.version = identifier, region, version
        self.bibtex, self.description, self.offline, self.datasets = bibtex, description, offline, tuple(datasets)
        self._target_loader, self._selection_loader = target, selection_target
        self.stimulus_set, self.selection_stimulus_set = stimulus_set, selection_stimulus_set
        self.metric_name, self.metric_params = metric, dict(metric_params or {})
        self.ceiling_name, self.ceiling_params = ceiling, dict(ceiling_params or {})
        self.visual_degrees, self.number_of_trials = visual_degrees, number_of_trials
        self.selection_description = selection_description
        self.selection_reduction = selection_reduction
        self._target: xr.DataArray | None = None

    # --- data ---------------------------------------------------------------------------------------------
    @property
    def target(self) -> xr.DataArray:
        """The scored recordings of this benchmark's region (with repetitions if the data has them)."""
        if self._target is None:
            self._target = select_region(self._target_loader(), self.region)
        return self._target

    def _metric(self) -> Callable[..., Score]:
        from brainmark.metrics import load_metric

        return load_metric(self.metric_name, **self.metric_params)

    def _compute_ceiling(self) -> Score:
        target = self.target
        if "repetition" not in target.dims:
            return Score(raw=float("nan"), meta={"ceiling": "none: the data has no repetitions, so no internal consistency"})
        return self._ceiling_of(self.ceiling_name, self.ceiling_params, target)

    # --- scoring ------------------------------------------------------------------------------------------
    def layer_selection(self) -> LayerSelection | None:
        """The selection data and scorer handed to the model's layer commitment."""
        if self._selection_loader is None or self.selection_stimulus_set is None:
            return None
        selection_target = average_repetitions(select_region(self._selection_loader(), self.region))
        metric = self._metric()
        stimuli = load_stimuli(self.selection_stimulus_set, unique_stimulus_ids(selection_target), self.visual_degrees)
        key = selection_key(self.identifier, self.version, data_checksum(selection_target), stimuli.content_hash())
        if self.selection_reduction:
            key += f"-{self.selection_reduction.replace(':', '')}"
        description = self.selection_description or f"{self.metric_name} on {self.selection_stimulus_set}"
        if self.selection_reduction:
            description += f" (candidate layers reduced by {self.selection_reduction})"
        return LayerSelection(key=key, stimuli=stimuli, scorer=lambda activations: metric(activations, selection_target),
                              description=description, reduction=self.selection_reduction)

    def _score(self, model: Any) -> Computed:
        target = average_repetitions(self.target) if "repetition" in self.target.dims else self.target
        stimuli = load_stimuli(self.stimulus_set, unique_stimulus_ids(target), self.visual_degrees)
        recording = record_region(model, self.region, stimuli, selection=self.layer_selection(),
                                  number_of_trials=self.number_of_trials)
        result = computed(self._metric(), recording.assembly, target)
        return Computed(result.score.with_meta(**recording.meta(), metric=self.metric_name, metric_params=self.metric_params,
                             visual_degrees=self.visual_degrees, number_of_trials=self.number_of_trials,
                             data_checksum=data_checksum(self.target), data_files=data_files(self.datasets),
                             stimulus_set_hash=stimuli.content_hash()), result.resampler)
