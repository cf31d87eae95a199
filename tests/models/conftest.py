"""Fixtures for the model tests: real stimuli from the data mirror, a tiny network."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from brainmark.data.stimuli import StimulusSet  # noqa: E402


@pytest.fixture
def imagenet_samples(shared_data: Path) -> StimulusSet:
    """The 20 ImageNet validation photos, with their class index in a ``label`` column."""
    stimuli = StimulusSet.from_directory("ImageNetSamples", shared_data / "imagenet_val_samples")
    stimuli.table["label"] = [int(re.search(r"_(\d+)\.jpg$", p).group(1)) for p in stimuli.image_paths]
    return stimuli


@pytest.fixture
def geirhos_edges(shared_data: Path) -> StimulusSet:
    """32 Geirhos edge images (2 per category), with a ``category`` column."""
    root = shared_data / "geirhos2021" / "stimuli" / "edges"
    paths = sorted(p for folder in sorted(root.iterdir()) for p in sorted(folder.glob("*.png"))[:2])
    return StimulusSet.from_files(
        "edges-sample", paths, stimulus_ids=[f"edge/{p.stem}" for p in paths], degrees=8.0,
        category=[p.parent.name for p in paths],
    )


@pytest.fixture
def tiny_model(brainmark_home: Path):
    from brainmark.models import PytorchBrainModel
    from tiny_net import factory

    return PytorchBrainModel(factory(), batch_size=8, workers=2)
