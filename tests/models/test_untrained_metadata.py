"""The untrained control must not inherit the trained weights' ImageNet accuracy."""
import pytest

from brainmark.models import load_model
from brainmark.models.efficientnet_lite import VARIANTS
from brainmark.models.loading import CHANCE_TOP1, _untrained_metadata

LITERATURE_TOP1 = VARIANTS["efficientnet-lite0"][1]  # the published top-1 the zoo entry is built from


def test_untrained_metadata_moves_the_literature_top1_aside():
    metadata = _untrained_metadata({"imagenet_top1": 75.1, "family": "x"}, seed=3)
    assert metadata == {"imagenet_top1": CHANCE_TOP1, "imagenet_top1_pretrained": 75.1, "family": "x",
                        "weights": "random initialisation (seed 3)"}
    assert _untrained_metadata({}, seed=0) == {"weights": "random initialisation (seed 0)"}  # no top-1 invented


@pytest.mark.slow
def test_untrained_model_reports_chance_top1_and_keeps_the_literature_value_apart():
    assert 70 < LITERATURE_TOP1 < 80
    trained = load_model("efficientnet-lite0")
    untrained = load_model("efficientnet-lite0", untrained=True)
    assert trained.spec.metadata["imagenet_top1"] == LITERATURE_TOP1
    assert untrained.spec.metadata["imagenet_top1"] == CHANCE_TOP1
    assert untrained.spec.metadata["imagenet_top1_pretrained"] == LITERATURE_TOP1
    assert "random" in untrained.spec.metadata["weights"] and "weights" not in trained.spec.metadata
    assert untrained.spec.metadata is not trained.spec.metadata
    # the registry's entry is untouched: a model loaded after the untrained one still has the literature value
    again = load_model("efficientnet-lite0")
    assert again.spec.metadata["imagenet_top1"] == LITERATURE_TOP1 and "imagenet_top1_pretrained" not in again.spec.metadata


def test_the_untrained_suffix_is_the_untrained_option(tiny_registered):
    """``load_model("x-untrained")`` is ``load_model("x", untrained=True)``: same name, weights and chance top-1."""
    by_suffix = load_model(f"{tiny_registered}-untrained")
    by_option = load_model(tiny_registered, untrained=True)
    trained = load_model(tiny_registered)
    assert by_suffix.identifier == by_option.identifier == f"{tiny_registered}-untrained"
    assert by_suffix.weights_hash == by_option.weights_hash != trained.weights_hash
    assert by_suffix.spec.metadata["imagenet_top1"] == CHANCE_TOP1
