"""Image- and object-level behavioural consistency (Rajalingham, Issa et al. 2018): I2n, I1n, I2 and O2.

Compares a model's class probabilities on the test images with human match-to-sample trials (an image of a target
object, then a choice between the target and one distractor object).

Pipeline (shared by the family):

1. Response matrices, images x objects, value = the "wrong choice" rate for the (image, distractor) cell, NaN where
   the distractor is the image's own object. Humans: trials choosing that object / trials in which that object was
   one of the two options. Model (no trials): ``p(d) / (p(d) + p(target))`` from its probabilities.
2. d' = Z(hit) - Z(false alarm), clipped to [-5, 5]; hit = 1 - wrong-choice rate of the cell. False-alarm rule:
   ``"paper"`` (Rajalingham 2018): the mean wrong-choice rate of *all* cells whose distractor is the target (images of
   any other object); ``"official"`` (brainscore-vision): only the inverse pair, images of the distractor object
   whose distractor is the target.
3. ``I2n``: subtract the mean over images of each (target, distractor) pair. ``I1n``: then average over distractors
   (one value per image). ``I2``: no normalisation. ``O2``: object x object d' (hit and false-alarm rates averaged
   over the images of an object first), which has no false-alarm rule to choose.
4. Human split halves exactly as the official code: ``numpy.random.RandomState(random_state)``; for each split,
   shuffle the trial indices with the same generator (not re-seeded) and cut in two halves. Score r_st = Pearson
   between the model matrix and the first half (cells where both are defined); human reliability r_tt = Pearson
   between the halves (no Spearman-Brown); ceiled split score = r_st / sqrt(r_ss * r_tt); everything is the mean
   over splits, error = standard deviation over splits (ddof 0, as officially).
   r_ss = 1 for a deterministic model. For a stochastic model (probabilities with a ``trial`` dim, one sample per
   entry) the samples are split into halves with a separate ``RandomState(model_random_state)``; the model matrix is
   the first half's mean probabilities and r_ss the Pearson between the halves' matrices.
"""
from __future__ import annotations

import math
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import ndtri

from brainmark.metrics.behavioral.trials import BehavioralDataError, Trials, read_trials
from brainmark.scores import Score

VARIANTS = ("i2n", "i1n", "i2", "o2")
FA_RULES = ("paper", "official")
CAP = 5.0
CEILING_RULE = "per split r_st / sqrt(r_ss * r_tt), mean over splits (Rajalingham 2018; official benchmark)"


# ----------------------------------------------------------------------------------------------------------------
# numpy core: every matrix is images x objects, images in sorted stimulus-id order, objects in sorted name order


