"""Geirhos 2019 cue conflict: 1,280 stimuli and three trial sets, resolved through the store (never shipped)."""
from collections import Counter

import numpy as np
import pytest

from brainmark.data.checksum import data_checksum
from brainmark.data.files import DataFileError
from brainmark.datasets import dataset_info, load_dataset, load_stimulus_set
from brainmark.datasets import geirhos2021_cueconflict as cc
from brainmark.datasets.checksums import read_list

TRIAL_SETS = ("Geirhos2021.cue-conflict", "Geirhos2021.cue-conflict-shape-instructed",
              "Geirhos2021.cue-conflict-texture-instructed")


def test_files_are_registered_with_pinned_urls_and_mirror_paths_not_shipped():
    from brainmark.data.registry import STIMULUS_SETS

    entry = STIMULUS_SETS.factory("Geirhos2021.cue-conflict")  # the stimulus set shares the trials' identifier
    images = [f for f in entry.files if f.name.endswith(".png")]
    assert len(images) == 1280 and sum(f.size for f in images) > 130e6
    assert all(not f.shipped for f in images)
    first = images[0]
    assert first.urls == ("https://raw.githubusercontent.com/rgeirhos/texture-vs-shape/ccd0c01d/stimuli/"
                          "style-transfer-preprocessed-512/airplane/airplane1-bicycle2.png",)
    assert first.mirror_path == "geirhos2021/stimuli/style-transfer-preprocessed-512/airplane/airplane1-bicycle2.png"
    urls = {name: dataset_info(name).files[0].urls[0] for name in TRIAL_SETS}
    assert urls["Geirhos2021.cue-conflict"].startswith(
        "https://raw.githubusercontent.com/bethgelab/model-vs-human/79ed7cd1/raw-data/cue-conflict/")
    assert "style-transfer-512-nomask-content-guessing-experiment/" in urls["Geirhos2021.cue-conflict-shape-instructed"]
    assert "style-transfer-512-nomask-texture-guessing-experiment/" in urls["Geirhos2021.cue-conflict-texture-instructed"]
    assert all(f.checksum.startswith("sha256:") for name in TRIAL_SETS for f in dataset_info(name).files)


def test_checksum_list_is_verified(monkeypatch):
    assert len(read_list(cc.LIST_NAME)) == 1310
    from brainmark.datasets import checksums

    monkeypatch.setitem(checksums.LIST_SHA256, cc.LIST_NAME, "0" * 64)
    with pytest.raises(DataFileError, match="does not match its recorded sha256; the installation is damaged"):
        read_list(cc.LIST_NAME)


def test_stimulus_set(shared_data, brainmark_home):
    stimuli = load_stimulus_set("Geirhos2021.cue-conflict")
    table = stimuli.table
    assert len(stimuli) == 1280 and table["stimulus_id"].is_unique
    assert table.loc[0, "stimulus_id"] == "airplane1-bicycle2"
    assert (table.loc[0, "shape"], table.loc[0, "texture"]) == ("airplane", "bicycle")
    assert int(table["conflict"].sum()) == 1200 and not table.loc[~table["conflict"], "shape"].ne(
        table.loc[~table["conflict"], "texture"]).any()
    assert set(Counter(table["shape"]).values()) == {80} and (table["shape"] == table["category"]).all()
    assert all(str(p).startswith(str(brainmark_home)) for p in table["image_path"])  # verified copies in the cache


@pytest.mark.parametrize("identifier", TRIAL_SETS)
def test_trial_sets(identifier, shared_data):
    trials = load_dataset(identifier)
    assert trials.dims == ("presentation",) and trials.sizes["presentation"] == 12800
    subjects = trials["subject"].values.astype(str)
    assert len(set(subjects)) == 10
    ids = trials["stimulus_id"].values.astype(str)
    for subject in set(subjects):
        assert len(set(ids[subjects == subject])) == 1280  # every subject saw every image once
    table = load_stimulus_set("Geirhos2021.cue-conflict").table.set_index("stimulus_id")
    assert set(ids) == set(table.index)
    np.testing.assert_array_equal(trials["shape"].values, table.loc[ids, "shape"].to_numpy(dtype=str))
    np.testing.assert_array_equal(trials["texture"].values, table.loc[ids, "texture"].to_numpy(dtype=str))
    np.testing.assert_array_equal(trials["truth"].values, trials["shape"].values)
    responses = set(trials.values.tolist())
    assert responses - set(cc.CATEGORIES) == {"na"}
    assert trials.attrs["instruction"] == {"Geirhos2021.cue-conflict": "none"}.get(identifier, identifier.split("-")[-2])
    assert data_checksum(trials) == data_checksum(load_dataset(identifier))  # text values hash deterministically


def test_names_parse():
    assert cc.stimulus_id("0001_s5n_s01_0_bird_00_bird3-bird2.png") == "bird3-bird2"
    assert cc.classes_of("knife10-elephant2") == ("knife", "elephant")
    with pytest.raises(Exception, match="outside the 16 categories"):
        cc.classes_of("zebra1-cat2")
