import json

import numpy as np
import pytest
import torch

from brainmark.models import (
    MODELS,
    BrainModel,
    CommitmentError,
    UserModelError,
    WeightsUnavailableError,
    load_model,
    model_entry_info,
)
from brainmark.models.torchvision_zoo import ZOO

PAPER_FAMILIES = ["alexnet", "vgg16", "vgg19", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
                  "densenet121", "densenet169", "densenet201", "inception_v3", "mobilenet_v2", "squeezenet1_0",
                  "squeezenet1_1"]


def test_zoo_has_the_papers_families_with_metadata():
    names = MODELS.names()
    for name in [*PAPER_FAMILIES, "cornet-z", "cornet-s", "efficientnet-lite0", "efficientnet-lite1",
                 "efficientnet-lite2"]:
        assert name in names
        info = model_entry_info(name)
        assert 40 < info["imagenet_top1"] < 90
        assert info["weights_url"].startswith("https://")
        assert info["layers"] and info["input_size"] in (224, 240, 260, 299)
        assert info["visual_degrees"] == 8.0


@pytest.mark.slow
@pytest.mark.parametrize("name", ["alexnet", "resnet18", "densenet121", "mobilenet_v2", "squeezenet1_1"])
def test_untrained_candidate_layers_exist_and_run(name, imagenet_samples, brainmark_home):
    model = load_model(name, untrained=True, batch_size=10, use_cache=False)
    assert model.identifier == f"{name}-untrained"
    assert isinstance(model, BrainModel)
    few = imagenet_samples.subset(imagenet_samples.stimulus_ids[:2])
    acts = model.layer_activations(few, [model.candidate_layers[0], model.spec.readout_layer])
    for assembly in acts.values():
        assert assembly.dims == ("presentation", "neuroid")
        assert np.isfinite(assembly.values).all()


@pytest.mark.slow
def test_untrained_is_seeded_and_reproducible(brainmark_home):
    a = load_model("alexnet-untrained")
    b = load_model("alexnet", untrained=True)
    c = load_model("alexnet", untrained=True, seed=1)
    assert a.weights_hash == b.weights_hash != c.weights_hash
    assert c.identifier == "alexnet-untrained-seed1"


@pytest.mark.slow
def test_inception_input_size(brainmark_home):
    model = load_model("inception_v3-untrained")
    assert model.spec.preprocessing.input_size == 299
    assert set(ZOO) == set(PAPER_FAMILIES)


def test_offline_pretrained_weights_give_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("BRAINMARK_OFFLINE", "1")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(WeightsUnavailableError, match=r"untrained=True.*--untrained"):
        load_model("resnet18")
    with pytest.raises(WeightsUnavailableError, match="cornet_s"):
        load_model("cornet-s")


@pytest.mark.slow
def test_cornet_builtin_commitment_and_recurrence(imagenet_samples, brainmark_home):
    model = load_model("cornet-s-untrained", batch_size=10)
    assert {r: c["layer"] for r, c in model.commitment.items()} == {
        "V1": "V1.output", "V2": "V2.output", "V4": "V4.output", "IT": "IT.output"}
    calls = []
    model.spec.module.V4.output.register_forward_hook(lambda *a: calls.append(1))
    few = imagenet_samples.subset(imagenet_samples.stimulus_ids[:2])
    model.start_recording("IT")
    it = model.look_at(few)
    assert len(calls) == 2 * 4  # V4 unrolled for its 4 published time steps (a one-image width probe, then the pass)
    assert json.loads(it.attrs["reduction_info"])["n_features"] == 512 * 7 * 7
    assert it.sizes["neuroid"] == 512 * 7 * 7 and it.attrs["reduction"] == "none"  # auto: full, within the budget
    assert set(it["region"].values) == {"IT"} and it.attrs["layer"] == "IT.output"
    model.start_recording("V1", time_bins=[(70, 170), (170, 270)])
    v1 = model.look_at(few)
    assert v1.dims == ("presentation", "neuroid", "time_bin") and v1.sizes["time_bin"] == 2


@pytest.mark.slow
def test_cornet_z_shapes(imagenet_samples, brainmark_home):
    model = load_model("cornet-z", untrained=True)
    few = imagenet_samples.subset(imagenet_samples.stimulus_ids[:2])
    acts = model.layer_activations(few, ["V1.output", "V2.output", "V4.output", "IT.output"], reduction="none")
    assert [a.sizes["neuroid"] for a in acts.values()] == [64 * 56 * 56, 128 * 28 * 28, 256 * 14 * 14, 512 * 7 * 7]


def test_region_without_commitment_explains_what_to_do(brainmark_home):
    model = load_model("alexnet-untrained")
    with pytest.raises(CommitmentError, match=r"commit_region.*layers=\{'IT'"):
        model.start_recording("IT")
    fixed = load_model("alexnet-untrained", layers={"IT": "features.12"})
    fixed.start_recording("IT")
    assert fixed.commitment["IT"] == {"layer": "features.12", "source": "user"}


def test_hand_fixed_unknown_layer_lists_candidates():
    from brainmark.models import UnknownLayerError

    with pytest.raises(UnknownLayerError, match="features.99.*Candidate layers: features.2"):
        load_model("alexnet-untrained", layers={"IT": "features.99"})


def test_timm_model_by_name(imagenet_samples, brainmark_home):
    model = load_model("timm:test_efficientnet", untrained=True)
    assert model.identifier == "timm:test_efficientnet-untrained"
    few = imagenet_samples.subset(imagenet_samples.stimulus_ids[:2])
    acts = model.layer_activations(few, model.candidate_layers[-1:])
    assert acts[model.candidate_layers[-1]].sizes["presentation"] == 2
    with pytest.raises(UserModelError, match="timm has no model"):
        load_model("timm:not_a_real_net_xyz", untrained=True)


def test_user_model_from_file_and_module(brainmark_home, tmp_path):
    from pathlib import Path

    here = Path(__file__).parent / "tiny_net.py"
    model = load_model(f"{here}:factory")
    assert model.identifier == "tinynet" and model.candidate_layers == ["block1", "block2", "pool"]
    renamed = load_model(f"{here}:factory", identifier="uploaded-net")
    assert renamed.identifier == "uploaded-net"
    assert load_model("tiny_net:factory").identifier == "tinynet"  # importable module
    with pytest.raises(UserModelError, match=r"does not define a callable 'missing'.*factory"):
        load_model(f"{here}:missing")
    with pytest.raises(UserModelError, match="returned int"):
        load_model(f"{here}:not_a_spec")
    with pytest.raises(UserModelError, match="does not exist"):
        load_model(f"{tmp_path / 'nope.py'}:factory")
    broken = tmp_path / "broken.py"
    broken.write_text("raise ValueError('bad model file')\n")
    with pytest.raises(UserModelError, match="bad model file"):
        load_model(f"{broken}:factory")


def test_unknown_zoo_name_suggests_close_matches():
    from brainmark.registry import UnknownIdentifierError

    with pytest.raises(UnknownIdentifierError, match="resnet18"):
        load_model("resnet19")


def test_global_rng_untouched_by_untrained_init():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    load_model("squeezenet1_1-untrained")
    assert torch.equal(torch.rand(3), expected)