def group_nanmean(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Mean over rows of ``values`` within each group, ignoring NaN (NaN where a group has no finite value)."""
    finite = np.isfinite(values)
    onehot = np.zeros((n_groups, len(groups)))
    onehot[groups, np.arange(len(groups))] = 1.0
    sums = onehot @ np.where(finite, values, 0.0)
    counts = onehot @ finite
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def human_response_matrix(
    image: np.ndarray, sample: np.ndarray, distractor: np.ndarray, choice: np.ndarray,
    truth_of_image: np.ndarray, n_objects: int,
) -> np.ndarray:
    """Wrong-choice rates from trials given as integer codes (choice = -1 for a response outside the objects)."""
    n_images = len(truth_of_image)
    size = n_images * n_objects
    valid = choice >= 0
    chosen = np.bincount(image[valid] * n_objects + choice[valid], minlength=size).astype(float)
    offered = (np.bincount(image * n_objects + sample, minlength=size)
               + np.bincount(image * n_objects + distractor, minlength=size)).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(offered > 0, chosen / np.maximum(offered, 1), np.nan).reshape(n_images, n_objects)
    rates[np.arange(n_images), truth_of_image] = np.nan
    return rates


def model_response_matrix(probabilities: np.ndarray, truth_of_image: np.ndarray) -> np.ndarray:
    """Wrong-choice rates p(d) / (p(d) + p(target)) from images x objects probabilities."""
    rows = np.arange(len(truth_of_image))
    p_target = probabilities[rows, truth_of_image][:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = probabilities / (probabilities + p_target)
    rates[rows, truth_of_image] = np.nan
    return rates


def _z(p: np.ndarray) -> np.ndarray:
    return ndtri(p)


def dprime_matrix(rates: np.ndarray, truth_of_image: np.ndarray, n_objects: int, fa_rule: str) -> np.ndarray:
    """Clipped d' per (image, distractor) from wrong-choice rates."""
    if fa_rule == "official":
        per_object = group_nanmean(rates, truth_of_image, n_objects)  # [object shown, distractor]
        false_alarms = per_object.T[truth_of_image]  # images of the distractor whose distractor is the target
    elif fa_rule == "paper":
        with _quiet():
            column = np.nanmean(rates, axis=0)  # all images (not of the object) whose distractor is the object
        false_alarms = np.broadcast_to(column[truth_of_image][:, None], rates.shape)
    else:
        raise ValueError(f"unknown false-alarm rule {fa_rule!r}; choose one of {', '.join(FA_RULES)}")
    with np.errstate(invalid="ignore", divide="ignore"):
        dprime = _z(1.0 - rates) - _z(false_alarms)
    return np.clip(dprime, -CAP, CAP)


def normalize(dprime: np.ndarray, truth_of_image: np.ndarray, n_objects: int) -> np.ndarray:
    """Subtract the mean over images of each (target, distractor) pair."""
    return dprime - group_nanmean(dprime, truth_of_image, n_objects)[truth_of_image]


def object_dprime(rates: np.ndarray, truth_of_image: np.ndarray, n_objects: int) -> np.ndarray:
    """O2: objects x objects d' for target t against distractor d (NaN on the diagonal)."""
    wrong = group_nanmean(rates, truth_of_image, n_objects)  # wrong[t, d]: choosing d on images of t
    with np.errstate(invalid="ignore", divide="ignore"):
        dprime = _z(1.0 - wrong) - _z(wrong.T)
    return np.clip(dprime, -CAP, CAP)


def behavioral_signature(rates: np.ndarray, truth_of_image: np.ndarray, n_objects: int, variant: str,
                         fa_rule: str) -> np.ndarray:
    """The matrix (or vector) a variant correlates."""
    if variant == "o2":
        return object_dprime(rates, truth_of_image, n_objects)
    dprime = dprime_matrix(rates, truth_of_image, n_objects, fa_rule)
    if variant == "i2":
        return dprime
    dprime = normalize(dprime, truth_of_image, n_objects)
    if variant == "i1n":
        with _quiet():
            return np.nanmean(dprime, axis=1)
    return dprime


def pearson(source: np.ndarray, target: np.ndarray) -> tuple[float, int]:
    """Pearson r over cells where both are finite, and the number of such cells."""
    source, target = np.ravel(source), np.ravel(target)
    mask = np.isfinite(source) & np.isfinite(target)
    n = int(mask.sum())
    if n < 3:
        return math.nan, n
    s = source[mask] - source[mask].mean()
    t = target[mask] - target[mask].mean()
    denom = math.sqrt(float(s @ s) * float(t @ t))
    return (float(s @ t) / denom if denom > 0 else math.nan), n


def split_halves(n: int, n_splits: int, random_state: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The official halves: one RandomState, shuffled index list per split, first half = floor(n / 2) trials."""
    rng = np.random.RandomState(random_state)
    halves = []
    for _ in range(n_splits):
        indices = np.arange(n)
        rng.shuffle(indices)
        halves.append((indices[: n // 2], indices[n // 2:]))
    return halves


@contextmanager
def _quiet():
    """Silence numpy's 'Mean of empty slice' RuntimeWarning: all-NaN groups become NaN on purpose."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


# ----------------------------------------------------------------------------------------------------------------
# assemblies -> codes


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

    def response_matrix(self, index: np.ndarray | None = None) -> np.ndarray:
        sel = slice(None) if index is None else index
        return human_response_matrix(self.image[sel], self.sample[sel], self.distractor[sel], self.choice[sel],
                                     self.truth_of_image, len(self.objects))


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


# ----------------------------------------------------------------------------------------------------------------
# metric and ceiling


def _check_params(variant: str, fa_rule: str, n_splits: int) -> None:
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    if fa_rule not in FA_RULES:
        raise ValueError(f"unknown false-alarm rule {fa_rule!r}; choose one of {', '.join(FA_RULES)}")
    if int(n_splits) < 1:
        raise ValueError(f"n_splits must be at least 1, got {n_splits}")


def _mean_std(values) -> tuple[float, float]:
    arr = np.asarray(values, dtype=float)
    if not np.isfinite(arr).any():
        return math.nan, math.nan
    with _quiet():
        return float(np.nanmean(arr)), float(np.nanstd(arr))


class I2n:
    """Behavioural consistency of model probabilities with human match-to-sample trials (I2n and family).

    ``metric(model_probabilities, human_trials) -> Score`` with ``raw`` = mean r_st, ``ceiling`` = mean human
    split-half reliability r_tt and ``ceiled`` = mean over splits of r_st / sqrt(r_ss * r_tt) (the official
    split-wise rule; ``convention`` is None because it is none of the ratio conventions). Do not re-ceil it.

    Parameters: ``variant`` (i2n | i1n | i2 | o2), ``fa_rule`` (paper | official; ignored by o2), ``n_splits``
    (official: 2), ``random_state`` (official: 0), ``model_random_state`` (halves of stochastic model samples),
    ``atol`` (tolerance of the probabilities' sum to 1).
    """

    def __init__(self, variant: str = "i2n", *, fa_rule: str = "paper", n_splits: int = 2, random_state: int = 0,
                 model_random_state: int = 0, atol: float = 1e-3) -> None:
        self.variant = variant
        self.fa_rule = fa_rule
        self.n_splits = n_splits
        self.random_state = random_state
        self.model_random_state = model_random_state
        self.atol = atol

    def _signature(self, rates: np.ndarray, enc: EncodedTrials) -> np.ndarray:
        return behavioral_signature(rates, enc.truth_of_image, len(enc.objects), self.variant, self.fa_rule)

    def __call__(self, model_probabilities: xr.DataArray, human_trials: xr.DataArray) -> Score:
        _check_params(self.variant, self.fa_rule, self.n_splits)
        enc = encode_trials(read_trials(human_trials, match_to_sample=True))
        probs, notes = read_probabilities(model_probabilities, enc.images, enc.objects, atol=self.atol)
        n_samples = probs.shape[0]
        if n_samples == 1:
            model_halves = None
            model_matrix = self._signature(model_response_matrix(probs[0], enc.truth_of_image), enc)
        else:
            model_halves = split_halves(n_samples, self.n_splits, self.model_random_state)
        r_st, r_ss, r_tt, cells = [], [], [], []
        for split, (first, second) in enumerate(split_halves(len(enc.image), self.n_splits, self.random_state)):
            human_first = self._signature(enc.response_matrix(first), enc)
            human_second = self._signature(enc.response_matrix(second), enc)
            if model_halves is None:
                source, reliability = model_matrix, 1.0
            else:
                a, b = model_halves[split]
                source = self._signature(model_response_matrix(probs[a].mean(0), enc.truth_of_image), enc)
                other = self._signature(model_response_matrix(probs[b].mean(0), enc.truth_of_image), enc)
                reliability = pearson(source, other)[0]
            r, n = pearson(source, human_first)
            r_st.append(r)
            r_ss.append(reliability)
            r_tt.append(pearson(human_first, human_second)[0])
            cells.append(n)
        if not any(n >= 3 for n in cells):
            raise BehavioralDataError(
                "no (image, distractor) cell has both a model value and human trials; check that the trials name "
                "the same objects as the model's choices"
            )
        with np.errstate(invalid="ignore"):
            ceiled = np.asarray(r_st) / np.sqrt(np.asarray(r_ss) * np.asarray(r_tt))
        raw, error = _mean_std(r_st)
        ceiling, ceiling_error = _mean_std(r_tt)
        ceiled_mean, ceiled_error = _mean_std(ceiled)
        values = {"split": np.asarray(r_st), "ceiling_split": np.asarray(r_tt), "ceiled_split": ceiled}
        if model_halves is not None:
            values["model_reliability_split"] = np.asarray(r_ss)
        return Score(
            raw=raw, error=error, ceiling=ceiling, ceiling_error=ceiling_error, ceiled=ceiled_mean,
            ceiled_error=ceiled_error, convention=None, values=values,
            meta={
                "metric": self.variant,
                "parameters": {"fa_rule": self.fa_rule if self.variant != "o2" else "object-pair",
                               "n_splits": int(self.n_splits), "clip": CAP, "atol": self.atol},
                "seeds": {"human_halves": int(self.random_state), "model_halves": int(self.model_random_state)},
                "ceiling_rule": CEILING_RULE,
                "model_reliability": "1 (deterministic)" if model_halves is None else "split-half over model trials",
                "n_trials": len(enc.image), "n_images": len(enc.images), "n_objects": len(enc.objects),
                "n_cells_per_split": cells,
                "responses_outside_objects": int((enc.choice < 0).sum()),
                **notes,
            },
        )


class I2nCeiling:
    """Human split-half reliability r_tt of a variant (the official ``metric.ceiling``): mean over splits."""

    def __init__(self, variant: str = "i2n", *, fa_rule: str = "paper", n_splits: int = 2,
                 random_state: int = 0) -> None:
        self.variant = variant
        self.fa_rule = fa_rule
        self.n_splits = n_splits
        self.random_state = random_state

    def __call__(self, human_trials: xr.DataArray) -> Score:
        _check_params(self.variant, self.fa_rule, self.n_splits)
        enc = encode_trials(read_trials(human_trials, match_to_sample=True))
        n_objects = len(enc.objects)
        r_tt = []
        for first, second in split_halves(len(enc.image), self.n_splits, self.random_state):
            halves = [behavioral_signature(enc.response_matrix(h), enc.truth_of_image, n_objects, self.variant,
                                           self.fa_rule) for h in (first, second)]
            r_tt.append(pearson(*halves)[0])
        raw, error = _mean_std(r_tt)
        return Score(
            raw=raw, error=error, values={"split": np.asarray(r_tt)},
            meta={
                "ceiling": f"{self.variant} split-half reliability",
                "parameters": {"fa_rule": self.fa_rule if self.variant != "o2" else "object-pair",
                               "n_splits": int(self.n_splits), "clip": CAP},
                "seeds": {"human_halves": int(self.random_state)},
                "spearman_brown": False,
                "n_trials": len(enc.image), "n_images": len(enc.images), "n_objects": n_objects,
            },
        )
