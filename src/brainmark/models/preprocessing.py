"""Stimulus presentation: place an image at the model's visual angle, resize, normalise (REFERENCE.md section 6).

A stimulus that spanned ``stimulus_degrees`` in the experiment is shown to a model whose input spans
``model_degrees``: if the model sees more of the world (ratio > 1) the image is pasted, at its own pixel size,
in the centre of a larger gray canvas (the official "enlarge"); if it sees less, the image is centre-cropped.
Then it is resized to the model's square input and normalised with the model's own statistics. Grayscale,
palette and alpha images become 3-channel RGB. Every step is deterministic (PIL bilinear resampling).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from brainmark.models.errors import StimulusImageError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
BACKGROUND_GRAY = (128, 128, 128)  # PIL's "gray", as in the official screen placement


@dataclass(frozen=True)
class Preprocessing:
    """How a network wants its input: square ``input_size`` pixels, ``(x - mean) / std`` on [0, 1] RGB."""

    input_size: int = 224
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD

    def __post_init__(self) -> None:
        if int(self.input_size) <= 0:
            raise ValueError(f"input_size must be a positive number of pixels, got {self.input_size}")
        if len(self.mean) != 3 or len(self.std) != 3 or any(s <= 0 for s in self.std):
            raise ValueError(f"mean and std need 3 values each (std > 0), got mean={self.mean} std={self.std}")

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready fields (tuples as lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def load_rgb(path: str | Path, stimulus_id: str = "") -> Image.Image:
    """Read an image as 3-channel RGB (grayscale/palette/alpha converted), or raise :class:`StimulusImageError`."""
    try:
        with Image.open(path) as image:
            image.load()
            return image.convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        what = f"stimulus {stimulus_id!r}" if stimulus_id else "image"
        raise StimulusImageError(
            f"cannot read the image of {what} at {path}: {exc}. Check that the file exists and is a valid image."
        ) from exc


def place_on_screen(image: Image.Image, model_degrees: float, stimulus_degrees: float | None) -> Image.Image:
    """Match the stimulus' visual angle to the model's: gray-pad when the model sees more, centre-crop when less."""
    if stimulus_degrees is None or stimulus_degrees <= 0 or np.isclose(model_degrees, stimulus_degrees):
        return image
    ratio = float(model_degrees) / float(stimulus_degrees)
    size = np.array(image.size)
    target = np.maximum(np.round(size * ratio).astype(int), 1)
    if ratio > 1:
        canvas = Image.new("RGB", (int(target[0]), int(target[1])), BACKGROUND_GRAY)
        left, top = ((target - size) / 2).round().astype(int)
        canvas.paste(image, (int(left), int(top)))
        return canvas
    left, top = ((size - target) / 2).round().astype(int)
    return image.crop((int(left), int(top), int(left + target[0]), int(top + target[1])))


def to_tensor(image: Image.Image, preprocessing: Preprocessing) -> torch.Tensor:
    """Resize to the square input and normalise; returns a float32 ``3 x H x W`` tensor."""
    size = int(preprocessing.input_size)
    resized = image.resize((size, size), Image.Resampling.BILINEAR)
    array = np.asarray(resized, dtype=np.float32) / 255.0
    mean = np.asarray(preprocessing.mean, dtype=np.float32)
    std = np.asarray(preprocessing.std, dtype=np.float32)
    array = (array - mean) / std
    return torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))


def present(
    path: str | Path,
    preprocessing: Preprocessing,
    model_degrees: float,
    stimulus_degrees: float | None,
    stimulus_id: str = "",
) -> torch.Tensor:
    """Load one stimulus and turn it into the model's input tensor."""
    image = load_rgb(path, stimulus_id)
    return to_tensor(place_on_screen(image, model_degrees, stimulus_degrees), preprocessing)


def presentation_params(preprocessing: Preprocessing, model_degrees: float, stimulus_degrees: float | None) -> dict[str, Any]:
    """Everything about presentation that changes the pixels a model sees (part of the activation cache key)."""
    return {
        **preprocessing.to_dict(),
        "model_degrees": float(model_degrees),
        "stimulus_degrees": None if stimulus_degrees is None else float(stimulus_degrees),
        "background": list(BACKGROUND_GRAY),
        "resample": "bilinear",
    }
