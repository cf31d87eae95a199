"""The trusted side's stand-in for an uploaded model: a layered BrainModel whose activations come from the sandbox.

:class:`SandboxedBrainModel` is a :class:`~brainmark.models.PytorchBrainModel` without a torch module: it keeps
everything that decides a score on the trusted side (layer commitment, region recording, the ImageNet softmax, the
logistic readout fitted on returned features, the assemblies and their provenance) and only asks the sandbox
for "these layers' activations (or the output logits) of these images". What the sandbox says about itself
(candidate layers, preprocessing, visual degrees) is validated and used only to ask the right questions; its
weights hash is recorded as reported, while caches on this side are keyed by the package's own sha256.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import xarray as xr

from brainmark.data.stimuli import StimulusSet
from brainmark.leaderboard.channel import ChannelError, SandboxClient, read_array
from brainmark.models.activations import OUTPUT
from brainmark.models.brain_model import PASSIVE, REGIONS
from brainmark.models.errors import UnknownLayerError
from brainmark.models.preprocessing import Preprocessing
from brainmark.models.pytorch_model import PytorchBrainModel
from brainmark.models.reduction import Reduction

LAYER_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,200}(:input)?$")
MAX_LAYERS = 200
MAX_OUTPUTS = 25_000  # ImageNet-21k heads and below
IMAGENET_CLASSES = 1000


def _layer(name: Any) -> str:
    if not isinstance(name, str) or not LAYER_RE.match(name):
        raise ChannelError(f"the model reported an invalid layer name {str(name)[:80]!r}")
    return name


def _number(value: Any, what: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not lo <= value <= hi:
        raise ChannelError(f"the model reported {what} = {str(value)[:40]!r}; expected a number in [{lo}, {hi}]")
    return float(value)


@dataclass(frozen=True)
class RemoteSpec:
    """What the sandboxed model says about itself, validated (the ``spec`` a PytorchBrainModel reads)."""

    layers: list[str]
    preprocessing: Preprocessing
    visual_degrees: float
    readout_layer: str | None = None
    imagenet_output: bool = False
    region_layers: dict[str, str] = field(default_factory=dict)
    reported_weights_hash: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_reply(cls, reply: dict[str, Any]) -> "RemoteSpec":
        """Validate a ``describe`` reply; raises :class:`ChannelError` naming the bad field."""
        layers = reply.get("layers")
        if not isinstance(layers, list) or not 1 <= len(layers) <= MAX_LAYERS:
            raise ChannelError(f"the model must report 1-{MAX_LAYERS} candidate layers")
        pre = reply.get("preprocessing") if isinstance(reply.get("preprocessing"), dict) else {}
        mean, std = pre.get("mean"), pre.get("std")
        if not (isinstance(mean, list) and isinstance(std, list) and len(mean) == len(std) == 3):
            raise ChannelError("the model's preprocessing needs 3 mean and 3 std values")
        preprocessing = Preprocessing(
            input_size=int(_number(pre.get("input_size"), "input_size", 1, 4096)),
            mean=tuple(_number(m, "mean", -1e3, 1e3) for m in mean),
            std=tuple(_number(s, "std", 1e-6, 1e3) for s in std),
        )
        readout = reply.get("readout_layer")
        regions = reply.get("region_layers") or {}
        if not isinstance(regions, dict) or any(r not in REGIONS for r in regions):
            raise ChannelError(f"region_layers must map regions {REGIONS} to layers")
        imagenet = reply.get("imagenet_output")
        if not isinstance(imagenet, bool):
            raise ChannelError("imagenet_output must be true or false")
        weights = str(reply.get("weights_hash", ""))
        return cls(
            layers=[_layer(layer) for layer in layers], preprocessing=preprocessing,
            visual_degrees=_number(reply.get("visual_degrees"), "visual_degrees", 0.1, 180),
            readout_layer=None if readout is None else _layer(readout), imagenet_output=imagenet,
            region_layers={r: _layer(layer) for r, layer in regions.items()},
            reported_weights_hash=weights if re.fullmatch(r"[0-9a-f]{8,64}", weights) else "",
        )


def max_width(reduction: Reduction, rows: int) -> int:
    """The widest array a layer may come back as under ``reduction`` for ``rows`` stimuli: full features within
    the memory budget (``none``, ``auto``), the exact embedding's ``rows + 1`` coordinates (``gram``, ``auto``
    beyond the budget), or the projection's components."""
    full = max(1, reduction.budget() // (4 * max(rows, 1)))
    if reduction.kind == "none":
        return full
    if reduction.kind == "gram":
        return rows + 1
    if reduction.kind == "auto":
        return max(full, rows + 1)
    return reduction.components()


class SandboxedBrainModel(PytorchBrainModel):
    """A layered BrainModel answering from the sandbox; the task and readout logic is PytorchBrainModel's."""

    def __init__(self, client: SandboxClient, identifier: str, package_sha256: str, *, seed: int = 0,
                 reduction: str | Reduction | None = "auto", layers: Mapping[str, str] | None = None) -> None:
        # No super().__init__: there is no torch module on this side. These are the attributes the inherited
        # task methods (start_task, look_at, the readout, assemblies) read.
        self.client = client
        self.identifier = identifier
        self.seed = int(seed)
        self.reduction = Reduction.parse(reduction, seed=self.seed)
        self.use_cache = True  # an in-memory cache of this job's answers (never the shared activation cache)
        self.spec = RemoteSpec.from_reply(client.request({"op": "describe"}))
        self.package_sha256 = package_sha256
        self._weights_hash = package_sha256
        self._memo: dict[tuple[str, str, str], np.ndarray] = {}
        self.commitment: dict[str, dict[str, Any]] = {}
        for region, layer in self.spec.region_layers.items():
            self.commit(region, layer, source="built-in")
        for region, layer in (layers or {}).items():
            self.commit(region, layer, source="user")
        self._region, self._time_bins, self._task, self._readout = None, None, PASSIVE, None

    @property
    def weights_hash(self) -> str:
        """The uploaded package's sha256 (computed on the trusted side)."""
        return self.package_sha256

    @property
    def parameter_count(self) -> None:
        """Unknown: the network lives in the sandbox, and a count it reported would not be a trusted fact."""
        return None

    @property
    def metadata(self) -> dict[str, Any]:
        """Facts established by the trusted side only."""
        return {"source": "upload", "package_sha256": self.package_sha256,
                "reported_weights_hash": self.spec.reported_weights_hash}

    def commit(self, region: str, layer: str, source: str = "user", **record: Any) -> None:
        """Fix ``region``'s layer (one of the candidates or a built-in region layer)."""
        allowed = set(self.spec.layers) | set(self.spec.region_layers.values())
        if layer not in allowed:
            raise UnknownLayerError(f"unknown layer {layer!r}; candidate layers: {', '.join(self.spec.layers)}")
        self.commitment[region] = {"layer": layer, "source": source, **record}

    def layer_activations(self, stimulus_set: StimulusSet, layers: Sequence[str],
                          reduction: str | Reduction | None = None) -> dict[str, xr.DataArray]:
        """``presentation x neuroid`` activations of ``layers``, computed in the sandbox and validated here."""
        reduction = self.reduction if reduction is None else Reduction.parse(reduction, seed=self.seed)
        if reduction.kind == "pca":
            raise ChannelError("PCA reductions are not available for uploaded models; use auto, none or random:K")
        layers = [_layer(layer) if layer != OUTPUT else OUTPUT for layer in dict.fromkeys(layers)]
        # 'auto' is resolved per layer in the sandbox (full features or the exact embedding), so the memo keys on
        # the request itself
        key = (stimulus_set.content_hash(), repr((reduction.kind, reduction.n_components, reduction.seed,
                                                  reduction.budget())))
        missing = [layer for layer in layers if (*key, layer) not in self._memo]
        if missing:
            self._fetch(stimulus_set, missing, reduction, key)
        return {layer: self._assembly(self._memo[(*key, layer)], layer, stimulus_set,
                                      {"reduction": reduction.kind, "layer": layer, "computed_in": "sandbox"})
                for layer in layers}

    def _fetch(self, stimuli: StimulusSet, layers: list[str], reduction: Reduction, key: tuple[str, str]) -> None:
        folder, files = self.client.stage(stimuli)
        real = [layer for layer in layers if layer != OUTPUT]
        reply = self.client.request({
            "op": "activations", "folder": folder, "files": files, "degrees": stimuli.degrees,
            "layers": real, "output": OUTPUT in layers,
            "reduction": {"kind": reduction.kind, "n_components": reduction.n_components, "seed": reduction.seed,
                          "memory_budget": reduction.budget()},
        })
        rows = len(stimuli)
        for index, layer in enumerate(real):
            name = f"r{reply['id']}-{index}.npy"
            self._memo[(*key, layer)] = read_array(self.client.out_fd, name, rows, max_width(reduction, rows))
        if OUTPUT in layers:
            name = f"r{reply['id']}-output.npy"
            width = IMAGENET_CLASSES if self.spec.imagenet_output else MAX_OUTPUTS
            logits = read_array(self.client.out_fd, name, rows, width)
            if self.spec.imagenet_output and logits.shape[1] != IMAGENET_CLASSES:
                raise ChannelError(f"the model claims ImageNet outputs but returned {logits.shape[1]} of them")
            self._memo[(*key, OUTPUT)] = logits
