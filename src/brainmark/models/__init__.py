"""Models: any network as an experimental subject (BrainModel), with memory-bounded, cached activations.

``load_model("resnet18")``, ``load_model("alexnet", untrained=True)``, ``load_model("timm:resnet10t",
untrained=True)``, ``load_model("path/to/net.py:factory")``. See :mod:`brainmark.models.spec` for the user
factory contract and :mod:`brainmark.models.commitment` for layer selection.
"""
from brainmark.models.brain_model import LABEL, PASSIVE, PROBABILITIES, REGIONS, TASKS, BrainModel, LayeredBrainModel
from brainmark.models.errors import (
    CommitmentError,
    ModelError,
    ModelForwardError,
    ModelOutputError,
    StimulusImageError,
    TaskError,
    UnknownLayerError,
    UserModelError,
    WeightsUnavailableError,
)
from brainmark.models.loading import MODELS, ModelEntry, load_model, model_entry_info, register_model
from brainmark.models.preprocessing import Preprocessing
from brainmark.models.pytorch_model import PytorchBrainModel
from brainmark.models.reduction import Reduction
from brainmark.models.spec import ModelSpec
from brainmark.models import cornet as _cornet  # noqa: E402,F401  (registers the zoo)
from brainmark.models import efficientnet_lite as _efficientnet_lite  # noqa: E402,F401
from brainmark.models import torchvision_zoo as _torchvision_zoo  # noqa: E402,F401

__all__ = [
    "BrainModel", "LayeredBrainModel", "PytorchBrainModel", "ModelSpec", "ModelEntry", "Preprocessing", "Reduction",
    "MODELS", "load_model", "model_entry_info", "register_model", "TASKS", "PASSIVE", "LABEL", "PROBABILITIES", "REGIONS",
    "ModelError", "UnknownLayerError", "ModelForwardError", "ModelOutputError", "StimulusImageError",
    "WeightsUnavailableError", "UserModelError", "CommitmentError", "TaskError",
]
