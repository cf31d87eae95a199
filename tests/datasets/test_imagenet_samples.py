"""ImageNetSamples: 20 shipped photos with their class index (from the file name) and class name."""
from __future__ import annotations

from pathlib import Path

import brainmark


def test_labels_from_file_names():
    stimuli = brainmark.load_stimulus_set("ImageNetSamples")
    assert len(stimuli) == 20
    for sid, label, path in zip(stimuli.stimulus_ids, stimuli.metadata("label"), stimuli.image_paths):
        assert int(sid.rsplit("_", 1)[1]) == label and Path(path).name == f"{sid}.jpg"
    names = dict(zip(stimuli.metadata("label"), stimuli.metadata("class_name")))
    assert names[243] == "bull mastiff" and names[559] == "folding chair"
