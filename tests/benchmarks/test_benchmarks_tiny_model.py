"""Benchmarks end to end on the real data with a tiny seeded network (seconds, not minutes)."""
import math

import numpy as np
import pytest

from brainmark.benchmarks import load_benchmark


@pytest.mark.parametrize("identifier", ["Kriegeskorte2008.humanIT-rsa", "Coggan2024.V4-rsa"])
def test_rsa_benchmark_commits_on_selection_data(identifier, shared_data, brainmark_home, make_tiny_model):
    score = load_benchmark(identifier)(make_tiny_model())
    assert math.isfinite(score.raw) and math.isfinite(score.ceiling) and score.ceiling > 0
    assert score.ceiled == pytest.approx(score.raw / score.ceiling)
    meta = score.meta
    assert meta["benchmark"] == identifier and meta["convention"] == "ratio" and meta["kind"] == "neural"
    assert set(meta["layer_scores"]) == {"block1", "block2", "pool"}
    assert meta["layer"] == max(meta["layer_scores"], key=meta["layer_scores"].get)
    assert meta["layer_selection"] and meta["data_checksum"] and meta["data_files"]
    assert all(d.startswith(("sha256:", "sha1:")) for files in meta["data_files"].values() for d in files.values())


def test_coggan_selection_and_scored_subjects_are_disjoint(shared_data):
    b = load_benchmark("Coggan2024.IT-rsa")
    scored = set(b.target["subject"].values.astype(str))
    selection = set(b._selection_loader()["subject"].values.astype(str))
    assert len(scored) == 5 and len(selection) == 4 and not scored & selection


def test_hand_fixed_layer_is_kept(shared_data, brainmark_home, make_tiny_model):
    score = load_benchmark("Kriegeskorte2008.monkeyIT-rsa")(make_tiny_model(layers={"IT": "block1"}))
    assert score.meta["layer"] == "block1" and score.meta["layer_scores"] == {}
    assert "user" in score.meta["layer_selection"]
    assert score.ceiling == 1.0 and "none" in score.meta["ceiling"]["ceiling"]


def test_geirhos_error_consistency(shared_data, brainmark_home, make_tiny_model):
    score = load_benchmark("Geirhos2021edge-error_consistency")(make_tiny_model())
    assert score.meta["kind"] == "behavioral" and score.meta["task"] == "probabilities"
    assert 0.1 < score.ceiling < 0.6  # human-to-human kappa on edge images
    assert math.isfinite(score.ceiled) and score.meta["in_composites"] is True
    accuracy = load_benchmark("Geirhos2021edge-accuracy")(make_tiny_model())
    assert accuracy.meta["in_composites"] is False and 0 <= accuracy.raw <= 1


def test_conventions_apply(shared_data, brainmark_home, make_tiny_model):
    ratio = load_benchmark("Coggan2024.V1-rsa")(make_tiny_model())
    ev = load_benchmark("Coggan2024.V1-rsa", convention="explained-variance")(make_tiny_model())
    assert ev.raw == ratio.raw and ev.convention == "explained-variance"
    assert ev.ceiled == pytest.approx(ratio.raw**2 / ratio.ceiling)


def test_same_model_twice_gives_identical_scores(shared_data, fresh_home, make_tiny_model):
    fresh_home()
    a = load_benchmark("Kriegeskorte2008.humanIT-rsa")(make_tiny_model())
    home = fresh_home()  # empty caches: the second model is scored from scratch
    b = load_benchmark("Kriegeskorte2008.humanIT-rsa")(make_tiny_model())
    assert any((home / "activations").rglob("*.npy")) and any((home / "commitments").rglob("*.json"))
    assert a.to_dict() == b.to_dict()
    np.testing.assert_array_equal(a.values["subject"], b.values["subject"])


class PixelModel:
    """A BrainModel that is not a PyTorch model: downsampled grey pixels as 'neurons' for every region."""

    identifier = "pixels"

    def visual_degrees(self):
        return 8.0

    def start_recording(self, region, time_bins=None):
        self.region = region

    def start_task(self, task, fitting_stimuli=None):
        raise AssertionError("not used")

    def look_at(self, stimulus_set, number_of_trials=1):
        import xarray as xr
        from PIL import Image

        rows = [np.asarray(Image.open(p).convert("L").resize((12, 12)), dtype=float).ravel() for p in stimulus_set.image_paths]
        return xr.DataArray(np.array(rows), dims=("presentation", "neuroid"),
                            coords={"stimulus_id": ("presentation", stimulus_set.stimulus_ids),
                                    "neuroid_id": ("neuroid", [str(i) for i in range(144)])})


def test_any_brain_model_without_layers(shared_data, brainmark_home):
    score = load_benchmark("Coggan2024.V1-rsa")(PixelModel())
    assert math.isfinite(score.raw) and score.meta["layer"] is None
    assert score.meta["layer_selection"] == "the model's own region mapping"
