"""Errors raised by the model layer; each message names the problem and what to do."""
from __future__ import annotations

from brainmark.errors import BrainmarkError


class ModelError(BrainmarkError):
    """Base class of model-layer errors."""


class UnknownLayerError(ModelError, KeyError):
    """A layer name is not a module path of the network."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ModelForwardError(ModelError, RuntimeError):
    """The network raised while looking at a batch of stimuli."""


class ModelOutputError(ModelError, ValueError):
    """The network returned NaN/inf values or an output of the wrong shape."""


class StimulusImageError(ModelError, OSError):
    """An image of a stimulus set cannot be read or decoded."""


class WeightsUnavailableError(ModelError, OSError):
    """Published weights are not on disk and cannot be downloaded (offline)."""


class UserModelError(ModelError, ImportError):
    """A user model reference (``file.py:factory`` / ``module:factory``) cannot be loaded."""


class CommitmentError(ModelError, ValueError):
    """A region has no committed layer, or a commitment request is inconsistent."""


class TaskError(ModelError, ValueError):
    """A task cannot be performed as asked (unknown task, overlapping fitting stimuli...)."""
