import json

import numpy as np
from typer.testing import CliRunner

from brainmark.cli.main import app
from brainmark.data.stimuli import StimulusSet
from brainmark.models.cache import ActivationCache, cache_key, state_dict_hash
from tiny_net import TinyNet


def test_warm_run_skips_the_forward_pass(tiny_model, imagenet_samples):
    cold = tiny_model.layer_activations(imagenet_samples, ["block1", "block2"])
    calls = tiny_model.spec.module.calls
    assert calls == 1 + 3  # one image to learn the layer widths (remembered), then 20 images in batches of 8
    warm = tiny_model.layer_activations(imagenet_samples, ["block1", "block2"])
    assert tiny_model.spec.module.calls == calls  # forward never called again
    for layer in cold:
        np.testing.assert_array_equal(cold[layer].values, warm[layer].values)
        assert warm[layer].attrs["reduction"] == cold[layer].attrs["reduction"]


def test_only_missing_layers_are_computed(tiny_model, imagenet_samples):
    tiny_model.layer_activations(imagenet_samples, ["block1"])
    calls = tiny_model.spec.module.calls
    out = tiny_model.layer_activations(imagenet_samples, ["block1", "pool"])
    assert tiny_model.spec.module.calls == calls + 3
    assert set(out) == {"block1", "pool"}


def test_key_changes_with_what_changes_values(tiny_model, imagenet_samples):
    from brainmark.models import Reduction

    full = Reduction("none")
    base = tiny_model._key("block1", imagenet_samples, full)
    degrees = StimulusSet(imagenet_samples.identifier, imagenet_samples.table, degrees=4.0)
    assert tiny_model._key("block1", degrees, full) != base

    assert tiny_model._key("block1", imagenet_samples, Reduction("random", 64, seed=1)) != base
    assert tiny_model._key("block1", imagenet_samples, Reduction("random", 64, seed=2)) != \
        tiny_model._key("block1", imagenet_samples, Reduction("random", 64, seed=1))
    assert tiny_model._key("block2", imagenet_samples, full) != base
    assert tiny_model._key("block1", imagenet_samples, Reduction("gram")) != base
    assert cache_key({"a": 1}) == cache_key({"a": 1}) != cache_key({"a": 2})


def test_weights_change_the_hash():
    a, b = TinyNet(), TinyNet()
    assert state_dict_hash(a) != state_dict_hash(b)
    b.load_state_dict(a.state_dict())
    assert state_dict_hash(a) == state_dict_hash(b)


def test_corrupt_entry_is_recomputed(tiny_model, imagenet_samples, brainmark_home):
    tiny_model.layer_activations(imagenet_samples, ["block2"])
    npy = next((brainmark_home / "activations").glob("*/*.npy"))
    npy.write_bytes(b"garbage")
    calls = tiny_model.spec.module.calls
    out = tiny_model.layer_activations(imagenet_samples, ["block2"])
    assert tiny_model.spec.module.calls > calls
    assert out["block2"].shape == (20, 1024)


def test_cache_list_and_clear_cli(tiny_model, imagenet_samples, brainmark_home):
    tiny_model.layer_activations(imagenet_samples, ["block1", "block2"])
    entries = ActivationCache().entries()
    assert {e["layer"] for e in entries} == {"block1", "block2"}
    meta = json.loads(next((brainmark_home / "activations").glob("*/*.json")).read_text())
    assert meta["stimulus_ids"] == imagenet_samples.stimulus_ids
    runner = CliRunner()
    listed = runner.invoke(app, ["cache", "list"])
    assert listed.exit_code == 0, listed.output
    assert "tinynet" in listed.output and "block2" in listed.output and "2 entries" in listed.output
    as_json = json.loads(runner.invoke(app, ["cache", "list", "--format", "json"]).output)
    assert sorted((e["layer"], e["key"]) for e in as_json) == sorted((e["layer"], e["key"]) for e in entries)
    assert all(e["shape"][0] == 20 and e["bytes"] > 0 for e in as_json)
    as_csv = runner.invoke(app, ["cache", "list", "--format", "csv"]).output.splitlines()
    assert as_csv[0].startswith("model,layer,stimuli,shape,reduction,bytes,created,key") and len(as_csv) == 3
    cleared = runner.invoke(app, ["cache", "clear", "--yes"])
    assert cleared.exit_code == 0 and "removed 2 entries" in cleared.output
    assert ActivationCache().entries() == []
