"""The 16 entry-level categories of "16-class-ImageNet" (Geirhos et al. 2019, 2021) and their ImageNet-1k classes.

Human observers in the Geirhos experiments chose one of 16 categories; a 1000-way ImageNet classifier is mapped
onto them by aggregating its class probabilities over each category's ImageNet classes. The class index lists are
the published definitions of the model-vs-human toolbox (``HumanCategories.<category>_indices``); they leave out
ImageNet classes that belong to none of the 16 categories (so the 16 aggregated values do not sum to 1).

Aggregation follows model-vs-human's ``ImageNetProbabilitiesTo16ClassesMapping``: the *mean* (not the sum) of the
member classes' probabilities, then the decision is the category with the largest aggregated value.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from brainmark.errors import MetricInputError

#: The 16 categories in sorted (model-vs-human) order.
CATEGORIES: tuple[str, ...] = (
    "airplane", "bear", "bicycle", "bird", "boat", "bottle", "car", "cat",
    "chair", "clock", "dog", "elephant", "keyboard", "knife", "oven", "truck",
)

_DOG = sorted(set(range(152, 269)) - {192, 204, 227, 242, 251, 258, 260, 264})
_BIRD = [8, *range(10, 17), 18, 19, 20, 22, 23, 24, 80, 81, 82, 83, *range(87, 97), 98, 99, 100,
         *range(127, 134), *range(135, 146)]

#: ImageNet-1k class indices (0-based, standard synset order) of each category.
IMAGENET_INDICES: Mapping[str, tuple[int, ...]] = {
    "airplane": (404,),
    "bear": (294, 295, 296, 297),
    "bicycle": (444, 671),
    "bird": tuple(_BIRD),
    "boat": (472, 554, 625, 814, 914),
    "bottle": (440, 720, 737, 898, 899, 901, 907),
    "car": (436, 511, 817),
    "cat": (281, 282, 283, 284, 285, 286),
    "chair": (423, 559, 765, 857),
    "clock": (409, 530, 892),
    "dog": tuple(_DOG),
    "elephant": (385, 386),
    "keyboard": (508, 878),
    "knife": (499,),
    "oven": (766,),
    "truck": (555, 569, 656, 675, 717, 734, 864, 867),
}

N_IMAGENET_CLASSES = 1000


class CategoryError(MetricInputError):
    """A category name or a probability array does not fit the 16-class mapping."""


def category_of(imagenet_index: int) -> str | None:
    """The 16-class category an ImageNet class belongs to, or None if it belongs to none."""
    for category, indices in IMAGENET_INDICES.items():
        if int(imagenet_index) in indices:
            return category
    return None


def aggregate_probabilities(probabilities: np.ndarray, *, aggregation: str = "mean") -> np.ndarray:
    """Map ``(..., 1000)`` ImageNet probabilities to ``(..., 16)`` category values, in :data:`CATEGORIES` order.

    ``aggregation`` is ``"mean"`` (model-vs-human's default) or ``"sum"``.
    """
    probabilities = np.asarray(probabilities, dtype=float)
    if probabilities.shape[-1] != N_IMAGENET_CLASSES:
        raise CategoryError(
            f"expected ImageNet-1k probabilities with {N_IMAGENET_CLASSES} classes on the last axis, "
            f"got shape {probabilities.shape}"
        )
    if aggregation not in ("mean", "sum"):
        raise CategoryError(f"unknown aggregation {aggregation!r}; choose 'mean' or 'sum'")
    reduce = np.mean if aggregation == "mean" else np.sum
    return np.stack([reduce(probabilities[..., list(IMAGENET_INDICES[c])], axis=-1) for c in CATEGORIES], axis=-1)


def decisions(probabilities: np.ndarray, *, aggregation: str = "mean") -> np.ndarray:
    """The chosen category per row of ``(n, 1000)`` ImageNet probabilities (ties: first category in order)."""
    aggregated = aggregate_probabilities(probabilities, aggregation=aggregation)
    return np.asarray(CATEGORIES, dtype=object)[np.argmax(aggregated, axis=-1)]


def check_categories(names, *, what: str = "labels") -> None:
    """Raise :class:`CategoryError` naming any value that is not one of the 16 categories."""
    unknown = sorted({str(n) for n in np.asarray(names).ravel().tolist()} - set(CATEGORIES))
    if unknown:
        raise CategoryError(
            f"{what} contain {len(unknown)} names outside the 16 categories (e.g. {unknown[:5]}); "
            f"expected some of {', '.join(CATEGORIES)}"
        )
