"""Trial-wise behavioural metrics of the Geirhos experiments: accuracy and error consistency.

Model decisions are one label per stimulus: a ``presentation`` DataArray of category names, or probabilities
``presentation x choice`` over category names (argmax), or over the 1000 ImageNet classes (aggregated to the 16
categories with :mod:`brainmark.metrics.behavioral.imagenet16`, then argmax). Human trials are one ``presentation``
per trial (values = the response) with ``stimulus_id``, ``truth`` and ``subject`` (``condition`` optional).

- ``error_consistency`` (Geirhos et al. 2020): per subject and condition, Cohen's kappa between the trial-wise
  correct/incorrect vectors of model and subject, kappa = (c_obs - c_exp) / (1 - c_exp) with
  c_exp = a_m a_h + (1 - a_m)(1 - a_h); mean over conditions, then subjects. As officially, the absolute value of
  that mean is reported (``absolute=True``; set False for the signed value). Ceiling: the same over all pairs of
  subjects (each pair compared on the stimuli both saw). Ceil with the ``ratio`` convention (the official benchmark
  divides by the ceiling and clips to [0, 1]).
- ``accuracy``: ``reference="truth"`` is top-1 accuracy on the stimuli (official Geirhos2021 ``-top1``, ceiling 1);
  ``reference="human"`` is the official ``accuracy_distance``: per subject 1 - |a_m - a_h| / max(a_h, 1 - a_h) on
  that subject's trials, absolute value of the mean over subjects.

Human responses that are not a category (e.g. "na" for no answer) count as errors; how many is recorded in ``meta``.
Model labels outside the trials' categories raise an error.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import xarray as xr

from brainmark.data.checksum import data_checksum
from brainmark.metrics.base import Computed, Estimator, require_bool, require_choice
from brainmark.metrics.behavioral import imagenet16
from brainmark.metrics.behavioral.geirhos_resampling import (
    AccuracyDistanceResampler,
    AccuracyResampler,
    ErrorConsistencyCeilingResampler,
    ErrorConsistencyResampler,
    TrialGroup,
)
from brainmark.metrics.behavioral.trials import BehavioralDataError, Trials, read_trials
from brainmark.scores import Score, per_unit


def decision_labels(model: xr.DataArray, categories: np.ndarray) -> np.ndarray:
    """The chosen category per presentation of ``model`` (labels, or probabilities over categories or the 1000
    ImageNet classes), checked against ``categories``."""
    if not isinstance(model, xr.DataArray):
        raise BehavioralDataError(f"model decisions must be an xarray.DataArray, got {type(model).__name__}")
    if "presentation" not in model.dims or "stimulus_id" not in model.coords:
        raise BehavioralDataError(
            f"model decisions need a 'presentation' dim with a 'stimulus_id' coordinate, got dims {model.dims}"
        )
    if model.dims == ("presentation",):
        labels = np.asarray([str(v) for v in model.values.tolist()], dtype=object)
    elif set(model.dims) == {"presentation", "choice"}:
        probs = np.asarray(model.transpose("presentation", "choice").values, dtype=float)
        choices = [str(c) for c in model["choice"].values] if "choice" in model.coords else []
        if probs.shape[1] == imagenet16.N_IMAGENET_CLASSES and not set(choices) & set(categories.tolist()):
            labels = imagenet16.decisions(probs)
        else:
            if not choices:
                raise BehavioralDataError("model probabilities need a 'choice' coordinate naming the categories")
            labels = np.asarray(choices, dtype=object)[np.argmax(probs, axis=1)]
    else:
        raise BehavioralDataError(
            f"model decisions must be labels (presentation) or probabilities (presentation x choice), got {model.dims}"
        )
    unknown = sorted(set(labels.tolist()) - set(categories.tolist()))
    if unknown:
        raise BehavioralDataError(
            f"model chose {len(unknown)} labels that are not categories of the trials (e.g. {unknown[:5]}); "
            f"map the model's outputs to {', '.join(sorted(categories.tolist()))}"
        )
    return labels


def model_decisions(model: xr.DataArray, categories: np.ndarray) -> dict[str, str]:
    """Map stimulus id -> the model's chosen category, validating names against ``categories``."""
    labels = decision_labels(model, categories)
    ids = [str(s) for s in model["stimulus_id"].values]
    decisions = dict(zip(ids, labels.tolist()))
    if len(decisions) != len(ids):
        raise BehavioralDataError("model decisions repeat stimulus ids; give one decision per stimulus")
    return decisions


def _model_labels_for(trials: Trials, decisions: dict[str, str]) -> np.ndarray:
    missing = sorted(set(trials.stimulus_id.tolist()) - set(decisions))
    if missing:
        raise BehavioralDataError(
            f"{len(missing)} stimuli with human trials have no model decision (e.g. {missing[:5]}); "
            "present the benchmark's whole stimulus set"
        )
    return np.asarray([decisions[s] for s in trials.stimulus_id.tolist()], dtype=object)


