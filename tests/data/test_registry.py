"""The data registry: public API, identifiers agreed between engineers, copies, clear unknown-id errors."""
from __future__ import annotations

import pytest
import xarray as xr

import brainmark
from brainmark.data import DATASETS, STIMULUS_SETS, DatasetEntry
from brainmark.datasets import dataset_info, list_datasets, load_dataset
from brainmark.data.registry import register
from brainmark.registry import UnknownIdentifierError

AGREED_DATASETS = [
    "Kriegeskorte2008.monkeyIT", "Kriegeskorte2008.humanIT", "Kriegeskorte2008.humanIT.subjects",
    "Kriegeskorte2008.judgements", "Coggan2024.fMRI", "Cowley2023.210325", "Cowley2023.201025", "Cowley2023.210225",
    "MajajHong2015.public", "MajajHong2015.private", "Geirhos2021.edge", "Geirhos2021.silhouette",
    "Rajalingham2018.public", "Rajalingham2018.private",
]
AGREED_STIMULUS_SETS = [
    "Kriegeskorte2008", "Coggan2024", "Cowley2023.210325", "Cowley2023.201025", "Cowley2023.210225",
    "MajajHong2015.public", "MajajHong2015.private", "Geirhos2021.edge", "Geirhos2021.silhouette",
    "Rajalingham2018.public", "Rajalingham2018.private", "ImageNetSamples",
]


def test_agreed_identifiers_are_registered():
    assert set(AGREED_DATASETS) <= set(list_datasets())
    assert set(AGREED_STIMULUS_SETS) <= set(list_datasets("stimuli"))
    assert set(list_datasets("rdm")) == {i for i in AGREED_DATASETS if i.startswith(("Kriegeskorte", "Coggan"))}


def test_every_entry_has_citation_license_and_checksummed_files():
    for registry in (DATASETS, STIMULUS_SETS):
        for name in registry.names():
            entry = registry.factory(name)
            assert isinstance(entry, DatasetEntry)
            assert entry.citation.startswith("@") and entry.license and entry.files, name
            for f in entry.files:
                assert f.shipped or f.urls or f.mirror_path, (name, f.name)
                assert all(u.startswith("https://") for u in f.urls), (name, f.urls)


def test_top_level_api_and_copies():
    first = brainmark.load_dataset("Kriegeskorte2008.monkeyIT")
    first.values[0, 1] = 123.0
    second = brainmark.load_dataset("Kriegeskorte2008.monkeyIT")
    assert isinstance(second, xr.DataArray) and second.values[0, 1] != 123.0
    stimuli = brainmark.load_stimulus_set("Kriegeskorte2008")
    stimuli.table.loc[0, "category"] = "changed"
    assert brainmark.load_stimulus_set("Kriegeskorte2008").table.loc[0, "category"] != "changed"


def test_identifiers_ignore_case_and_unknown_ones_suggest_close_matches():
    assert load_dataset("kriegeskorte2008.MONKEYIT").identical(load_dataset("Kriegeskorte2008.monkeyIT"))
    with pytest.raises(UnknownIdentifierError, match="Did you mean: Kriegeskorte2008.monkeyIT"):
        load_dataset("Kriegeskorte2008.monkeyITT")


def test_dataset_info_and_stimulus_set_lookup():
    info = dataset_info("Cowley2023.210325")
    assert info.kind == "neural" and info.stimulus_set == "Cowley2023.210325"
    assert dataset_info("ImageNetSamples").kind == "stimuli"


def test_plain_factories_can_be_registered():
    DATASETS.register("Test.plain", lambda: xr.DataArray([1, 2], dims=("presentation",)), replace=True)
    assert load_dataset("Test.plain").values.tolist() == [1, 2]
    assert "registered through an entry point" in dataset_info("Test.plain").description


def test_register_routes_stimulus_sets():
    entry = register(DatasetEntry("Test.stimuli", "stimuli", lambda files: None, ()))
    assert STIMULUS_SETS.factory("Test.stimuli") is entry
    with pytest.raises(ValueError, match="kind"):
        DatasetEntry("Test.bad", "weird", lambda files: None, ())


def test_shipped_datasets_work_on_a_fresh_machine_without_mirror(brainmark_home, monkeypatch):
    monkeypatch.setenv("BRAINMARK_DATA_MIRROR", "")
    monkeypatch.setattr("urllib.request.urlopen", _no_network)
    for identifier in ("Kriegeskorte2008.humanIT", "Coggan2024.fMRI", "Geirhos2021.silhouette"):
        assert load_dataset(identifier).size > 0
    assert len(brainmark.load_stimulus_set("ImageNetSamples")) == 20


def test_store_only_dataset_without_mirror_or_network_says_how_to_fix(brainmark_home, monkeypatch):
    from brainmark.data.store import DataUnavailableError

    monkeypatch.setenv("BRAINMARK_DATA_MIRROR", "")
    monkeypatch.setattr("urllib.request.urlopen", _no_network)
    monkeypatch.setattr("brainmark.data.store.time.sleep", lambda seconds: None)
    with pytest.raises(DataUnavailableError) as err:
        load_dataset("Cowley2023.201025")
    message = str(err.value)
    assert "responses_201025.npy" in message and "raw.githubusercontent.com/cowleygroup" in message
    assert "BRAINMARK_DATA_MIRROR" in message and "cowley2023_v4/responses_repeat_averaged" in message
    assert not any(p.suffix == ".npy" for p in (brainmark_home / "data").rglob("*"))


def _no_network(*args, **kwargs):
    import urllib.error

    raise urllib.error.URLError("network is unreachable (test)")
