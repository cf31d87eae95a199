"""The contract between a network and brainmark: what a model factory returns.

A factory (zoo entry, ``brainmark.models`` entry point, or a user's ``file.py:factory``) returns a
:class:`ModelSpec`: the torch module, how to present images to it, and which layers are candidates for
region commitment. Example::

    def my_factory() -> ModelSpec:
        net = MyNet()
        return ModelSpec(net, layers=["block1", "block2", "block3"], preprocessing=Preprocessing(224),
                         identifier="mynet", readout_layer="fc:input")

Layer names are dotted module paths (``dict(net.named_modules())``); ``name:input`` means the *input* of that
module (e.g. the pooled features entering the classifier).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from torch import nn

from brainmark.models.preprocessing import Preprocessing


@dataclass
class ModelSpec:
    """A torch module plus preprocessing and layers.

    - ``layers``: candidate layers for commitment (block boundaries), shallow to deep.
    - ``region_layers``: a built-in region -> layer commitment (CORnet), used instead of selection.
    - ``readout_layer``: penultimate features for logistic readouts (``probabilities`` with fitting stimuli).
    - ``imagenet_output``: the module's output is 1000-way ImageNet logits (enables fitting-free tasks).
    - ``weights_file``: where the weights came from (lets the weights hash be computed once per file).
    - ``metadata``: free-form facts shown in reports; ``imagenet_top1`` is in percent (random weights: 0.1, chance).
    """

    module: nn.Module
    layers: Sequence[str]
    preprocessing: Preprocessing = field(default_factory=Preprocessing)
    identifier: str | None = None
    visual_degrees: float = 8.0
    region_layers: Mapping[str, str] | None = None
    readout_layer: str | None = None
    imagenet_output: bool = False
    weights_file: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.module, nn.Module):
            raise TypeError(f"ModelSpec.module must be a torch.nn.Module, got {type(self.module).__name__}")
        self.layers = list(self.layers)
        if not self.layers:
            raise ValueError("ModelSpec.layers must list at least one candidate layer")
        if self.visual_degrees <= 0:
            raise ValueError(f"visual_degrees must be positive, got {self.visual_degrees}")