def cohens_kappa(correct_a: np.ndarray, correct_b: np.ndarray) -> float:
    """Error consistency of two trial-wise correctness vectors (NaN when both are always right or always wrong)."""
    a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    if len(a) == 0 or len(a) != len(b):
        raise BehavioralDataError(f"kappa needs two equally long, non-empty vectors, got {len(a)} and {len(b)}")
    acc_a, acc_b = a.mean(), b.mean()
    expected = acc_a * acc_b + (1 - acc_a) * (1 - acc_b)
    observed = (a == b).mean()
    if expected >= 1.0:
        return math.nan
    return float((observed - expected) / (1.0 - expected))


def _groups(trials: Trials, what: str) -> tuple[np.ndarray, np.ndarray]:
    if trials.subject is None:
        raise BehavioralDataError(f"{what} needs a 'subject' coordinate on the human trials")
    condition = trials.condition if trials.condition is not None else np.full(len(trials), "all", dtype=object)
    return trials.subject, condition


def _aggregate(table: dict[tuple[str, str], float], absolute: bool) -> tuple[float, float, np.ndarray, list]:
    """Mean over conditions, then over subjects/pairs (NaN-aware); error = std over all entries (ddof 0)."""
    keys = sorted(table)
    values = np.asarray([table[k] for k in keys], dtype=float)
    finite = np.isfinite(values)
    if not finite.any():
        return math.nan, math.nan, values, keys
    per_unit: dict[str, list[float]] = {}
    for (unit, _), v in zip(keys, values):
        if np.isfinite(v):
            per_unit.setdefault(unit, []).append(v)
    mean = float(np.mean([np.mean(v) for v in per_unit.values()]))
    return (abs(mean) if absolute else mean), float(np.std(values[finite])), values, keys


def _correct(labels: np.ndarray, truth: np.ndarray) -> np.ndarray:
    return np.asarray(labels == truth, dtype=bool)


class ErrorConsistency(Estimator):
    """``metric(model_decisions, human_trials) -> Score``: Cohen's kappa of model vs each subject, averaged."""

    def __init__(self, *, absolute: bool = True) -> None:
        self.absolute = absolute

    def check_params(self) -> None:
        """``absolute`` must be a bool."""
        require_bool(self, "absolute")

    def __call__(self, model: xr.DataArray, human_trials: xr.DataArray) -> Score:
        """Error consistency of the model's decisions with each subject's trials."""
        return self.compute(model, human_trials).score

    def compute(self, model: xr.DataArray, human_trials: xr.DataArray) -> Computed:
        """The Score and its resampler (images and subjects)."""
        trials = read_trials(human_trials, match_to_sample=False)
        categories = np.unique(trials.truth.astype(str))
        labels = _model_labels_for(trials, model_decisions(model, categories))
        subject, condition = _groups(trials, "error consistency")
        model_correct, human_correct = _correct(labels, trials.truth), _correct(trials.choice, trials.truth)
        images, image_index = _image_index(trials)
        subjects = sorted(set(subject.tolist()))
        table, groups = {}, []
        for s, c in sorted(set(zip(subject.tolist(), condition.tolist()))):
            mask = (subject == s) & (condition == c)
            table[(s, c)] = cohens_kappa(model_correct[mask], human_correct[mask])
            groups.append(TrialGroup(subjects.index(s), image_index[mask], model_correct[mask], human_correct[mask]))
        raw, error, values, keys = _aggregate(table, self.absolute)
        score = Score(
            raw=raw, error=error,
            values={"subject_condition": per_unit(values, "subject_condition", [f"{s}|{c}" for s, c in keys])},
            meta={
                "metric": "error_consistency",
                "parameters": self.params_record(),
                "data_checksum": data_checksum(human_trials),
                "n_trials": len(trials), "n_subjects": len(subjects),
                "n_conditions": len(set(condition.tolist())),
                "model_accuracy": float(model_correct.mean()), "human_accuracy": float(human_correct.mean()),
                "human_responses_outside_categories": int((~np.isin(trials.choice, categories)).sum()),
                "undefined_kappas": int((~np.isfinite(values)).sum()),
            },
        )
        return Computed(score, ErrorConsistencyResampler(groups, images, subjects, bool(self.absolute)))


def _image_index(trials: Trials) -> tuple[list[str], np.ndarray]:
    """Sorted unique stimulus ids and each trial's index into them."""
    images, index = np.unique(trials.stimulus_id.astype(str), return_inverse=True)
    return images.tolist(), index


def _per_subject_responses(trials: Trials, mask: np.ndarray, subject: str) -> dict[str, bool]:
    ids = trials.stimulus_id[mask].tolist()
    if len(set(ids)) != len(ids):
        raise BehavioralDataError(
            f"subject {subject!r} saw some stimuli more than once within a condition; error consistency compares "
            "one response per stimulus"
        )
    return dict(zip(ids, _correct(trials.choice[mask], trials.truth[mask]).tolist()))


