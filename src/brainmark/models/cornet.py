"""CORnet-Z and CORnet-S (Kubilius et al. 2018, 2019), written from the published description.

Four areas V1, V2, V4, IT and a decoder. CORnet-Z: each area is conv -> ReLU -> 3x3/2 max-pool (V1 7x7/2
conv, 64 channels; V2 128; V4 256; IT 512). CORnet-S: V1 is two convolutions with a max-pool between; V2, V4,
IT are recurrent bottleneck blocks (1x1 -> 3x3 -> 1x1, expansion 4) with a skip connection, unrolled for the
published number of time steps (V2: 2, V4: 4, IT: 2) with separate batch-norms per step; the first step
down-samples. Module names follow the authors' release so their weights load. Built-in commitment: each
region is the output of the area of the same name (its last time step).
"""
from __future__ import annotations

from functools import partial
from typing import Any

import torch
from torch import nn

from brainmark.models.loading import fetch_state_dict, register_model
from brainmark.models.preprocessing import IMAGENET_MEAN, IMAGENET_STD, Preprocessing
from brainmark.models.spec import ModelSpec

URLS = {
    "cornet-z": "https://s3.amazonaws.com/cornet-models/cornet_z-5c427c9c.pth",
    "cornet-s": "https://s3.amazonaws.com/cornet-models/cornet_s-1d3f7974.pth",
}
REGION_LAYERS = {"V1": "V1.output", "V2": "V2.output", "V4": "V4.output", "IT": "IT.output"}


class Identity(nn.Module):
    """A named pass-through, so an area's output can be hooked by name."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` unchanged."""
        return x


