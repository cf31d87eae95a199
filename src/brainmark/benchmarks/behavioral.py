"""Behavioural benchmarks: the model does the experiment's task and its choices are compared with humans'.

- :class:`GeirhosBenchmark`: 16-way classification of edge or silhouette images (Geirhos et al. 2021). The model
  gives 1000-way ImageNet probabilities, mapped to the 16 categories by
  :mod:`brainmark.metrics.behavioral.imagenet16`; metric ``error_consistency`` (ceiling: human-to-human kappa)
  or ``accuracy`` (the official accuracy distance to each human's accuracy; ceiling 1 by construction).
- :class:`I2nBenchmark`: Rajalingham et al. 2018 match-to-sample; a readout is fitted on separate images.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from brainmark.benchmarks._data import data_files, load_dataset, load_stimuli, unique_stimulus_ids
from brainmark.benchmarks.base import BEHAVIORAL, Benchmark, computed
from brainmark.data.checksum import data_checksum
from brainmark.metrics.base import Computed
from brainmark.scores import DEFAULT_CONVENTION, Score

PROBABILITIES = "probabilities"


class _TrialsBenchmark(Benchmark):
    kind = BEHAVIORAL

    def __init__(self, identifier: str, *, dataset: str, stimulus_set: str, metric: str,
                 metric_params: dict[str, Any] | None = None, ceiling: str | None = None,
                 ceiling_params: dict[str, Any] | None = None, visual_degrees: float = 8.0,
                 number_of_trials: int = 1, version: int = 1, bibtex: str = "", description: str = "",
                 offline: bool = True, in_composites: bool = True, convention: str = DEFAULT_CONVENTION) -> None:
        super().__init__(convention)
        self.identifier, self.version, self.bibtex, self.description = identifier, version, bibtex, description
        self.dataset, self.stimulus_set, self.offline = dataset, stimulus_set, offline
        self.datasets = (dataset, stimulus_set)
        self.metric_name, self.metric_params = metric, dict(metric_params or {})
        self.ceiling_name, self.ceiling_params = ceiling, dict(ceiling_params or {})
        self.visual_degrees, self.number_of_trials = visual_degrees, number_of_trials
        self.in_composites = in_composites
        self._trials: xr.DataArray | None = None

    @property
    def trials(self) -> xr.DataArray:
        if self._trials is None:
            self._trials = load_dataset(self.dataset)
        return self._trials

    def _compute_ceiling(self) -> Score:
        if self.ceiling_name is None:
            return Score(raw=1.0, meta={"ceiling": f"1 by construction of {self.metric_name}"})
        return self._ceiling_of(self.ceiling_name, self.ceiling_params, self.trials)

    def _fitting_stimuli(self) -> Any:
        return None

    def _presented(self) -> Any:
        """The stimuli shown to the model: those with trials, in first-trial order."""
        return load_stimuli(self.stimulus_set, unique_stimulus_ids(self.trials), self.visual_degrees)

    def _probabilities(self, model: Any, stimuli: Any) -> xr.DataArray:
        """The model's choice probabilities on ``stimuli`` (the task set up, then one ``look_at``)."""
        model.start_task(PROBABILITIES, self._fitting_stimuli())
        return model.look_at(stimuli, number_of_trials=self.number_of_trials)

    def _metric_target(self, stimuli: Any) -> Any:
        """What the metric compares the model's outputs with (the human trials)."""
        return self.trials

    def _score(self, model: Any) -> Computed:
        from brainmark.metrics import load_metric

        trials = self.trials
        stimuli = self._presented()
        probabilities = self._probabilities(model, stimuli)
        result = computed(load_metric(self.metric_name, **self.metric_params), probabilities, self._metric_target(stimuli))
        return Computed(result.score.with_meta(metric=self.metric_name, metric_params=self.metric_params, task=PROBABILITIES,
                             visual_degrees=self.visual_degrees, number_of_trials=self.number_of_trials,
                             layer=probabilities.attrs.get("readout_layer") or probabilities.attrs.get("readout") or probabilities.attrs.get("layer"),
                             data_checksum=data_checksum(trials),
                             data_files=data_files(self.datasets), stimulus_set_hash=stimuli.content_hash()),
                        result.resampler)

    def provenance(self) -> dict[str, Any]:
        return {**super().provenance(), "in_composites": self.in_composites}


class GeirhosBenchmark(_TrialsBenchmark):
    """Geirhos et al. 2021 edge / silhouette: error consistency or accuracy distance of 16-way decisions."""


class I2nBenchmark(_TrialsBenchmark):
    """Rajalingham et al. 2018 I2n: probabilities from a readout fitted on ``fitting_stimulus_set`` (no test images)."""

    def __init__(self, identifier: str, *, fitting_stimulus_set: str, **kw: Any) -> None:
        super().__init__(identifier, **kw)
        self.fitting_stimulus_set = fitting_stimulus_set
        self.datasets = (*self.datasets, fitting_stimulus_set)

    def __call__(self, model: Any) -> Score:
        """I2n is ceiled split by split (r_st / sqrt(r_ss * r_tt), the official rule) inside the metric, with the
        same human halves as its ceiling: keep that value instead of re-ceiling the mean (which would differ)."""
        result = self._score(model)
        score = result.score.with_meta(**self.provenance(), ceiling_rule="mean over splits of r_st / sqrt(r_ss * r_tt)",
                                       convention_not_applied=self.convention)
        return self.with_interval(score, result.resampler, None, None)

    def _fitting_stimuli(self) -> Any:
        fitting = load_stimuli(self.fitting_stimulus_set, degrees=self.visual_degrees)
        tested = set(unique_stimulus_ids(self.trials))
        overlap = tested & set(fitting.stimulus_ids)
        if overlap:
            keep = [s for s in fitting.stimulus_ids if s not in tested]
            fitting = fitting.subset(keep, identifier=fitting.identifier)
        labels = np.asarray(fitting.metadata("object_name") if "object_name" in fitting.table.columns else [])
        if labels.size == 0:
            from brainmark.benchmarks.base import BenchmarkError

            raise BenchmarkError(f"{self.identifier}: fitting stimuli {self.fitting_stimulus_set} have no object_name labels")
        return fitting
