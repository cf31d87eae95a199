"""The untrained control must not inherit the trained weights' ImageNet accuracy."""
from brainmark.models import load_model
from brainmark.models.loading import CHANCE_TOP1


def test_untrained_model_reports_chance_top1_and_keeps_the_literature_value_apart():
    trained = load_model("efficientnet-lite0")
    untrained = load_model("efficientnet-lite0", untrained=True)
    literature = trained.spec.metadata["imagenet_top1"]
    assert literature > 70
    assert untrained.spec.metadata["imagenet_top1"] == CHANCE_TOP1
    assert untrained.spec.metadata["imagenet_top1_pretrained"] == literature
    assert "random" in untrained.spec.metadata["weights"]
    assert trained.spec.metadata["imagenet_top1"] == literature  # the registry's entry is untouched