class Flatten(nn.Module):
    """Flattens all but the batch dimension."""
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` as (batch, features)."""
        return x.view(x.size(0), -1)


def _decoder(channels: int = 512, classes: int = 1000) -> nn.Sequential:
    return nn.Sequential(
        _ordered(avgpool=nn.AdaptiveAvgPool2d(1), flatten=Flatten(), linear=nn.Linear(channels, classes), output=Identity())
    )


def _ordered(**modules: nn.Module):
    from collections import OrderedDict

    return OrderedDict(modules)


class CORblockZ(nn.Module):
    """CORnet-Z area: convolution, ReLU, max-pool, and a named output."""
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=kernel_size // 2)
        self.nonlin = nn.ReLU(inplace=True)
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.output = Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The area's output for ``x``."""
        return self.output(self.pool(self.nonlin(self.conv(x))))


class CORnetZ(nn.Module):
    """CORnet-Z (Kubilius et al. 2018): four feed-forward areas V1, V2, V4, IT and a decoder."""
    def __init__(self) -> None:
        super().__init__()
        self.V1 = CORblockZ(3, 64, kernel_size=7, stride=2)
        self.V2 = CORblockZ(64, 128)
        self.V4 = CORblockZ(128, 256)
        self.IT = CORblockZ(256, 512)
        self.decoder = _decoder()
        for m in self.modules():  # the authors' initialisation
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet logits for ``x``."""
        return self.decoder(self.IT(self.V4(self.V2(self.V1(x)))))


class CORblockS(nn.Module):
    """CORnet-S area: a bottleneck block unrolled ``times`` steps with shared weights."""
    scale = 4  # bottleneck expansion

    def __init__(self, in_channels: int, out_channels: int, times: int) -> None:
        super().__init__()
        self.times = times
        wide = out_channels * self.scale
        self.conv_input = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)
        self.skip = nn.Conv2d(out_channels, out_channels, kernel_size=1, stride=2, bias=False)
        self.norm_skip = nn.BatchNorm2d(out_channels)
        self.conv1 = nn.Conv2d(out_channels, wide, kernel_size=1, bias=False)
        self.nonlin1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(wide, wide, kernel_size=3, stride=2, padding=1, bias=False)
        self.nonlin2 = nn.ReLU(inplace=True)
        self.conv3 = nn.Conv2d(wide, out_channels, kernel_size=1, bias=False)
        self.nonlin3 = nn.ReLU(inplace=True)
        self.output = Identity()
        for t in range(times):  # separate batch-norm statistics per time step
            setattr(self, f"norm1_{t}", nn.BatchNorm2d(wide))
            setattr(self, f"norm2_{t}", nn.BatchNorm2d(wide))
            setattr(self, f"norm3_{t}", nn.BatchNorm2d(out_channels))

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        """The area's output after its recurrent steps."""
        x = self.conv_input(inp)
        output = x
        for t in range(self.times):
            if t == 0:  # the first step down-samples, in both branches
                skip = self.norm_skip(self.skip(x))
                stride = 2
            else:
                skip = x
                stride = 1
            x = self.nonlin1(getattr(self, f"norm1_{t}")(self.conv1(x)))
            x = nn.functional.conv2d(x, self.conv2.weight, None, stride=stride, padding=1)
            x = self.nonlin2(getattr(self, f"norm2_{t}")(x))
            x = getattr(self, f"norm3_{t}")(self.conv3(x))
            x = self.nonlin3(x + skip)
            output = self.output(x)
        return output


class CORnetS(nn.Module):
    """CORnet-S (Kubilius et al. 2019): recurrent areas V1, V2, V4, IT and a decoder."""
    TIMES = {"V2": 2, "V4": 4, "IT": 2}

    def __init__(self) -> None:
        super().__init__()
        self.V1 = nn.Sequential(
            _ordered(
                conv1=nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False),
                norm1=nn.BatchNorm2d(64),
                nonlin1=nn.ReLU(inplace=True),
                pool=nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
                conv2=nn.Conv2d(64, 64, kernel_size=3, stride=1, padding=1, bias=False),
                norm2=nn.BatchNorm2d(64),
                nonlin2=nn.ReLU(inplace=True),
                output=Identity(),
            )
        )
        self.V2 = CORblockS(64, 128, times=self.TIMES["V2"])
        self.V4 = CORblockS(128, 256, times=self.TIMES["V4"])
        self.IT = CORblockS(256, 512, times=self.TIMES["IT"])
        self.decoder = _decoder()
        for m in self.modules():  # the authors' initialisation
            if isinstance(m, nn.Conv2d):
                n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, 0.0, (2.0 / n) ** 0.5)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet logits for ``x``."""
        return self.decoder(self.IT(self.V4(self.V2(self.V1(x)))))


def _published_state(name: str) -> tuple[dict[str, Any], str]:
    checkpoint, path = fetch_state_dict(name, URLS[name])
    state = checkpoint.get("state_dict", checkpoint)
    return {k.removeprefix("module."): v for k, v in state.items()}, path


def build(name: str, untrained: bool = False, seed: int = 0) -> ModelSpec:
    """The ModelSpec of ``cornet-z`` or ``cornet-s`` (published weights unless ``untrained``)."""
    net = CORnetZ() if name == "cornet-z" else CORnetS()
    weights_file = None
    if not untrained:
        state, weights_file = _published_state(name)
        net.load_state_dict(state)
    return ModelSpec(
        net,
        layers=list(REGION_LAYERS.values()),
        preprocessing=Preprocessing(224, IMAGENET_MEAN, IMAGENET_STD),
        identifier=name,
        region_layers=dict(REGION_LAYERS),
        readout_layer="decoder.linear:input",
        imagenet_output=True,
        weights_file=weights_file,
        metadata=info(name),
    )


def info(name: str) -> dict[str, Any]:
    """The zoo metadata of ``cornet-z`` or ``cornet-s``."""
    return {
        "family": "cornet",
        "paper": "Kubilius et al. 2018 (bioRxiv), 2019 (NeurIPS)",
        "imagenet_top1": {"cornet-z": 48.0, "cornet-s": 74.7}[name],
        "imagenet_top1_note": "approximate, read from the CORnet papers' figures",
        "weights_url": URLS[name],
        "layers": list(REGION_LAYERS.values()),
        "region_layers": dict(REGION_LAYERS),
        "readout_layer": "decoder.linear:input",
        "input_size": 224,
        "normalisation": {"mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD)},
        "time_steps": {"V1": 1, **CORnetS.TIMES} if name == "cornet-s" else None,
        "source": "brainmark implementation of the published architecture",
        "training_data": "ImageNet-1k",
    }


for _name in URLS:
    register_model(_name, partial(build, _name), **info(_name))
