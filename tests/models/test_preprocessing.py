import numpy as np
import pytest
import torch
from PIL import Image

from brainmark.models import Preprocessing, StimulusImageError
from brainmark.models.preprocessing import BACKGROUND_GRAY, load_rgb, place_on_screen, present, to_tensor


def _image(size=(100, 100), color=(255, 0, 0)):
    return Image.new("RGB", size, color)


def test_model_sees_more_pastes_on_gray():
    placed = place_on_screen(_image(), model_degrees=8, stimulus_degrees=4)
    assert placed.size == (200, 200)
    assert placed.getpixel((0, 0)) == BACKGROUND_GRAY
    assert placed.getpixel((100, 100)) == (255, 0, 0)


def test_model_sees_less_crops_centre():
    image = _image()
    image.paste((0, 0, 255), (0, 0, 10, 10))  # a blue corner that the crop must remove
    placed = place_on_screen(image, model_degrees=4, stimulus_degrees=8)
    assert placed.size == (50, 50)
    assert all(placed.getpixel((x, y)) == (255, 0, 0) for x in (0, 49) for y in (0, 49))


def test_unknown_or_equal_degrees_leave_image_alone():
    image = _image()
    assert place_on_screen(image, 8, None) is image
    assert place_on_screen(image, 8, 8.0) is image


def test_tensor_is_normalised_and_deterministic(tmp_path):
    path = tmp_path / "gray.png"
    Image.new("L", (64, 48), 128).save(path)  # grayscale, not square
    prep = Preprocessing(32, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
    a = present(path, prep, 8, 8)
    b = present(path, prep, 8, 8)
    assert a.shape == (3, 32, 32) and a.dtype == torch.float32
    assert torch.equal(a, b)
    np.testing.assert_allclose(a.numpy(), (128 / 255 - 0.5) / 0.5, atol=1e-6)


def test_alpha_and_palette_become_rgb(tmp_path):
    path = tmp_path / "rgba.png"
    Image.new("RGBA", (20, 20), (10, 20, 30, 128)).save(path)
    assert load_rgb(path).mode == "RGB"
    path = tmp_path / "p.png"
    Image.new("P", (20, 20), 3).save(path)
    assert to_tensor(load_rgb(path), Preprocessing(8)).shape == (3, 8, 8)


def test_unreadable_image_names_stimulus_and_path(tmp_path):
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"not an image")
    with pytest.raises(StimulusImageError, match=r"'s1'.*broken\.jpg"):
        load_rgb(path, "s1")
    with pytest.raises(StimulusImageError, match="missing.png"):
        load_rgb(tmp_path / "missing.png", "s2")


def test_bad_preprocessing_rejected():
    with pytest.raises(ValueError, match="std"):
        Preprocessing(224, std=(0.1, 0.0, 0.1))


def test_real_grayscale_stimulus_becomes_three_channels(shared_data):
    path = sorted((shared_data / "coggan2024_fmri" / "stimuli").glob("*.png"))[0]
    assert Image.open(path).mode == "L"
    prep = Preprocessing(64)
    tensor = present(path, prep, 8, 10)
    assert tensor.shape == (3, 64, 64)
    pixels = tensor * torch.tensor(prep.std)[:, None, None] + torch.tensor(prep.mean)[:, None, None]
    torch.testing.assert_close(pixels[0], pixels[1])
    torch.testing.assert_close(pixels[1], pixels[2])
