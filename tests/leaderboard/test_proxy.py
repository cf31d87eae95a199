"""Trusted scoring: a model answering from the real sandbox gives exactly what the same model gives in-process —
activations, the ImageNet softmax, the logistic readout fitted here on returned features, region recordings and a
behavioural benchmark — while nothing it says about itself becomes metadata."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from brainmark.data.stimuli import StimulusSet
from brainmark.leaderboard.channel import SandboxClient
from brainmark.leaderboard.jobs import _entry_argv, run_job
from brainmark.leaderboard.proxy import SandboxedBrainModel
from brainmark.leaderboard.sandbox import Limits, Sandbox
from brainmark.leaderboard.uploads import extract_package
from brainmark.models import load_model
from brainmark.models.errors import UnknownLayerError

pytestmark = pytest.mark.usefixtures("sandbox_ready")

IMAGENET_MODEL = '''
import torch
from torch import nn
from brainmark.models import ModelSpec, Preprocessing

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(3, 8, 5, stride=4), nn.ReLU())
        self.block2 = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc = nn.Linear(64, 1000)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.block2(self.block1(x))), 1))

def build():
    torch.manual_seed(5)
    return ModelSpec(Net().eval(), layers=["block1", "block2", "pool"], preprocessing=Preprocessing(48),
                     readout_layer="fc:input", imagenet_output=True, metadata={"imagenet_top1": 99.9})
'''


def stimuli(folder, name: str, n: int, seed: int) -> StimulusSet:  # noqa: ANN001
    rng = np.random.default_rng(seed)
    folder.mkdir()
    paths = []
    for i in range(n):
        path = folder / f"{name}-{i}.png"
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return StimulusSet.from_files(name, paths, degrees=8.0, object_name=["cat", "dog"] * (n // 2))


def test_the_sandboxed_model_answers_exactly_like_the_model_in_process(tmp_path, make_package):
    package = make_package("net", IMAGENET_MODEL)
    source = tmp_path / "net.py"
    source.write_text(IMAGENET_MODEL)
    local = load_model(f"{source}:build", identifier="alice/net", use_cache=False)
    fitting, test = stimuli(tmp_path / "fit", "fit", 20, 0), stimuli(tmp_path / "test", "test", 10, 1)
    with Sandbox(Limits(seconds=120)) as box:
        extract_package(package, box.host("package"))
        client = SandboxClient(box)
        box.start(_entry_argv(box, {"factory": "model.py:build", "model_identifier": "alice/net"}), pipes=True)
        remote = SandboxedBrainModel(client, "alice/net", hashlib.sha256(package).hexdigest())
        assert remote.candidate_layers == ["block1", "block2", "pool"] and remote.visual_degrees() == 8.0
        ours = remote.layer_activations(test, ["block1", "pool"], reduction="random:64")
        theirs = local.layer_activations(test, ["block1", "pool"], reduction="random:64")
        for layer in ("block1", "pool"):
            np.testing.assert_array_equal(ours[layer].values, theirs[layer].values)
            assert list(ours[layer]["stimulus_id"].values) == test.stimulus_ids  # ids never left this side
        for model in (remote, local):
            model.start_task("probabilities")
        np.testing.assert_allclose(remote.look_at(test).values, local.look_at(test).values, rtol=1e-6)
        for model in (remote, local):  # a logistic readout fitted on the trusted side, on returned features
            model.start_task("probabilities", fitting)
        a, b = remote.look_at(test), local.look_at(test)
        np.testing.assert_allclose(a.values, b.values, rtol=1e-6)
        assert a.attrs["readout_layer"] == "fc:input" and list(a["choice"].values) == ["cat", "dog"]
        for model in (remote, local):
            model.commit("IT", "block2")
            model.start_recording("IT")
        np.testing.assert_array_equal(remote.look_at(test).values, local.look_at(test).values)
        with pytest.raises(UnknownLayerError):
            remote.commit("V4", "fc")  # not a candidate layer
        assert "imagenet_top1" not in remote.metadata and remote.weights_hash == hashlib.sha256(package).hexdigest()
        staged = sorted(p.name for p in box.host("stimuli").rglob("*.png"))
        assert staged and all(name[:6].isdigit() and "test" not in name and "fit" not in name for name in staged)
        client.close()


@pytest.mark.slow
def test_a_behavioural_benchmark_scored_from_the_sandbox_equals_in_process_scoring(tmp_path, make_package,
                                                                                 shared_data):
    from brainmark.scoring.api import run_benchmark

    benchmark = "Geirhos2021edge-error_consistency"
    spec = {"kind": "upload", "model_identifier": "alice/net", "benchmark": benchmark, "factory": "model.py:build",
            "package": make_package("net", IMAGENET_MODEL), "limits": {"seconds": 300}}
    outcome = run_job(spec)
    assert outcome["ok"], outcome["log"][-3000:]
    (stored,) = outcome["record"]["scores"]
    source = tmp_path / "net.py"
    source.write_text(IMAGENET_MODEL)
    reference = run_benchmark(load_model(f"{source}:build", identifier="reference", use_cache=False), benchmark)
    assert stored["score"]["raw"] == pytest.approx(reference.score.raw, rel=1e-9)
    assert stored["score"]["ceiled"] == pytest.approx(reference.score.ceiled, rel=1e-9)
    assert "imagenet_top1" not in str(outcome["record"]["model"])
