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

import numpy as np
import xarray as xr

from brainmark.data.checksum import data_checksum
from brainmark.metrics.base import Computed, Estimator, require_choice, require_fraction, require_int
from brainmark.metrics.behavioral.i2n_core import (
    CAP,
    FA_RULES,
    VARIANTS,
    _quiet,
    behavioral_signature,
    image_dprime,
    model_response_matrix,
    pearson,
    split_halves,
)
from brainmark.metrics.behavioral.i2n_inputs import EncodedTrials, encode_trials, read_probabilities
from brainmark.metrics.behavioral.trials import BehavioralDataError, read_trials
from brainmark.scores import Score, per_unit

IMAGE_DPRIME = ("values image_dprime_model / image_dprime_human: per-image d' (clipped, averaged over distractors, "
                "not normalised; humans from all trials) with this metric's false-alarm rule, for image-level analyses")
CEILING_RULE = "per split r_st / sqrt(r_ss * r_tt), mean over splits (Rajalingham 2018; official benchmark)"

__all__ = ["CAP", "FA_RULES", "VARIANTS", "I2n", "I2nCeiling", "behavioral_signature", "encode_trials",
           "model_response_matrix", "read_probabilities", "split_halves", "EncodedTrials"]

def _check_family(owner: Estimator) -> None:
    require_choice(owner, "variant", VARIANTS)
    require_choice(owner, "fa_rule", FA_RULES)
    require_int(owner, "n_splits", 1)
    require_int(owner, "random_state", 0)


def _mean_std(values) -> tuple[float, float]:
    arr = np.asarray(values, dtype=float)
    if not np.isfinite(arr).any():
        return math.nan, math.nan
    with _quiet():
        return float(np.nanmean(arr)), float(np.nanstd(arr))


class I2nResampler:
    """Resamples the I2n family over images and human trials, jointly (the human halves stay the same halves).

    An image drawn ``w`` times weights its false-alarm and normalisation means and its cells in the correlations;
    a trial drawn ``t`` times counts ``t`` times in its half's response rates. ``statistic``: ``"ceiled"`` (mean
    over splits of r_st / sqrt(r_ss * r_tt), the benchmark's value) or ``"reliability"`` (mean r_tt, the ceiling).
    """

    unit_kind = "trial"

    def __init__(self, metric: "I2n | I2nCeiling", enc: EncodedTrials, probs: np.ndarray | None,
                 halves: list, model_halves: list | None, statistic: str) -> None:
        self.metric, self.enc, self.probs, self.halves, self.model_halves = metric, enc, probs, halves, model_halves
        self.statistic = statistic
        self.stimulus_ids = tuple(str(s) for s in enc.images)
        self.unit_ids = tuple(str(i) for i in range(len(enc.image)))
        self.description = ("images and human trials, jointly; image-weighted false alarms, normalisation and "
                            f"correlations, trial-weighted response rates; {statistic} per split, mean over splits")

    def _signature(self, rates: np.ndarray, w: np.ndarray) -> np.ndarray:
        return behavioral_signature(rates, self.enc.truth_of_image, len(self.enc.objects), self.metric.variant,
                                    self.metric.fa_rule, w)

    def _cells(self, signature: np.ndarray, w: np.ndarray) -> np.ndarray | None:
        if self.metric.variant == "o2":
            return None  # object x object cells: images enter through the weighted object means
        return np.broadcast_to(w[:, None], signature.shape) if signature.ndim == 2 else w

    def _one(self, w: np.ndarray, t: np.ndarray) -> float:
        truth = self.enc.truth_of_image
        values = []
        for split, (first, second) in enumerate(self.halves):
            h1 = self._signature(self.enc.response_matrix(first, t[first]), w)
            h2 = self._signature(self.enc.response_matrix(second, t[second]), w)
            cells = self._cells(h1, w)
            r_tt = pearson(h1, h2, cells)[0]
            if self.statistic == "reliability":
                values.append(r_tt)
                continue
            if self.model_halves is None:
                source, r_ss = self._signature(model_response_matrix(self.probs[0], truth), w), 1.0
            else:
                a, b = self.model_halves[split]
                source = self._signature(model_response_matrix(self.probs[a].mean(0), truth), w)
                r_ss = pearson(source, self._signature(model_response_matrix(self.probs[b].mean(0), truth), w), cells)[0]
            with np.errstate(invalid="ignore"):
                values.append(pearson(source, h1, cells)[0] / math.sqrt(r_ss * r_tt) if r_ss * r_tt > 0 else math.nan)
        with _quiet():
            return float(np.nanmean(values)) if np.isfinite(values).any() else math.nan

    def resample(self, stimulus_counts: np.ndarray, unit_counts: np.ndarray) -> np.ndarray:
        """The statistic under each resample."""
        return np.asarray([self._one(w.astype(float), t.astype(float)) for w, t in zip(stimulus_counts, unit_counts)])


