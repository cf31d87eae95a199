import json

import numpy as np
import pytest

from brainmark.models import CommitmentError, load_model
from brainmark.models.commitment import commit_region, layer_scores
from brainmark.scores import Score


def _scorer(preferred):
    calls = []

    def score(activations):
        calls.append(activations.attrs["layer"])
        return Score(raw=1.0 if activations.attrs["layer"] == preferred else 0.5)

    return score, calls


def test_selection_picks_the_best_layer_and_freezes_it(tiny_model, geirhos_edges, imagenet_samples, brainmark_home):
    score, calls = _scorer("block2")
    record = commit_region(tiny_model, "V4", geirhos_edges, score, "edges.V4", reported_stimuli=imagenet_samples)
    assert record.layer == "block2" and record.source == "selection"
    assert record.scores == {"block1": 0.5, "block2": 1.0, "pool": 0.5}
    assert calls == ["block1", "block2", "pool"]
    assert tiny_model.spec.module.calls == 1 + 4  # a one-image width probe, then one pass for all candidate layers (32 images in batches of 8)
    table = record.table()
    assert table.loc[table.chosen, "layer"].tolist() == ["block2"]
    files = list((brainmark_home / "commitments").rglob("*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["layer"] == "block2"
    tiny_model.start_recording("V4")
    assembly = tiny_model.look_at(imagenet_samples)
    assert assembly.attrs["layer"] == "block2" and set(assembly["region"].values) == {"V4"}


def test_frozen_choice_is_reused_without_rescoring(tiny_model, geirhos_edges, brainmark_home):
    from tiny_net import factory
    from brainmark.models import PytorchBrainModel

    commit_region(tiny_model, "IT", geirhos_edges, _scorer("pool")[0], "edges.IT")
    fresh = PytorchBrainModel(factory(), batch_size=8)
    fresh.spec.module.load_state_dict(tiny_model.spec.module.state_dict())
    score, calls = _scorer("block1")
    record = commit_region(fresh, "IT", geirhos_edges, score, "edges.IT")
    assert record.layer == "pool" and calls == []
    assert fresh.layer_for("IT") == "pool"


def test_overlapping_selection_and_reported_stimuli_refused(tiny_model, geirhos_edges):
    with pytest.raises(CommitmentError, match="select layers on separate data"):
        commit_region(tiny_model, "V4", geirhos_edges, _scorer("pool")[0], "x", reported_stimuli=geirhos_edges)


def test_builtin_and_user_commitments_are_kept(geirhos_edges, brainmark_home):
    score, calls = _scorer("V1.output")
    cornet = load_model("cornet-z-untrained")
    assert commit_region(cornet, "IT", geirhos_edges, score, "sel").layer == "IT.output"
    fixed = load_model("alexnet-untrained", layers={"IT": "classifier.2"})
    assert commit_region(fixed, "IT", geirhos_edges, score, "sel").source == "user"
    assert calls == []


def test_layer_scores_accept_floats_and_reject_all_nan(tiny_model, geirhos_edges):
    scores, _ = layer_scores(tiny_model, geirhos_edges, lambda a: float(a.shape[1]))
    assert scores == {"block1": 2048.0, "block2": 1024.0, "pool": 16.0}
    with pytest.raises(CommitmentError, match="finite score"):
        commit_region(tiny_model, "V1", geirhos_edges, lambda a: np.nan, "nan-selection")
