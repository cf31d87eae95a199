"""The 2018 paper's families through torchvision, with hand-picked candidate layers at block boundaries.

Published weights are torchvision's ``IMAGENET1K_V1`` (the classic releases; their ImageNet top-1 is read
from torchvision's weight metadata). They load from the torch.hub cache or are downloaded when online;
offline without the file a :class:`WeightsUnavailableError` suggests ``untrained=True``.
"""
from __future__ import annotations

from functools import partial
from typing import Any

import torch
import torchvision
from torch import nn

from brainmark.models.loading import fetch_state_dict, hub_file, register_model
from brainmark.models.preprocessing import IMAGENET_MEAN, IMAGENET_STD, Preprocessing
from brainmark.models.spec import ModelSpec

PAPERS = {
    "alexnet": "Krizhevsky, Sutskever & Hinton 2012",
    "vgg": "Simonyan & Zisserman 2015",
    "resnet": "He et al. 2016",
    "densenet": "Huang et al. 2017",
    "inception": "Szegedy et al. 2016",
    "mobilenet": "Sandler et al. 2018",
    "squeezenet": "Iandola et al. 2016",
}


class PooledDenseNet(nn.Module):
    """torchvision's DenseNet with its functional ReLU + pooling made into modules (hookable readout)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.features = net.features
        self.relu = nn.ReLU(inplace=False)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = net.classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet logits for ``x``."""
        return self.classifier(torch.flatten(self.avgpool(self.relu(self.features(x))), 1))


def _resnet_layers(blocks_layer3: int) -> list[str]:
    return ["maxpool", "layer1", "layer2", f"layer3.{blocks_layer3 // 2 - 1}", "layer3", "layer4", "avgpool"]


def _densenet_layers() -> list[str]:
    return [
        "features.pool0", "features.transition1", "features.transition2",
        "features.denseblock3", "features.transition3", "features.denseblock4", "avgpool",
    ]


# name: (builder, weights enum, family, candidate layers, readout layer, input size)
ZOO: dict[str, tuple[str, str, str, list[str], str, int]] = {
    "alexnet": ("alexnet", "AlexNet_Weights", "alexnet",
                ["features.2", "features.5", "features.7", "features.9", "features.12", "classifier.2", "classifier.5"],
                "classifier.5", 224),
    "vgg16": ("vgg16", "VGG16_Weights", "vgg",
              ["features.4", "features.9", "features.16", "features.23", "features.30", "classifier.1", "classifier.4"],
              "classifier.4", 224),
    "vgg19": ("vgg19", "VGG19_Weights", "vgg",
              ["features.4", "features.9", "features.18", "features.27", "features.36", "classifier.1", "classifier.4"],
              "classifier.4", 224),
    "resnet18": ("resnet18", "ResNet18_Weights", "resnet", _resnet_layers(2), "fc:input", 224),
    "resnet34": ("resnet34", "ResNet34_Weights", "resnet", _resnet_layers(6), "fc:input", 224),
    "resnet50": ("resnet50", "ResNet50_Weights", "resnet", _resnet_layers(6), "fc:input", 224),
    "resnet101": ("resnet101", "ResNet101_Weights", "resnet", _resnet_layers(23), "fc:input", 224),
    "resnet152": ("resnet152", "ResNet152_Weights", "resnet", _resnet_layers(36), "fc:input", 224),
    "densenet121": ("densenet121", "DenseNet121_Weights", "densenet", _densenet_layers(), "avgpool", 224),
    "densenet169": ("densenet169", "DenseNet169_Weights", "densenet", _densenet_layers(), "avgpool", 224),
    "densenet201": ("densenet201", "DenseNet201_Weights", "densenet", _densenet_layers(), "avgpool", 224),
    "inception_v3": ("inception_v3", "Inception_V3_Weights", "inception",
                     ["maxpool2", "Mixed_5d", "Mixed_6a", "Mixed_6c", "Mixed_6e", "Mixed_7a", "Mixed_7c", "avgpool"],
                     "fc:input", 299),
    "mobilenet_v2": ("mobilenet_v2", "MobileNet_V2_Weights", "mobilenet",
                     ["features.1", "features.3", "features.6", "features.10", "features.13", "features.17",
                      "features.18"],
                     "classifier.1:input", 224),
    "squeezenet1_0": ("squeezenet1_0", "SqueezeNet1_0_Weights", "squeezenet",
                      ["features.2", "features.6", "features.11", "features.12", "classifier.2"],
                      "classifier.1:input", 224),
    "squeezenet1_1": ("squeezenet1_1", "SqueezeNet1_1_Weights", "squeezenet",
                      ["features.2", "features.5", "features.8", "features.12", "classifier.2"],
                      "classifier.1:input", 224),
}


def _weights(name: str) -> Any:
    return getattr(torchvision.models, ZOO[name][1]).IMAGENET1K_V1


def build(name: str, untrained: bool = False, seed: int = 0) -> ModelSpec:
    """The torchvision network ``name`` (random seeded init when ``untrained``)."""
    builder_name, _, family, layers, readout, size = ZOO[name]
    builder = getattr(torchvision.models, builder_name)
    weights = _weights(name)
    weights_file = None
    extra: dict[str, Any] = {"init_weights": True} if name == "inception_v3" else {}
    if untrained:
        net = builder(weights=None, **extra)  # caller seeds the RNG (load_model -> seeded(seed))
    else:
        if not hub_file(weights.url).is_file():
            fetch_state_dict(name, weights.url)  # downloads, or raises WeightsUnavailableError offline
        net = builder(weights=weights)  # torchvision's own loader (key fix-ups for old checkpoints), from cache
        weights_file = str(hub_file(weights.url))
    if family == "densenet":
        net = PooledDenseNet(net)
    return ModelSpec(
        net,
        layers=layers,
        preprocessing=Preprocessing(size, IMAGENET_MEAN, IMAGENET_STD),
        identifier=name,
        readout_layer=readout,
        imagenet_output=True,
        weights_file=weights_file,
        metadata=info(name),
    )


def info(name: str) -> dict[str, Any]:
    """The zoo metadata of a torchvision model (top-1 from its published weights' metadata)."""
    builder_name, _, family, layers, readout, size = ZOO[name]
    weights = _weights(name)
    return {
        "family": family,
        "paper": PAPERS[family],
        "imagenet_top1": float(weights.meta["_metrics"]["ImageNet-1K"]["acc@1"]),
        "weights_url": weights.url,
        "layers": list(layers),
        "readout_layer": readout,
        "input_size": size,
        "normalisation": {"mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD)},
        "source": "torchvision",
        "training_data": "ImageNet-1k",
    }


for _name in ZOO:
    register_model(_name, partial(build, _name), **info(_name))
