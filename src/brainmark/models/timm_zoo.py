"""Any timm model by name (``timm:<name>``): timm's own preprocessing, feature stages as candidate layers."""
from __future__ import annotations

from brainmark.models.errors import UserModelError, WeightsUnavailableError
from brainmark.models.loading import offline
from brainmark.models.preprocessing import Preprocessing
from brainmark.models.spec import ModelSpec


def timm_spec(name: str, untrained: bool = False, seed: int = 0) -> ModelSpec:
    """The timm model ``name``; pretrained weights need a connection (or timm's cache), else ``untrained``."""
    import timm

    if not timm.is_model(name):
        close = timm.list_models(f"*{name}*")[:10]
        raise UserModelError(f"timm has no model {name!r}" + (f"; similar: {', '.join(close)}" if close else ""))
    if not untrained and offline():
        raise WeightsUnavailableError(
            f"pretrained weights of timm:{name} need a download (BRAINMARK_OFFLINE is set); use untrained=True"
        )
    try:
        net = timm.create_model(name, pretrained=not untrained)
    except Exception as exc:  # hub/network errors
        if untrained:
            raise
        raise WeightsUnavailableError(
            f"cannot get pretrained weights of timm:{name} ({type(exc).__name__}: {exc}); go online or use "
            f"load_model('timm:{name}', untrained=True) / `--untrained`"
        ) from exc
    config = timm.data.resolve_data_config({}, model=net)
    modules = dict(net.named_modules())
    layers = [f["module"] for f in getattr(net, "feature_info", []) if f.get("module") in modules]
    classifier = (getattr(net, "pretrained_cfg", None) or {}).get("classifier")
    readout = f"{classifier}:input" if classifier in modules else None
    if not layers:
        layers = [n for n, _ in net.named_children()]
    return ModelSpec(
        net,
        layers=layers,
        preprocessing=Preprocessing(int(config["input_size"][-1]), tuple(config["mean"]), tuple(config["std"])),
        identifier=f"timm:{name}",
        readout_layer=readout,
        imagenet_output=getattr(net, "num_classes", 0) == 1000,
        metadata={"family": "timm", "source": "timm", "input_size": int(config["input_size"][-1])},
    )
