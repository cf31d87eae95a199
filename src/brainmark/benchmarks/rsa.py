"""RSA benchmarks: the model's RDM of the committed layer vs recorded representational matrices.

Score = the ``rsa`` metric (comparator per subject, mean over subjects); ceiling = the RDM noise ceiling's lower
bound (each subject vs the mean of the others) when per-subject matrices exist. The layer is committed on separate
data: other subjects or another species' matrices over the same stimuli (see each benchmark's description).
"""
from __future__ import annotations

from typing import Any, Callable

import xarray as xr

from brainmark.benchmarks._data import data_files, load_stimuli
from brainmark.benchmarks._recording import LayerSelection, record_region, selection_key
from brainmark.benchmarks.base import NEURAL, Benchmark, computed
from brainmark.data.checksum import data_checksum
from brainmark.metrics.base import Computed
from brainmark.scores import DEFAULT_CONVENTION, Score

ROW = "stimulus_row"
MatrixLoader = Callable[[], xr.DataArray]


class RSABenchmark(Benchmark):
    """``target``/``selection_target`` load ``[subject x [session x]] stimulus_row x stimulus_col`` matrices.

    ``recording_region`` is the model region whose RDM is compared (default: ``region``); a behavioural RSA benchmark
    (``kind="behavioral"``, ``region=None``) records e.g. the model's IT. ``same_stimuli`` says that selection and
    scoring use the same images (with other recordings), so the commitment's "no shared stimuli" check is skipped.
    """

    kind = NEURAL

    def __init__(self, identifier: str, *, region: str | None, target: MatrixLoader, selection_target: MatrixLoader,
                 stimulus_set: str, datasets: tuple[str, ...], comparator: str = "spearman",
                 distance: str = "correlation", ceiled_by_subjects: bool = True, visual_degrees: float = 8.0,
                 version: int = 1, bibtex: str = "", description: str = "", selection_description: str = "",
                 no_ceiling_reason: str = "", convention: str = DEFAULT_CONVENTION, kind: str = NEURAL,
                 recording_region: str | None = None, same_stimuli: bool = True) -> None:
        super().__init__(convention)
        self.identifier, self.region, self.version, self.kind = identifier, region, version, kind
        self.recording_region = recording_region or region
        self.same_stimuli = same_stimuli
        self.bibtex, self.description, self.datasets = bibtex, description, tuple(datasets)
        self._target_loader, self._selection_loader = target, selection_target
        self.stimulus_set, self.comparator, self.distance = stimulus_set, comparator, distance
        self.ceiled_by_subjects, self.no_ceiling_reason = ceiled_by_subjects, no_ceiling_reason
        self.visual_degrees, self.selection_description = visual_degrees, selection_description
        self.metric_name, self.ceiling_name = "rsa", "rsa" if ceiled_by_subjects else None
        self._target: xr.DataArray | None = None

    @property
    def target(self) -> xr.DataArray:
        """The scored matrices (loaded on first use)."""
        if self._target is None:
            self._target = self._target_loader()
        return self._target

    def _metric(self) -> Callable[..., Score]:
        from brainmark.metrics import load_metric

        return load_metric("rsa", distance=self.distance, comparator=self.comparator)

    def _compute_ceiling(self) -> Score:
        if not self.ceiled_by_subjects:
            # ceiling 1: ceiled = raw under "ratio"; the reason is recorded with every score
            return Score(raw=1.0, meta={"ceiling": f"none: {self.no_ceiling_reason}; ceiling set to 1"})
        return self._ceiling_of("rsa", {"comparator": self.comparator}, self.target)

    def layer_selection(self) -> LayerSelection:
        """How the layer is chosen: the same metric on the selection matrices and their stimuli."""
        selection = self._selection_loader()
        metric = self._metric()
        stimuli = load_stimuli(self.stimulus_set, [str(s) for s in selection[ROW].values], self.visual_degrees)
        key = selection_key(self.identifier, self.version, data_checksum(selection), stimuli.content_hash())
        return LayerSelection(key=key, stimuli=stimuli, scorer=lambda activations: metric(activations, selection),
                              description=self.selection_description, same_stimuli=self.same_stimuli)

    def _score(self, model: Any) -> Computed:
        target = self.target
        stimuli = load_stimuli(self.stimulus_set, [str(s) for s in target[ROW].values], self.visual_degrees)
        recording = record_region(model, self.recording_region, stimuli, selection=self.layer_selection())
        result = computed(self._metric(), recording.assembly, target)
        return Computed(result.score.with_meta(**recording.meta(), metric="rsa", metric_params={"distance": self.distance, "comparator": self.comparator},
                             visual_degrees=self.visual_degrees, number_of_trials=1, data_checksum=data_checksum(target),
                             data_files=data_files(self.datasets), stimulus_set_hash=stimuli.content_hash()),
                        result.resampler)
