import numpy as np
import pytest
import torch
from torch import nn

from brainmark.models import ModelForwardError, ModelOutputError, Preprocessing, Reduction, UnknownLayerError
from brainmark.models.activations import OUTPUT, ActivationExtractor
from tiny_net import TinyNet


def _extractor(module=None, **kw):
    torch.manual_seed(0)
    return ActivationExtractor(module or TinyNet(), Preprocessing(32), identifier="tiny", workers=2, **kw)


def test_many_layers_one_pass_and_input_hooks(imagenet_samples):
    ex = _extractor(batch_size=8)
    arrays, info = ex.extract(imagenet_samples, ["block1", "block2", "fc:input"], Reduction("none"), with_output=True)
    assert ex.module.calls == 3  # 20 images in batches of 8: one forward per batch for all layers
    assert arrays["block1"].shape == (20, 8 * 16 * 16)
    assert arrays["block2"].shape == (20, 16 * 8 * 8)
    assert arrays["fc:input"].shape == (20, 16)
    assert arrays[OUTPUT].shape == (20, 10)
    assert info["block1"]["reduction"] == "none"


def test_batch_size_does_not_change_numbers(imagenet_samples):
    a, _ = _extractor(batch_size=3).extract(imagenet_samples, ["block2"], Reduction("random:64", seed=1))
    b, _ = _extractor(batch_size=20).extract(imagenet_samples, ["block2"], Reduction("random:64", seed=1))
    np.testing.assert_allclose(a["block2"], b["block2"], rtol=1e-5, atol=1e-5)
    assert a["block2"].shape == (20, 64)


def test_random_projection_streams_and_records(imagenet_samples):
    arrays, info = _extractor(batch_size=8).extract(imagenet_samples, ["block1"], Reduction("random:100", seed=0))
    assert arrays["block1"].shape == (20, 100)
    assert info["block1"]["reduction"] == "random" and info["block1"]["projection_seed"] == 0


def test_pca_fitted_on_separate_stimuli(imagenet_samples, geirhos_edges):
    reduction = Reduction("pca", 5, fitting_stimuli=geirhos_edges)
    arrays, info = _extractor(batch_size=16).extract(imagenet_samples, ["block2"], reduction)
    assert arrays["block2"].shape == (20, 5)
    assert info["block2"]["pca_fitting_stimuli"] == "edges-sample"
    assert info["block2"]["reduction"] == "pca"


def test_unknown_layer_lists_valid_ones(imagenet_samples):
    with pytest.raises(UnknownLayerError, match=r"block3.*Candidate layers: block1, block2"):
        _extractor(candidate_layers=["block1", "block2"]).extract(imagenet_samples, ["block3"])


class Raising(TinyNet):
    def forward(self, x):
        raise RuntimeError("boom")


class NaNs(TinyNet):
    def forward(self, x):
        out = super().forward(x)
        return out * float("nan")


class WrongShape(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.Identity()

    def forward(self, x):
        return self.layer(x[:1])


class Skips(TinyNet):
    def forward(self, x):
        h = torch.flatten(self.pool(self.block1(x)), 1)
        return self.fc(torch.cat([h, h], 1))


def test_model_that_raises_is_named(imagenet_samples):
    with pytest.raises(ModelForwardError, match=r"tiny raised RuntimeError .*imagenet_00_243.*boom"):
        _extractor(Raising()).extract(imagenet_samples, ["block1"])


def test_nan_output_is_refused(imagenet_samples):
    with pytest.raises(ModelOutputError, match="NaN or inf"):
        _extractor(NaNs()).extract(imagenet_samples, ["block1"], with_output=True)


def test_wrong_shape_is_refused(imagenet_samples):
    with pytest.raises(ModelOutputError, match="first dimension must be the batch"):
        _extractor(WrongShape(), batch_size=4).extract(imagenet_samples, ["layer"])


def test_layer_not_run_is_refused(imagenet_samples):
    with pytest.raises(ModelOutputError, match="not run during the forward pass"):
        _extractor(Skips()).extract(imagenet_samples, ["block2"])


def test_unreadable_image_in_a_batch(tmp_path, imagenet_samples):
    from brainmark.data.stimuli import StimulusSet
    from brainmark.models import StimulusImageError

    bad = tmp_path / "bad.png"
    bad.write_text("no image here")
    stimuli = StimulusSet.from_files("mixed", [imagenet_samples.image_paths[0], bad])
    with pytest.raises(StimulusImageError, match="'bad'"):
        _extractor().extract(stimuli, ["block1"])
