"""Kriegeskorte2008: the shipped RDMs, labels and images equal the original MATLAB files."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.io
from PIL import Image
from scipy.spatial.distance import squareform

import brainmark

FOLDER = "kriegeskorte2008_92images"


@pytest.fixture(scope="module")
def mat(shared_data):
    def load(name):
        return scipy.io.loadmat(shared_data / FOLDER / name, squeeze_me=True, struct_as_record=False)
    return load


def test_rdm_layout():
    rdm = brainmark.load_dataset("Kriegeskorte2008.monkeyIT")
    assert rdm.dims == ("stimulus_row", "stimulus_col") and rdm.shape == (92, 92)
    assert rdm.attrs["kind"] == "dissimilarity" and rdm.attrs["symmetric"] is True
    ids = brainmark.load_stimulus_set("Kriegeskorte2008").stimulus_ids
    assert rdm["stimulus_row"].values.tolist() == ids == rdm["stimulus_col"].values.tolist()
    np.testing.assert_array_equal(rdm.values, rdm.values.T)
    assert (np.diag(rdm.values) == 0).all()


def test_condensed_vectors_match_source(mat):
    fig1 = {r.name: r.RDM for r in mat("Kriegeskorte_Neuron2008_supplementalData.mat")["RDMs_mIT_hIT_fig1"]}
    monkey = brainmark.load_dataset("Kriegeskorte2008.monkeyIT").values
    np.testing.assert_array_equal(monkey[np.triu_indices(92, 1)], fig1["mIT_674neurons"])
    human = brainmark.load_dataset("Kriegeskorte2008.humanIT").values
    np.testing.assert_array_equal(squareform(human, checks=False), fig1["hITvisStim_316vx"])


def test_condensed_orientation_agrees_with_full_per_subject_matrices():
    """The human IT condensed vector is the mean of the 8 full subject x session RDMs: only the upper-triangle,
    row-major reading (squareform) reproduces it; a lower-triangle reading would be uncorrelated."""
    human = brainmark.load_dataset("Kriegeskorte2008.humanIT")
    subjects = brainmark.load_dataset("Kriegeskorte2008.humanIT.subjects")
    mean = subjects.mean(("subject", "session")).values
    np.testing.assert_allclose(human.values, mean, atol=1e-6)
    condensed = squareform(human.values, checks=False)
    wrong = np.zeros((92, 92))
    wrong[np.tril_indices(92, -1)] = condensed
    wrong = wrong + wrong.T
    upper = np.triu_indices(92, 1)
    assert abs(np.corrcoef(wrong[upper], mean[upper])[0, 1]) < 0.2


def test_subject_and_judgement_matrices_match_source(mat):
    subjects = brainmark.load_dataset("Kriegeskorte2008.humanIT.subjects")
    assert subjects.dims == ("subject", "session", "stimulus_row", "stimulus_col")
    assert subjects.shape == (4, 2, 92, 92) and subjects["subject"].values.tolist() == ["BE", "KO", "SN", "TI"]
    brain = mat("92_brainRDMs.mat")["RDMs"]
    np.testing.assert_array_equal(subjects.sel(subject="SN", session=2).values, brain[2, 1].RDM)
    judgements = brainmark.load_dataset("Kriegeskorte2008.judgements")
    assert judgements.shape == (16, 92, 92)
    behav = mat("92_behavRDMs.mat")["rdms_behav_92"]
    np.testing.assert_array_equal(judgements.values[15], behav[15].RDM)
    assert judgements["subject"].values[0] == "subject1"


def test_images_and_labels_match_source(mat):
    stimuli = brainmark.load_stimulus_set("Kriegeskorte2008")
    assert len(stimuli) == 92
    source = mat("Kriegeskorte_Neuron2008_supplementalData.mat")["stimuli_92objs"]
    for i in (0, 45, 91):
        with Image.open(stimuli.image_paths[i]) as img:
            np.testing.assert_array_equal(np.asarray(img), source[i].image)
        row = stimuli.table.iloc[i]
        assert row["category"] == source[i].category
        assert bool(row["animal"]) == bool(source[i].animal) and bool(row["face"]) == bool(source[i].face)
    assert set(stimuli.table.columns) >= {"category", "human", "face", "animal", "natural", "is_animate"}
    assert stimuli.table["animal"].sum() == sum(int(s.animal) for s in source)
