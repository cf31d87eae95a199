"""Geirhos2021: per-trial responses joined to the shipped stimuli."""
from __future__ import annotations

import pandas as pd
import pytest

import brainmark
from brainmark.datasets.geirhos2021 import CATEGORIES


@pytest.mark.parametrize("dataset", ["edge", "silhouette"])
def test_trials_and_stimuli(dataset):
    trials = brainmark.load_dataset(f"Geirhos2021.{dataset}")
    stimuli = brainmark.load_stimulus_set(f"Geirhos2021.{dataset}")
    assert trials.dims == ("presentation",) and trials.sizes["presentation"] == 1600
    assert len(set(trials["subject"].values)) == 10 and len(stimuli) == 160
    assert set(trials["truth"].values) == set(CATEGORIES) == set(stimuli.metadata("category"))
    assert set(trials.values) <= set(CATEGORIES) | {"na"}
    assert set(trials["stimulus_id"].values) <= set(stimuli.stimulus_ids)
    for sid, category in zip(stimuli.stimulus_ids[:20], stimuli.metadata("category")[:20]):
        assert sid.startswith(f"{dataset}/{category}")


def test_values_match_source_csv(shared_data):
    trials = brainmark.load_dataset("Geirhos2021.edge")
    source = pd.read_csv(shared_data / "geirhos2021" / "human_responses" / "edge" / "edge_subject-01_session_1.csv")
    first = trials.isel(presentation=0)
    assert first.item() == source["object_response"][0] == "knife"
    assert first["truth"].item() == "oven" and first["stimulus_id"].item() == "edge/oven10"
    assert first["subject"].item() == "subject-01" and float(first["rt"]) == pytest.approx(source["rt"][0])


def test_stimulus_ids_are_unique_across_datasets():
    edge = set(brainmark.load_stimulus_set("Geirhos2021.edge").stimulus_ids)
    silhouette = set(brainmark.load_stimulus_set("Geirhos2021.silhouette").stimulus_ids)
    assert not edge & silhouette and "edge/oven10" in edge and "silhouette/oven10" in silhouette
