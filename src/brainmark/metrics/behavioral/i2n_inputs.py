"""Human match-to-sample trials and model probabilities as integer-coded arrays for the I2n family."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from brainmark.metrics.behavioral.i2n_core import human_response_matrix
from brainmark.metrics.behavioral.trials import BehavioralDataError, Trials

@dataclass(frozen=True)
class EncodedTrials:
    """Human trials as integer codes over sorted images and objects."""

    images: np.ndarray  # sorted unique stimulus ids
    objects: np.ndarray  # sorted object names
    truth_of_image: np.ndarray
    image: np.ndarray
    sample: np.ndarray
    distractor: np.ndarray
    choice: np.ndarray  # -1 where the response is not one of the objects

    def response_matrix(self, index: np.ndarray | None = None, trial_weights: np.ndarray | None = None) -> np.ndarray:
        """Human wrong-choice rates from the trials ``index`` (all by default), optionally weighted per trial."""
        sel = slice(None) if index is None else index
        return human_response_matrix(self.image[sel], self.sample[sel], self.distractor[sel], self.choice[sel],
                                     self.truth_of_image, len(self.objects), trial_weights)


def encode_trials(trials: Trials) -> EncodedTrials:
    """Integer codes of match-to-sample trials; objects = every name shown as sample, truth or distractor."""
    objects = np.asarray(sorted(set(pd.unique(trials.truth)) | set(pd.unique(trials.sample))
                                | set(pd.unique(trials.distractor))), dtype=object)
    image, images = pd.factorize(trials.stimulus_id, sort=True)
    images = np.asarray(images, dtype=object)
    index = pd.Index(objects)

    def codes(values: np.ndarray) -> np.ndarray:  # -1 for values that are not one of the objects
        return np.asarray(index.get_indexer(values), dtype=np.int64)

    truth, sample, distractor, choice = (codes(v) for v in (trials.truth, trials.sample, trials.distractor,
                                                            trials.choice))
    truth_of_image = np.empty(len(images), dtype=np.int64)
    truth_of_image[image[::-1]] = truth[::-1]
    same = np.flatnonzero(sample == distractor)
    if len(same):
        raise BehavioralDataError(
            f"{len(same)} trials offer the same object as sample and distractor (e.g. stimulus "
            f"{trials.stimulus_id[same[0]]!r}); each trial needs two different objects"
        )
    return EncodedTrials(images=images, objects=objects, truth_of_image=truth_of_image, image=image.astype(np.int64),
                         sample=sample, distractor=distractor, choice=choice)


def read_probabilities(
    probabilities: xr.DataArray, images: np.ndarray, objects: np.ndarray, *, atol: float = 1e-3
) -> tuple[np.ndarray, dict]:
    """Model probabilities as ``samples x images x objects`` aligned to ``images`` / ``objects``, plus notes."""
    if not isinstance(probabilities, xr.DataArray):
        raise BehavioralDataError(f"model probabilities must be an xarray.DataArray, got {type(probabilities).__name__}")
    extra = [d for d in probabilities.dims if d not in ("presentation", "choice", "trial")]
    if extra or "presentation" not in probabilities.dims or "choice" not in probabilities.dims:
        raise BehavioralDataError(
            f"model probabilities need dims presentation x choice (optionally x trial), got {probabilities.dims}"
        )
    if "choice" not in probabilities.coords:
        raise BehavioralDataError("model probabilities need a 'choice' coordinate naming the object of each column")
    probs = probabilities.transpose(*(["trial"] if "trial" in probabilities.dims else []), "presentation", "choice")
    values = np.asarray(probs.values, dtype=float)
    if values.ndim == 2:
        values = values[None]
    if "stimulus_id" not in probs.coords:
        raise BehavioralDataError("model probabilities need a 'stimulus_id' coordinate on 'presentation'")
    ids = [str(s) for s in probs["stimulus_id"].values]
    if len(set(ids)) != len(ids):
        raise BehavioralDataError(
            "model probabilities repeat stimulus ids along 'presentation'; put repeated samples on a 'trial' dim"
        )
    if not np.isfinite(values).all():
        raise BehavioralDataError("model probabilities contain NaN or inf")
    if (values < -atol).any():
        raise BehavioralDataError("model probabilities contain negative values; pass softmax probabilities, not logits")
    sums = values.sum(axis=-1)
    off = np.abs(sums - 1.0) > atol
    if off.any():
        where = np.argwhere(off)[0]
        raise BehavioralDataError(
            f"model probabilities do not sum to 1 over 'choice' for {int(off.sum())} rows (e.g. stimulus "
            f"{ids[where[1]]!r} sums to {sums[tuple(where)]:.4g}); pass softmax probabilities over the choices"
        )
    choices = [str(c) for c in probs["choice"].values]
    choice_index = {c: i for i, c in enumerate(choices)}
    missing_objects = [o for o in objects.tolist() if o not in choice_index]
    if missing_objects:
        raise BehavioralDataError(
            f"model probabilities have no 'choice' column for objects {missing_objects[:5]} "
            f"({len(missing_objects)} of {len(objects)} objects in the human trials); fit the readout on all objects"
        )
    id_index = {s: i for i, s in enumerate(ids)}
    missing_images = [s for s in images.tolist() if s not in id_index]
    if missing_images:
        raise BehavioralDataError(
            f"{len(missing_images)} of {len(images)} images with human trials are missing from the model "
            f"probabilities (e.g. {missing_images[:5]}); present the benchmark's whole stimulus set"
        )
    aligned = values[:, [id_index[s] for s in images.tolist()]][:, :, [choice_index[o] for o in objects.tolist()]]
    notes = {
        "model_images_without_trials": len(ids) - len(images),
        "model_choices_not_in_trials": len(choices) - len(objects),
        "model_trials": int(values.shape[0]),
    }
    return aligned, notes


