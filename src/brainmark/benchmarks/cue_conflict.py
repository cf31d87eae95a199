"""Cue-conflict benchmarks (Geirhos et al. 2019): the model's 16-way decisions on the 1,280 texture-vs-shape images.

Every cue-conflict benchmark shows the model the *whole* stimulus set ``Geirhos2021.cue-conflict`` in the same order
at the same visual degrees, and takes the decisions from one forward pass: the model's probabilities are kept per
model object and stimulus-set content hash for the rest of the process (:func:`shared_probabilities`), and brainmark
models also hit their on-disk activation cache (keyed by the stimulus set's content hash), so a second benchmark,
or a second process, does not run the network again.

- ``Hermann2020cueconflict-shape_bias`` / ``-shape_match``: the official definitions (Brain-Score's hermann2020):
  the model's own shape bias, shape_match / (shape_match + texture_match), or its shape match (accuracy against
  the shape class) over the conflict images; ceiling 1; no humans involved. Reported, not in composites.
- ``Geirhos2021cueconflict-error_consistency``: Cohen's kappa of the model's trial-wise correctness (correct = chose
  the shape class, the trials' ``truth``) with each of the 10 uninstructed subjects, ceiled by the human-to-human
  kappa; as the edge/silhouette benchmarks.
- ``Geirhos2021cueconflict-shape_bias``: how close the model's shape bias is to each human's,
  1 - |SB_model - SB_subject| averaged over subjects, ceiled by each subject against the pooled others; the
  cue-conflict benchmark that counts in the behaviour composite.

The shape-bias scores also record the human range (:func:`human_range`): the shape bias of the uninstructed humans
and of the humans told to follow the shape or the texture, overall, per subject and per shape class.
"""
from __future__ import annotations

import threading
import weakref
from typing import Any

import xarray as xr

from brainmark.benchmarks._data import load_dataset, load_stimuli
from brainmark.benchmarks.behavioral import PROBABILITIES, _TrialsBenchmark
from brainmark.data.checksum import data_checksum
from brainmark.metrics.base import Computed

DATASET = STIMULUS_SET = "Geirhos2021.cue-conflict"
INSTRUCTED = {"shape": f"{DATASET}-shape-instructed", "texture": f"{DATASET}-texture-instructed"}

_LOCK = threading.Lock()
_SHARED: "weakref.WeakKeyDictionary[Any, dict[tuple, xr.DataArray]]" = weakref.WeakKeyDictionary()
_RANGES: dict[str, dict[str, Any]] = {}


def shared_probabilities(model: Any, stimuli: Any, number_of_trials: int = 1) -> xr.DataArray:
    """The model's probabilities on ``stimuli``: one ``look_at`` per model object and stimulus content (then reused)."""
    model.start_task(PROBABILITIES, None)
    key = (stimuli.content_hash(), float(stimuli.degrees or 0), int(number_of_trials))
    try:
        with _LOCK:
            memo = _SHARED.setdefault(model, {})
    except TypeError:  # a model that cannot be weakly referenced: no sharing beyond its own caches
        memo = {}
    if key not in memo:
        probabilities = model.look_at(stimuli, number_of_trials=number_of_trials)
        with _LOCK:
            memo[key] = probabilities
    return memo[key].copy()


def cue_table(stimuli: Any) -> xr.DataArray:
    """The stimulus set's cues (shape, texture per stimulus id) as a DataArray, for checksums and metrics."""
    table = stimuli.table
    return xr.DataArray(table["conflict"].to_numpy(dtype=bool), dims=("presentation",),
                        coords={c: ("presentation", table[c].astype(str).to_numpy()) for c in ("stimulus_id", "shape", "texture")})


def human_range(trials: xr.DataArray | None = None) -> dict[str, Any]:
    """Shape bias of humans without instruction and told to follow the shape / the texture (once per process).

    Per condition: ``shape_bias`` (pooled), ``per_subject`` and ``per_class`` (pooled per shape class); they show how
    far humans *can* follow each cue, i.e. the range a model's shape bias is read against.
    """
    from brainmark.metrics import load_metric

    datasets = {"none": DATASET, **INSTRUCTED}
    loaded = {c: trials if (c == "none" and trials is not None) else load_dataset(d) for c, d in datasets.items()}
    key = "|".join(data_checksum(a) for a in loaded.values())
    with _LOCK:
        if key in _RANGES:
            return _RANGES[key]
    out: dict[str, Any] = {}
    for condition, data in loaded.items():
        score = load_metric("shape_bias")(data)
        per_subject = score.values["subject"]
        out[condition] = {"dataset": datasets[condition], "shape_bias": score.raw,
                          "per_subject": dict(zip(map(str, per_subject["subject"].values), per_subject.values.tolist())),
                          "per_class": dict(score.meta["shape_bias_per_class"]),
                          "data_checksum": data_checksum(data)}
    with _LOCK:
        _RANGES[key] = out
    return out


class CueConflictBenchmark(_TrialsBenchmark):
    """A cue-conflict benchmark: the whole stimulus set shown once; ``target`` is ``trials`` or ``stimuli``.

    ``target="stimuli"``: the metric gets the model's decisions and the stimuli's cues (the official, human-free
    shape bias); ``target="trials"``: the decisions and the uninstructed human trials. ``with_human_range`` adds the
    human range (:func:`human_range`) to the score's ``meta``.
    """

    def __init__(self, identifier: str, *, metric: str, target: str = "trials", with_human_range: bool = False,
                 **kw: Any) -> None:
        super().__init__(identifier, dataset=DATASET, stimulus_set=STIMULUS_SET, metric=metric, **kw)
        if target not in ("trials", "stimuli"):
            raise ValueError(f"target must be 'trials' or 'stimuli', got {target!r}")
        self.target, self.with_human_range = target, with_human_range
        uses = (STIMULUS_SET,) if target == "stimuli" else (DATASET, STIMULUS_SET)
        self.datasets = (*dict.fromkeys(uses), *(INSTRUCTED.values() if with_human_range else ()))

    def _presented(self) -> Any:
        return load_stimuli(STIMULUS_SET, None, self.visual_degrees)

    def _probabilities(self, model: Any, stimuli: Any) -> xr.DataArray:
        return shared_probabilities(model, stimuli, self.number_of_trials)

    def _metric_target(self, stimuli: Any) -> Any:
        return stimuli if self.target == "stimuli" else self.trials

    def _score(self, model: Any) -> Computed:
        result = super()._score(model)
        score = result.score
        if self.target == "stimuli":  # the data is the stimulus set's cues (no human trials)
            score = score.with_meta(data_checksum=data_checksum(cue_table(self._presented())))
        if self.with_human_range:
            score = score.with_meta(human_range=human_range(None if self.target == "stimuli" else self.trials))
        return Computed(score, result.resampler)

