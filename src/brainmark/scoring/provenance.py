"""Provenance of a results record: package versions and what identifies the model."""
from __future__ import annotations

import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from brainmark._json import to_jsonable
from brainmark._version import __version__

#: Packages whose versions can change a number.
PACKAGES = ("numpy", "scipy", "scikit-learn", "xarray", "pandas", "torch", "torchvision", "timm", "Pillow",
            "netCDF4", "h5netcdf")


def environment() -> dict[str, Any]:
    """Versions of brainmark, Python and the numeric packages, plus the platform."""
    env: dict[str, Any] = {"brainmark": __version__, "python": platform.python_version(),
                           "platform": f"{platform.system()}-{platform.machine()}"}
    for name in PACKAGES:
        try:
            env[name] = version(name)
        except PackageNotFoundError:
            env[name] = None
    try:
        import torch  # already imported when a model ran; cheap otherwise skipped

        if "torch" in sys.modules:
            env["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    return env


def model_info(model: Any, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """What identifies a model: identifier, weights hash, construction options, metadata (e.g. ImageNet top-1) and
    the parameter count (counted here, in trusted code, when the network is in this process)."""
    info: dict[str, Any] = {"identifier": str(getattr(model, "identifier", model))}
    for attr in ("weights_sha256", "weights_hash"):
        value = getattr(model, attr, None)
        if callable(value):
            value = value()
        if value:
            info["weights_sha256"] = str(value)
            break
    metadata = getattr(model, "metadata", None)
    if callable(metadata):
        metadata = metadata()
    if isinstance(metadata, dict):
        info["metadata"] = to_jsonable(metadata)
    info["options"] = to_jsonable(dict(options or {}))
    count = getattr(model, "parameter_count", None)
    if isinstance(count, int) and not isinstance(count, bool):
        info["parameter_count"] = count
    try:
        info["visual_degrees"] = float(model.visual_degrees())
    except (AttributeError, TypeError):
        pass
    return info
