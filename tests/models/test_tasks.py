import numpy as np
import pytest

from brainmark.models import TaskError, load_model
from brainmark.models.pytorch_model import imagenet_categories


@pytest.mark.slow
def test_efficientnet_lite0_top1_on_imagenet_samples(imagenet_samples, brainmark_home):
    model = load_model("efficientnet-lite0", batch_size=10)
    model.start_task("label")
    labels = model.look_at(imagenet_samples)
    accuracy = float(np.mean(labels.values == np.asarray(imagenet_samples.table["label"])))
    assert accuracy >= 0.8, accuracy  # measured: 0.85 (17/20)
    model.start_task("probabilities")
    probs = model.look_at(imagenet_samples)
    assert probs.dims == ("presentation", "choice") and probs.sizes["choice"] == 1000
    np.testing.assert_allclose(probs.values.sum(axis=1), 1, rtol=1e-6)
    assert list(probs["class_name"].values[:2]) == imagenet_categories()[:2]


def test_logistic_readout_on_separate_fitting_stimuli(tiny_model, geirhos_edges, imagenet_samples):
    fitting = geirhos_edges
    tiny_model.start_task("probabilities", fitting)
    probs = tiny_model.look_at(imagenet_samples)
    assert probs.sizes["choice"] == 16 and probs.attrs["readout_layer"] == "fc:input"
    assert probs.attrs["allow_overlap"] == 0 and probs.attrs["overlapping_stimuli"] == 0
    np.testing.assert_allclose(probs.values.sum(axis=1), 1, rtol=1e-6)
    tiny_model.start_task("label", fitting)
    labels = tiny_model.look_at(imagenet_samples)
    assert set(labels.values) <= set(fitting.table["category"])


def test_readout_refuses_to_test_on_fitting_stimuli(tiny_model, geirhos_edges):
    tiny_model.start_task("probabilities", geirhos_edges)
    with pytest.raises(TaskError, match="also fitting stimuli"):
        tiny_model.look_at(geirhos_edges)
    tiny_model.start_task("probabilities", geirhos_edges, allow_overlap=True)
    probs = tiny_model.look_at(geirhos_edges)
    assert probs.attrs["allow_overlap"] == 1 and probs.attrs["overlapping_stimuli"] == 32


def test_task_errors(tiny_model, imagenet_samples):
    with pytest.raises(TaskError, match="unknown task"):
        tiny_model.start_task("dream")
    with pytest.raises(TaskError, match="no ImageNet output"):
        tiny_model.start_task("label")
    with pytest.raises(TaskError, match="label column"):
        tiny_model.start_task("probabilities", imagenet_samples.subset(imagenet_samples.stimulus_ids[:4]),
                              label_column="nope")
    tiny_model.start_task("passive")
    with pytest.raises(TaskError, match="start_recording"):
        tiny_model.look_at(imagenet_samples)
