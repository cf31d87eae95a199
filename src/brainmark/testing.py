"""Helpers for brainmark's own tests and benchmarks, and for plugins' tests: synthetic data with known answers.

Nothing here is used by the library itself; importing it costs numpy and xarray only.
"""
from __future__ import annotations

import numpy as np
import xarray as xr


def simulate_i2n_observers(
    n_objects: int = 8,
    images_per_object: int = 10,
    n_trials: int = 40_000,
    *,
    seed: int = 1,
    noise: float = 1.5,
    model_noise: float | None = None,
    object_prefix: str = "obj",
    image_prefix: str = "img",
) -> tuple[xr.DataArray, xr.DataArray]:
    """Match-to-sample trials sampled from known per-image confusions, and model choice probabilities.

    Each image's confusions come from seeded logits (``noise`` spread, +3 on the image's true object); a trial
    draws an image, a distractor object, and the wrong choice with the probability the softmax gives it against
    the target. The model's probabilities are those generating softmaxes (a model at the humans' ceiling), or,
    with ``model_noise``, the softmax of the logits plus Gaussian noise of that spread (drawn after the trials).

    Parameters
    ----------
    n_objects, images_per_object
        ``n_objects * images_per_object`` images named ``<image_prefix>OO_KK``; objects ``<object_prefix>OO``.
    n_trials
        Number of simulated trials.
    seed
        Seed of the one random generator all draws come from.

    Returns
    -------
    trials : xr.DataArray, shape (n_trials,)
        Dim ``presentation``; values = the chosen object; coords ``stimulus_id``, ``truth``, ``sample_obj``,
        ``dist_obj``, ``choice`` (the official Rajalingham2018 layout).
    model : xr.DataArray, shape (n_images, n_objects)
        Dims ``presentation`` (coord ``stimulus_id``) x ``choice`` (the object names); rows sum to 1.
    """
    rng = np.random.default_rng(seed)
    objects = np.array([f"{object_prefix}{i:02d}" for i in range(n_objects)], dtype=object)
    images = np.array([f"{image_prefix}{o:02d}_{k:02d}" for o in range(n_objects) for k in range(images_per_object)],
                      dtype=object)
    truth = np.repeat(np.arange(n_objects), images_per_object)
    logits = rng.normal(0, noise, (len(images), n_objects))
    logits[np.arange(len(images)), truth] += 3.0
    probs = _softmax(logits)
    image = rng.integers(0, len(images), n_trials)
    target = truth[image]
    distractor = (target + rng.integers(1, n_objects, n_trials)) % n_objects
    p_wrong = probs[image, distractor] / (probs[image, distractor] + probs[image, target])
    choice = np.where(rng.random(n_trials) < p_wrong, distractor, target)
    trials = xr.DataArray(
        objects[choice], dims="presentation",
        coords={"stimulus_id": ("presentation", images[image]), "truth": ("presentation", objects[target]),
                "sample_obj": ("presentation", objects[target]), "dist_obj": ("presentation", objects[distractor]),
                "choice": ("presentation", objects[choice])},
    )
    if model_noise is not None:
        probs = _softmax(logits + rng.normal(0, model_noise, logits.shape))
    model = xr.DataArray(probs, dims=("presentation", "choice"),
                         coords={"stimulus_id": ("presentation", images), "choice": objects})
    return trials, model


def _softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, written as both former copies computed it (no max shift)."""
    exp = np.exp(logits)
    return exp / exp.sum(1, keepdims=True)
