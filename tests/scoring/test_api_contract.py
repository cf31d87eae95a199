"""The public API's contract: what load_model accepts, what score refuses, and that scoring leaves models alone."""
import pytest

import brainmark
from brainmark.errors import BrainmarkError
from brainmark.models import BrainModel, LayeredBrainModel, ModelSpec, register_model
from brainmark.scoring import score_model


def test_load_model_takes_a_spec_or_a_module(tiny_spec):
    spec = tiny_spec()
    from_spec = brainmark.load_model(spec, use_cache=False)
    assert isinstance(from_spec, LayeredBrainModel) and from_spec.identifier == "tinynet-test"
    module = tiny_spec().module
    from_module = brainmark.load_model(module, candidate_layers=["block1", "block2"], identifier="raw-net")
    assert isinstance(from_module, BrainModel) and from_module.candidate_layers == ["block1", "block2"]
    with pytest.raises(brainmark.models.UserModelError, match="candidate_layers"):
        brainmark.load_model(module)
    with pytest.raises(brainmark.models.UserModelError, match="untrained=True applies to zoo names"):
        brainmark.load_model(spec, untrained=True)
    with pytest.raises(brainmark.models.UserModelError, match="got int"):
        brainmark.load_model(3)


def test_score_refuses_a_plain_module_and_a_convention_it_would_ignore(tiny_spec, shared_data):
    with pytest.raises(BrainmarkError, match="torch module, not a BrainModel"):
        brainmark.score(tiny_spec().module, "Coggan2024.V1-rsa")
    benchmark = brainmark.load_benchmark("Coggan2024.V1-rsa")
    with pytest.raises(BrainmarkError, match="built with convention 'ratio'"):
        brainmark.score(brainmark.load_model(tiny_spec()), benchmark, convention="explained-variance")
    with pytest.raises(ValueError, match="errors must be one of raise, record"):
        score_model("tinynet-test", ["Coggan2024.V1-rsa"], errors="ignore")


def test_scoring_does_not_change_the_models_commitment(tiny_spec, shared_data, brainmark_home):
    model = brainmark.load_model(tiny_spec())
    before = {region: dict(record) for region, record in model.commitment.items()}
    score = brainmark.score(model, "Coggan2024.V1-rsa")
    assert score.meta["layer"] in model.candidate_layers
    assert {region: dict(record) for region, record in model.commitment.items()} == before


def test_zoo_names_cannot_be_registered_twice_by_accident():
    def factory(untrained: bool = False, seed: int = 0) -> ModelSpec:
        raise AssertionError("never built here")

    register_model("contract-test-net", factory)
    with pytest.raises(ValueError, match="already registered"):
        register_model("contract-test-net", factory)
    register_model("contract-test-net", factory, replace=True, family="test")
    assert brainmark.models.model_entry_info("Contract-Test-Net")["family"] == "test"
    brainmark.models.MODELS.unregister("contract-test-net")