class ErrorConsistencyCeiling(Estimator):
    """``ceiling(human_trials) -> Score``: mean human-to-human kappa over all pairs of subjects."""

    def __init__(self, *, absolute: bool = True) -> None:
        self.absolute = absolute

    def check_params(self) -> None:
        """``absolute`` must be a bool."""
        require_bool(self, "absolute")

    def __call__(self, human_trials: xr.DataArray) -> Score:
        """Mean Cohen's kappa over all pairs of subjects (each pair on the stimuli both saw)."""
        return self.compute(human_trials).score

    def compute(self, human_trials: xr.DataArray) -> Computed:
        """The ceiling's Score and its resampler (images and subjects)."""
        trials = read_trials(human_trials, match_to_sample=False)
        subject, condition = _groups(trials, "the error-consistency ceiling")
        subjects = sorted(set(subject.tolist()))
        if len(subjects) < 2:
            raise BehavioralDataError("the error-consistency ceiling needs trials of at least two subjects")
        images, _ = _image_index(trials)
        position = {s: i for i, s in enumerate(images)}
        pairs = list(itertools.combinations(range(len(subjects)), 2))
        table, groups = {}, []
        for c in sorted(set(condition.tolist())):
            responses = {s: _per_subject_responses(trials, (subject == s) & (condition == c), s) for s in subjects}
            for p, (i, j) in enumerate(pairs):
                a, b = subjects[i], subjects[j]
                common = sorted(set(responses[a]) & set(responses[b]))
                if common:
                    first = np.asarray([responses[a][k] for k in common])
                    second = np.asarray([responses[b][k] for k in common])
                    table[(f"{a}~{b}", c)] = cohens_kappa(first, second)
                    groups.append(TrialGroup(p, np.asarray([position[k] for k in common]), first, second))
        if not table:
            raise BehavioralDataError("no two subjects saw a common stimulus; the ceiling is undefined")
        raw, error, values, keys = _aggregate(table, self.absolute)
        score = Score(
            raw=raw, error=error,
            values={"pair_condition": per_unit(values, "pair_condition", [f"{p}|{c}" for p, c in keys])},
            meta={"ceiling": "error_consistency human-to-human", "parameters": self.params_record(),
                  "data_checksum": data_checksum(human_trials),
                  "n_subjects": len(subjects), "n_pairs": len(pairs),
                  "undefined_kappas": int((~np.isfinite(values)).sum())},
        )
        return Computed(score, ErrorConsistencyCeilingResampler(groups, pairs, images, subjects, bool(self.absolute)))


class Accuracy(Estimator):
    """``metric(model_decisions, human_trials) -> Score``: top-1 accuracy or the official accuracy distance."""

    REFERENCES = ("truth", "human")

    def __init__(self, *, reference: str = "truth") -> None:
        self.reference = reference

    def check_params(self) -> None:
        """``reference`` must be ``truth`` or ``human``."""
        require_choice(self, "reference", self.REFERENCES)

    def __call__(self, model: xr.DataArray, human_trials: xr.DataArray) -> Score:
        """Top-1 accuracy (``reference="truth"``) or the accuracy distance to each human (``"human"``)."""
        return self.compute(model, human_trials).score

    def compute(self, model: xr.DataArray, human_trials: xr.DataArray) -> Computed:
        """The Score and its resampler (images, and subjects for the accuracy distance)."""
        trials = read_trials(human_trials, match_to_sample=False)
        categories = np.unique(trials.truth.astype(str))
        decisions = model_decisions(model, categories)
        labels = _model_labels_for(trials, decisions)
        human_correct = _correct(trials.choice, trials.truth)
        meta = {"metric": "accuracy", "parameters": self.params_record(), "n_trials": len(trials),
                "data_checksum": data_checksum(human_trials),
                "human_accuracy": float(human_correct.mean())}
        images, image_index = _image_index(trials)
        if self.reference == "truth":
            ids, first = np.unique(trials.stimulus_id.astype(str), return_index=True)
            correct = _correct(labels[first], trials.truth[first])
            score = Score(raw=float(correct.mean()), error=float(correct.std()), ceiling=1.0,
                          ceiled_error=float(correct.std()), convention="ratio",
                          meta={**meta, "n_stimuli": len(ids), "ceiling": "1 (perfect top-1)"})
            return Computed(score, AccuracyResampler(correct, ids.tolist()))
        subject, _ = _groups(trials, "accuracy distance")
        model_correct = _correct(labels, trials.truth)
        per_subject, groups = [], []
        subjects = sorted(set(subject.tolist()))
        for k, s in enumerate(subjects):
            mask = subject == s
            a_m, a_h = model_correct[mask].mean(), human_correct[mask].mean()
            per_subject.append(1.0 - abs(a_m - a_h) / max(a_h, 1.0 - a_h))
            groups.append(TrialGroup(k, image_index[mask], model_correct[mask], human_correct[mask]))
        values = np.asarray(per_subject)
        score = Score(raw=float(abs(values.mean())), error=float(values.std()),
                      values={"subject": per_unit(values, "subject", subjects)},
                      meta={**meta, "model_accuracy": float(model_correct.mean()), "distance": "accuracy_distance"})
        return Computed(score, AccuracyDistanceResampler(groups, images, subjects))
