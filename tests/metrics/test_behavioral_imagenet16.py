"""The 16-class-ImageNet mapping (Geirhos et al.; model-vs-human's published class lists)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from brainmark.metrics.behavioral import imagenet16 as m


def test_sixteen_sorted_categories_each_non_empty():
    assert len(m.CATEGORIES) == 16 and list(m.CATEGORIES) == sorted(m.CATEGORIES)
    assert set(m.IMAGENET_INDICES) == set(m.CATEGORIES)
    assert all(len(m.IMAGENET_INDICES[c]) > 0 for c in m.CATEGORIES)


def test_indices_in_range_and_disjoint():
    for c in m.CATEGORIES:
        assert all(0 <= i < 1000 for i in m.IMAGENET_INDICES[c])
        assert len(set(m.IMAGENET_INDICES[c])) == len(m.IMAGENET_INDICES[c])
    for a, b in itertools.combinations(m.CATEGORIES, 2):
        assert not set(m.IMAGENET_INDICES[a]) & set(m.IMAGENET_INDICES[b]), (a, b)


@pytest.mark.parametrize("index, category", [
    (409, "clock"),     # analog clock
    (530, "clock"),     # digital clock
    (404, "airplane"),  # airliner
    (499, "knife"),     # cleaver
    (766, "oven"),      # rotisserie
    (508, "keyboard"),  # computer keyboard
    (385, "elephant"),  # Indian elephant
    (281, "cat"),       # tabby
    (207, "dog"),       # golden retriever
    (8, "bird"),        # hen
    (717, "truck"),     # pickup
    (0, None),          # tench: in no category
    (192, None),        # cairn terrier is excluded from "dog" in the published lists
])
def test_known_members(index, category):
    assert m.category_of(index) == category


def test_published_sizes():
    sizes = {c: len(v) for c, v in m.IMAGENET_INDICES.items()}
    assert sizes["dog"] == 109 and sizes["bird"] == 49 and sizes["truck"] == 8 and sizes["cat"] == 6
    assert sum(sizes.values()) == 207


def test_aggregation_is_the_mean_over_members():
    probs = np.zeros((2, 1000))
    probs[0, [409, 530]] = [0.3, 0.3]  # clock members: mean over 3 members = 0.2
    probs[0, 404] = 0.25  # airplane (1 member): 0.25 -> airplane wins under the mean, clock under the sum
    probs[1, 207] = 0.9
    aggregated = m.aggregate_probabilities(probs)
    assert aggregated.shape == (2, 16)
    assert aggregated[0, m.CATEGORIES.index("clock")] == pytest.approx(0.2)
    assert m.decisions(probs).tolist() == ["airplane", "dog"]
    assert m.decisions(probs, aggregation="sum").tolist() == ["clock", "dog"]


def test_bad_input():
    with pytest.raises(m.CategoryError, match="1000 classes"):
        m.aggregate_probabilities(np.zeros((2, 16)))
    with pytest.raises(m.CategoryError, match="aggregation"):
        m.aggregate_probabilities(np.zeros((1, 1000)), aggregation="max")
    with pytest.raises(m.CategoryError, match="outside the 16 categories"):
        m.check_categories(["dog", "wolf"])
    m.check_categories(["dog", "cat"])
