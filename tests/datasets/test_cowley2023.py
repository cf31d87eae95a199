"""Cowley2023: assemblies resolved through the store from the mirror; values and shapes equal the .npy files."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest

import brainmark
from brainmark.datasets import dataset_info

pytestmark = pytest.mark.slow
FOLDER = "cowley2023_v4"


def test_raw_210325_is_padded_repetitions(shared_data, brainmark_home):
    raw = brainmark.load_dataset("Cowley2023.210325")
    source = np.load(shared_data / FOLDER / "responses_raw" / "responses_210325.npy", allow_pickle=False)
    assert source.shape == (50, 640, 10)
    assert raw.dims == ("presentation", "neuroid", "repetition") and raw.shape == (640, 50, 10)
    np.testing.assert_array_equal(raw.values, np.transpose(source, (1, 0, 2)))
    assert np.isnan(raw.values).any() and not np.isnan(raw.values[:, :, 0]).any()  # padded, never empty
    assert set(raw["region"].values) == {"V4"}
    averaged = np.load(shared_data / FOLDER / "responses_repeat_averaged" / "responses_210325.npy")
    np.testing.assert_allclose(brainmark.data.average_repetitions(raw).values, averaged.T)
    # the file went through the store into the (fresh) cache
    assert (brainmark_home / "data").is_dir() and any((brainmark_home / "data").rglob("responses_raw_210325.npy"))


@pytest.mark.parametrize(("session", "shape"), [("201025", (1200, 89)), ("210225", (1200, 55))])
def test_averaged_sessions(shared_data, session, shape):
    assembly = brainmark.load_dataset(f"Cowley2023.{session}")
    assert assembly.dims == ("presentation", "neuroid") and assembly.shape == shape
    source = np.load(shared_data / FOLDER / "responses_repeat_averaged" / f"responses_{session}.npy")
    np.testing.assert_array_equal(assembly.values, source.T)
    assert assembly.values[7, 3] == source[3, 7]


def test_stimulus_set_matches_response_order(shared_data):
    stimuli = brainmark.load_stimulus_set("Cowley2023.210325")
    assembly = brainmark.load_dataset("Cowley2023.210325")
    assert stimuli.stimulus_ids == assembly["stimulus_id"].values.tolist()
    with zipfile.ZipFile(shared_data / FOLDER / "images" / "images_210325.zip") as zf:
        assert open(stimuli.image_paths[0], "rb").read() == zf.read("image0001.jpg")
        assert open(stimuli.image_paths[-1], "rb").read() == zf.read("image0640.jpg")


def test_registered_with_pinned_urls_and_mirror_paths(shared_data):
    entry = dataset_info("Cowley2023.210325")
    assert not entry.shipped and entry.license == "GPL-3.0"
    for f in entry.files:
        assert f.algorithm == "sha256" and f.size and (shared_data / f.mirror_path).stat().st_size == f.size
        assert f.urls[0].startswith("https://raw.githubusercontent.com/cowleygroup/V4_compact_models/f4552ad9/")
