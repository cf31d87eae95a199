"""Twenty ImageNet validation photographs (512x512) with their ImageNet-1k class index and name.

Shipped inside the package (MIT, as distributed with foolbox 3.3.4). Useful to check that a classifier really is
pretrained (top-1 on these 20) and as a tiny natural-image set.
"""
from __future__ import annotations

from brainmark.data.registry import DatasetEntry, Files, register
from brainmark.data.stimuli import StimulusSet
from brainmark.datasets._common import stimulus_set_from_csv
from brainmark.datasets._shipped import shipped_files

FILES = shipped_files("imagenet_samples")
CITATION = """@article{russakovsky2015imagenet,
  title={ImageNet Large Scale Visual Recognition Challenge},
  author={Russakovsky, Olga and Deng, Jia and Su, Hao and others},
  journal={International Journal of Computer Vision}, volume={115}, number={3}, pages={211--252}, year={2015}
}"""


def _stimulus_set(files: Files) -> StimulusSet:
    return stimulus_set_from_csv("ImageNetSamples", files, "stimuli.csv")


register(DatasetEntry("ImageNetSamples", "stimuli", _stimulus_set, FILES,
                      description="20 ImageNet validation photographs with class index (label) and class_name",
                      citation=CITATION, license="MIT", notes="as distributed with foolbox 3.3.4", shape="20 images"))
