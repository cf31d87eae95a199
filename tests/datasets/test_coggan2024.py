"""Coggan2024: the shipped fMRI similarity matrices and stimuli equal the mirror's files."""
from __future__ import annotations

import numpy as np

import brainmark


def test_fmri_matrices(shared_data):
    rsm = brainmark.load_dataset("Coggan2024.fMRI")
    assert rsm.dims == ("region", "subject", "stimulus_row", "stimulus_col") and rsm.shape == (4, 9, 24, 24)
    assert rsm["region"].values.tolist() == ["V1", "V2", "V4", "IT"]
    assert rsm.attrs["kind"] == "similarity" and rsm.attrs["symmetric"] is False
    with np.load(shared_data / "coggan2024_fmri" / "rsms.npz", allow_pickle=False) as source:
        np.testing.assert_array_equal(rsm.values, source["rsm"])
    assert not np.allclose(rsm.values[0, 0], rsm.values[0, 0].T)


def test_stimuli():
    stimuli = brainmark.load_stimulus_set("Coggan2024")
    assert len(stimuli) == 24 and stimuli.stimulus_ids == sorted(stimuli.stimulus_ids)
    assert set(stimuli.metadata("occlusion_condition")) == {"complete", "upper", "lower"}
    assert len(set(stimuli.metadata("object_name"))) == 8
    assert stimuli.stimulus_ids == brainmark.load_dataset("Coggan2024.fMRI")["stimulus_row"].values.tolist()
