"""What the board filters on: a model's family, parameter count, training data and whether its weights are trained.

Read from the model's results record (``model`` section: the zoo's ``metadata``, ``options`` such as
``untrained``, ``parameter_count`` counted at scoring time in trusted code), falling back to the zoo entry of the
model's base name for records that predate a field. Nothing here loads a model. Uploaded models have only what the
trusted side established (``source: upload``): their family and training data are unknown, and their parameter
count too (the network lives in the sandbox).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Mapping

UNTRAINED = "none (random weights)"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Facets:
    """The filterable facts of one model (None: not recorded)."""

    family: str | None
    parameter_count: int | None
    training_data: str | None
    pretrained: bool | None  # False: random weights (the untrained control); None: not known

    @property
    def weights(self) -> str:
        """``pretrained``, ``untrained`` or ``unknown``."""
        return {True: "pretrained", False: "untrained", None: UNKNOWN}[self.pretrained]


def base_name(identifier: str) -> str:
    """The zoo name behind an identifier: ``resnet18-untrained-seed4`` -> ``resnet18``."""
    return re.sub(r"(-untrained)?(-seed\d+)?$", "", identifier)


@functools.lru_cache(maxsize=1024)
def _zoo_info(name: str) -> tuple[tuple[str, Any], ...]:
    """The zoo metadata of ``name`` (empty when it is not a zoo model); cached, never loads the model."""
    try:
        from brainmark.models import model_entry_info

        return tuple(model_entry_info(name).items())
    except Exception:  # not a zoo name (an upload, a plugin that is not installed here)
        return ()


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < 0:
        return None
    return int(value)


def model_facets(identifier: str, metadata: Mapping[str, Any]) -> Facets:
    """The facets of a model from its stored record metadata (``Model.model_metadata``)."""
    inner = metadata.get("metadata") if isinstance(metadata.get("metadata"), Mapping) else {}
    options = metadata.get("options") if isinstance(metadata.get("options"), Mapping) else {}
    upload = inner.get("source") == "upload"
    zoo = {} if upload else dict(_zoo_info(base_name(identifier)))
    untrained = bool(options.get("untrained")) or str(inner.get("weights", "")).startswith("random") \
        or identifier.endswith("-untrained") or "-untrained-seed" in identifier
    family = inner.get("family") or zoo.get("family")
    training = inner.get("training_data") or zoo.get("training_data")
    pretrained: bool | None = False if untrained else (True if (family or training) and not upload else None)
    count = _int(metadata.get("parameter_count"))
    if count is None:
        count = _int(inner.get("parameter_count"))
    return Facets(
        family=str(family) if family else None,
        parameter_count=count,
        training_data=UNTRAINED if untrained else (str(training) if training else None),
        pretrained=pretrained,
    )


def format_count(count: int | None) -> str:
    """A parameter count for people: ``11.7 M``, ``850 k``."""
    if count is None:
        return ""
    if count >= 1e9:
        return f"{count / 1e9:.1f} G"
    if count >= 1e6:
        return f"{count / 1e6:.1f} M"
    return f"{count / 1e3:.0f} k" if count >= 1e3 else str(count)
