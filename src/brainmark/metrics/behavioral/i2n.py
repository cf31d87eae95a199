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
from brainmark.metrics.base import Estimator, require_choice, require_fraction, require_int
from brainmark.metrics.behavioral.i2n_core import (
    CAP,
    FA_RULES,
    VARIANTS,
    _quiet,
    behavioral_signature,
    model_response_matrix,
    pearson,
    split_halves,
)
from brainmark.metrics.behavioral.i2n_inputs import EncodedTrials, encode_trials, read_probabilities
from brainmark.metrics.behavioral.trials import BehavioralDataError, read_trials
from brainmark.scores import Score, per_unit

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

    def __call__(self, model_probabilities: xr.DataArray, human_trials: xr.DataArray) -> Score:
        """Consistency of the model's probabilities with the human trials (ceiled split by split)."""
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
        values = {"split": per_unit(r_st, "split"), "ceiling_split": per_unit(r_tt, "split"),
                  "ceiled_split": per_unit(ceiled, "split")}  # one "split" dim: they are aligned per split
        if model_halves is not None:
            values["model_reliability_split"] = per_unit(r_ss, "split")
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
                "data_checksum": data_checksum(human_trials),
                **notes,
            },
        )


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
                "data_checksum": data_checksum(human_trials),
                "n_trials": len(enc.image), "n_images": len(enc.images), "n_objects": n_objects,
            },
        )