class I2n(Estimator):
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

    def check_params(self) -> None:
        """Variant, false-alarm rule, splits, seeds and tolerance must be valid."""
        _check_family(self)
        require_int(self, "model_random_state", 0)
        require_fraction(self, "atol")

    def _signature(self, rates: np.ndarray, enc: EncodedTrials) -> np.ndarray:
        return behavioral_signature(rates, enc.truth_of_image, len(enc.objects), self.variant, self.fa_rule)

    def _image_dprimes(self, enc: EncodedTrials, probs: np.ndarray) -> dict[str, xr.DataArray]:
        """Per-image d' of the model (mean probabilities over its samples) and of the humans (all trials)."""
        n_objects, truth = len(enc.objects), enc.truth_of_image
        rule = self.fa_rule
        model = image_dprime(model_response_matrix(probs.mean(0), truth), truth, n_objects, rule)
        human = image_dprime(enc.response_matrix(), truth, n_objects, rule)
        return {"image_dprime_model": per_unit(model, "stimulus", enc.images),
                "image_dprime_human": per_unit(human, "stimulus", enc.images)}

    def __call__(self, model_probabilities: xr.DataArray, human_trials: xr.DataArray) -> Score:
        """Consistency of the model's probabilities with the human trials (ceiled split by split)."""
        return self.compute(model_probabilities, human_trials).score

    def compute(self, model_probabilities: xr.DataArray, human_trials: xr.DataArray) -> Computed:
        """The Score and the resampler of its ceiled value (images and trials)."""
        enc = encode_trials(read_trials(human_trials, match_to_sample=True))
        probs, notes = read_probabilities(model_probabilities, enc.images, enc.objects, atol=self.atol)
        n_samples = probs.shape[0]
        if n_samples == 1:
            model_halves = None
            model_matrix = self._signature(model_response_matrix(probs[0], enc.truth_of_image), enc)
        else:
            model_halves = split_halves(n_samples, self.n_splits, self.model_random_state)
        r_st, r_ss, r_tt, cells = [], [], [], []
        halves = split_halves(len(enc.image), self.n_splits, self.random_state)
        for split, (first, second) in enumerate(halves):
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
        values = {"split": per_unit(r_st, "split"), "ceiling_split": per_unit(r_tt, "split"),
                  "ceiled_split": per_unit(ceiled, "split")}  # one "split" dim: they are aligned per split
        if model_halves is not None:
            values["model_reliability_split"] = per_unit(r_ss, "split")
        values.update(self._image_dprimes(enc, probs))
        score = Score(
            raw=raw, error=error, ceiling=ceiling, ceiling_error=ceiling_error, ceiled=ceiled_mean,
            ceiled_error=ceiled_error, convention=None, values=values,
            meta={
                "metric": self.variant,
                "parameters": {"fa_rule": self.fa_rule if self.variant != "o2" else "object-pair",
                               "n_splits": int(self.n_splits), "clip": CAP, "atol": self.atol},
                "seeds": {"human_halves": int(self.random_state), "model_halves": int(self.model_random_state)},
                "ceiling_rule": CEILING_RULE,
                "image_dprime": IMAGE_DPRIME,
                "model_reliability": "1 (deterministic)" if model_halves is None else "split-half over model trials",
                "n_trials": len(enc.image), "n_images": len(enc.images), "n_objects": len(enc.objects),
                "n_cells_per_split": cells,
                "responses_outside_objects": int((enc.choice < 0).sum()),
                "data_checksum": data_checksum(human_trials),
                **notes,
            },
        )
        return Computed(score, I2nResampler(self, enc, probs, halves, model_halves, "ceiled"))


class I2nCeiling(Estimator):
    """Human split-half reliability r_tt of a variant (the official ``metric.ceiling``): mean over splits."""

    def __init__(self, variant: str = "i2n", *, fa_rule: str = "paper", n_splits: int = 2,
                 random_state: int = 0) -> None:
        self.variant = variant
        self.fa_rule = fa_rule
        self.n_splits = n_splits
        self.random_state = random_state

    def check_params(self) -> None:
        """Variant, false-alarm rule, splits and seed must be valid."""
        _check_family(self)

    def __call__(self, human_trials: xr.DataArray) -> Score:
        """Human split-half reliability of the variant's signature."""
        return self.compute(human_trials).score

    def compute(self, human_trials: xr.DataArray) -> Computed:
        """The reliability's Score and its resampler (images and trials)."""
        enc = encode_trials(read_trials(human_trials, match_to_sample=True))
        n_objects = len(enc.objects)
        r_tt = []
        halves = split_halves(len(enc.image), self.n_splits, self.random_state)
        for first, second in halves:
            pair = [behavioral_signature(enc.response_matrix(h), enc.truth_of_image, n_objects, self.variant,
                                         self.fa_rule) for h in (first, second)]
            r_tt.append(pearson(*pair)[0])
        raw, error = _mean_std(r_tt)
        score = Score(
            raw=raw, error=error, values={"split": np.asarray(r_tt)},
            meta={
                "ceiling": f"{self.variant} split-half reliability",
                "parameters": {"fa_rule": self.fa_rule if self.variant != "o2" else "object-pair",
                               "n_splits": int(self.n_splits), "clip": CAP},
                "seeds": {"human_halves": int(self.random_state)},
                "spearman_brown": False,
                "data_checksum": data_checksum(human_trials),
                "n_trials": len(enc.image), "n_images": len(enc.images), "n_objects": n_objects,
            },
        )
        return Computed(score, I2nResampler(self, enc, None, halves, None, "reliability"))
