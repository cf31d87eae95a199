"""Cue-conflict metrics: shape bias / shape match / texture match, and the shape-bias agreement with humans."""
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import brainmark
from brainmark.errors import MetricInputError, ParameterError
from brainmark.metrics import check_ceiling, check_metric
from brainmark.metrics.behavioral import BehavioralDataError, imagenet16
from brainmark.metrics.behavioral.cue_conflict import ShapeBias

# image, shape, texture; responses per trial below
IMAGES = [("cat1-dog1", "cat", "dog"), ("cat2-car1", "cat", "car"), ("dog1-cat3", "dog", "cat"),
          ("dog2-dog3", "dog", "dog")]


def _decisions(labels, images=IMAGES, subject=None, coords=True):
    ids = [images[i % len(images)][0] for i in range(len(labels))]
    cues = {sid: (s, t) for sid, s, t in images}
    c = {"stimulus_id": ("presentation", ids)}
    if coords:
        c["shape"] = ("presentation", [cues[s][0] for s in ids])
        c["texture"] = ("presentation", [cues[s][1] for s in ids])
    if subject is not None:
        c["subject"] = ("presentation", subject)
    return xr.DataArray(np.asarray(labels, dtype=str), dims="presentation", coords=c)


def _identity(computed):
    r = computed.resampler
    return float(r.resample(np.ones((1, len(r.stimulus_ids)), int), np.ones((1, len(r.unit_ids)), int))[0])


def test_shape_bias_by_hand():
    # cat1-dog1 -> cat (shape); cat2-car1 -> car (texture); dog1-cat3 -> bird (neither); dog2-dog3 -> dog (no conflict)
    # second round: cat1-dog1 -> dog (texture); cat2-car1 -> cat (shape); dog1-cat3 -> dog (shape); dog2-dog3 -> cat
    decisions = _decisions(["cat", "car", "bird", "dog", "dog", "cat", "dog", "cat"])
    computed = ShapeBias().compute(decisions)
    score = computed.score
    assert score.raw == pytest.approx(3 / 5)  # 3 shape, 2 texture, 1 neither; the no-conflict image is ignored
    meta = score.meta
    assert dict(meta["counts"]) == {"shape": 3, "texture": 2, "neither": 1, "no_answer": 0}
    assert meta["shape_match"] == pytest.approx(3 / 6) and meta["texture_match"] == pytest.approx(2 / 6)
    assert meta["n_trials_without_conflict"] == 2 and meta["n_conflict_trials"] == 6 and meta["n_stimuli"] == 3
    assert dict(meta["shape_bias_per_class"]) == {"cat": pytest.approx(2 / 4), "dog": pytest.approx(1.0)}
    assert _identity(computed) == score.raw
    for statistic, expected in (("shape_match", 0.5), ("texture_match", 1 / 3)):
        assert brainmark.load_metric(statistic)(decisions).raw == pytest.approx(expected)
        assert brainmark.load_metric("shape_bias", statistic=statistic)(decisions).raw == pytest.approx(expected)


def test_no_answer_counts_as_neither_and_other_labels_are_refused():
    score = ShapeBias()(_decisions(["na", "car", "dog", "dog"]))
    assert dict(score.meta["counts"]) == {"shape": 1, "texture": 1, "neither": 1, "no_answer": 1}
    with pytest.raises(BehavioralDataError, match=r"outside the 16 classes \(e.g. \['zebra'\]\)"):
        ShapeBias()(_decisions(["cat", "zebra", "cat", "dog"]))
    with pytest.raises(BehavioralDataError, match="outside the 16 classes"):
        ShapeBias(no_answer=())(_decisions(["na", "car", "cat", "dog"]))


def test_missing_coordinates_and_bad_inputs_are_clear_errors():
    with pytest.raises(BehavioralDataError, match=r"need \['shape', 'texture'\] coordinate\(s\).*pass the stimuli"):
        ShapeBias()(_decisions(["cat", "car"], coords=False))
    no_ids = _decisions(["cat", "car"]).drop_vars("stimulus_id")
    with pytest.raises(BehavioralDataError, match="'stimulus_id' coordinate"):
        ShapeBias()(no_ids)
    with pytest.raises(BehavioralDataError, match="must be an xarray.DataArray"):
        ShapeBias()(["cat", "car"])
    with pytest.raises(BehavioralDataError, match="not among the 16 classes"):
        ShapeBias()(_decisions(["cat"], images=[("cat1-zebra1", "cat", "zebra")]))
    with pytest.raises(BehavioralDataError, match="not in the cues"):
        ShapeBias()(_decisions(["cat", "car"], coords=False), pd.DataFrame(
            {"stimulus_id": ["cat1-dog1"], "shape": ["cat"], "texture": ["dog"]}))
    with pytest.raises(BehavioralDataError, match="no decision is on a cue-conflict image"):
        ShapeBias()(_decisions(["dog"], images=[("dog2-dog3", "dog", "dog")]))
    assert issubclass(BehavioralDataError, MetricInputError)
    with pytest.raises(ParameterError, match="unknown statistic 'shape'"):
        ShapeBias(statistic="shape")
    with pytest.raises(ParameterError, match="no_answer must be a tuple of strings"):
        ShapeBias(no_answer="na")


def test_cues_from_a_table_and_probabilities_give_the_same_score():
    labels = ["cat", "car", "bird", "dog"]
    reference = ShapeBias()(_decisions(labels))
    table = pd.DataFrame([{"stimulus_id": i, "shape": s, "texture": t} for i, s, t in IMAGES])
    assert ShapeBias()(_decisions(labels, coords=False), table).raw == reference.raw
    ids = [i for i, _, _ in IMAGES]
    one_hot = np.zeros((4, 16))
    one_hot[np.arange(4), [imagenet16.CATEGORIES.index(lab) for lab in labels]] = 0.9
    probabilities = xr.DataArray(one_hot + 0.005, dims=("presentation", "choice"),
                                 coords={"stimulus_id": ("presentation", ids), "choice": list(imagenet16.CATEGORIES)})
    assert ShapeBias()(probabilities, table).raw == reference.raw
    imagenet = np.full((4, 1000), 1e-4)
    for row, label in enumerate(labels):
        imagenet[row, list(imagenet16.IMAGENET_INDICES[label])] = 0.5
    probabilities = xr.DataArray(imagenet, dims=("presentation", "choice"), coords={"stimulus_id": ("presentation", ids)})
    assert ShapeBias()(probabilities, table).raw == reference.raw


def test_resamples_equal_the_statistic_of_the_expanded_data():
    subjects = ["a"] * 4 + ["b"] * 4 + ["c"] * 4
    labels = ["cat", "car", "bird", "dog", "dog", "cat", "dog", "cat", "cat", "cat", "cat", "dog"]
    decisions = _decisions(labels, subject=subjects)
    computed = ShapeBias().compute(decisions)
    r = computed.resampler
    assert r.unit_kind == "subject" and r.unit_ids == ("a", "b", "c") and len(r.stimulus_ids) == 3
    w, u = np.array([[2, 0, 1]]), np.array([[0, 3, 1]])
    image_count = dict(zip(r.stimulus_ids, w[0]))
    subject_count = dict(zip(r.unit_ids, u[0]))
    ids = decisions["stimulus_id"].values
    rows = [i for i in range(len(labels)) for _ in range(image_count.get(ids[i], 0) * subject_count[subjects[i]])]
    expected = ShapeBias()(decisions.isel(presentation=rows)).raw
    assert r.resample(w, u)[0] == pytest.approx(expected, abs=1e-12)
    assert _identity(computed) == computed.score.raw
    assert computed.score.values["subject"].sel(subject="c").item() == pytest.approx(2 / 3)


def test_conformance():
    decisions = _decisions(["cat", "car", "bird", "dog", "dog", "cat"])
    check_metric(ShapeBias(), decisions, None, bad_source=_decisions(["cat", "zebra"]))
    trials = _decisions(["cat", "car", "bird", "dog"] * 3, subject=["a"] * 4 + ["b"] * 4 + ["c"] * 4)
    model = _decisions(["dog", "car", "dog", "dog"])
    check_metric(brainmark.load_metric("shape_bias_agreement"), model, trials, bad_source=model.isel(presentation=[0]))
    check_ceiling(brainmark.load_ceiling("shape_bias_agreement"), trials)


def test_agreement_by_hand_and_resamplers():
    trials = _decisions(["cat", "car", "dog", "dog", "cat", "cat", "cat", "dog", "dog", "dog", "bird", "dog"],
                        subject=["a"] * 4 + ["b"] * 4 + ["c"] * 4)
    # subjects: a shape, texture, shape -> 2/3; b shape, shape, texture -> 2/3; c texture, neither, neither -> 0
    # model: cat1-dog1 dog (texture), cat2-car1 cat (shape), dog1-cat3 dog (shape) -> 2/3
    model = _decisions(["dog", "cat", "dog", "cat"], coords=False)
    computed = brainmark.load_metric("shape_bias_agreement").compute(model, trials)
    own = {"a": 2 / 3, "b": 2 / 3, "c": 0.0}
    assert computed.score.raw == pytest.approx(np.mean([1 - abs(2 / 3 - v) for v in own.values()]))
    assert computed.score.meta["model_shape_bias"] == pytest.approx(2 / 3)
    assert dict(computed.score.meta["human_shape_bias_per_subject"]) == pytest.approx(own)
    assert computed.score.meta["human_shape_bias"] == pytest.approx(4 / 7)
    assert _identity(computed) == computed.score.raw
    ceiling = brainmark.load_ceiling("shape_bias_agreement").compute(trials)
    others = {"a": 2 / 4, "b": 2 / 4, "c": 4 / 6}  # pooled shape / (shape + texture) of the two other subjects
    assert ceiling.score.raw == pytest.approx(np.mean([1 - abs(own[s] - others[s]) for s in own]))
    assert _identity(ceiling) == ceiling.score.raw
    # a resample drawing subject a twice and c once: a's copies are not "others" of a
    value = ceiling.resampler.resample(np.ones((1, 3), int), np.array([[2, 0, 1]]))[0]
    a_vs_c, c_vs_a = 1 - abs(2 / 3 - 0.0), 1 - abs(0.0 - 2 / 3)
    assert value == pytest.approx((2 * a_vs_c + c_vs_a) / 3)
    assert np.isnan(ceiling.resampler.resample(np.ones((1, 3), int), np.array([[3, 0, 0]]))[0])


def test_agreement_refuses_missing_model_decisions_and_trials_without_subjects():
    trials = _decisions(["cat", "car", "dog", "dog"] * 2, subject=["a"] * 4 + ["b"] * 4)
    with pytest.raises(BehavioralDataError, match="1 conflict images with human trials have no model decision"):
        brainmark.load_metric("shape_bias_agreement")(_decisions(["cat", "car"]), trials)
    with pytest.raises(BehavioralDataError, match="need a 'subject' coordinate"):
        brainmark.load_metric("shape_bias_agreement")(_decisions(["cat", "car", "dog"]), trials.drop_vars("subject"))


def test_real_human_shape_bias(shared_data):
    trials = brainmark.load_dataset("Geirhos2021.cue-conflict")
    computed = ShapeBias().compute(trials)
    score = computed.score
    assert round(score.raw, 3) == 0.959  # Geirhos et al. 2019: humans pooled over the 10 subjects
    assert score.raw == pytest.approx(9236 / (9236 + 398))
    assert dict(score.meta["counts"]) == {"shape": 9236, "texture": 398, "neither": 2366, "no_answer": 118}
    assert score.meta["n_conflict_trials"] == 12000 and score.meta["n_trials_without_conflict"] == 800
    per_subject = score.values["subject"].values
    assert len(per_subject) == 10 and 0.91 < per_subject.min() < 0.92 and 0.98 < per_subject.max() < 0.99
    assert _identity(computed) == score.raw
    shape = ShapeBias()(brainmark.load_dataset("Geirhos2021.cue-conflict-shape-instructed")).raw
    texture = ShapeBias()(brainmark.load_dataset("Geirhos2021.cue-conflict-texture-instructed")).raw
    assert round(shape, 3) == 0.971 and round(texture, 3) == 0.696 and texture < score.raw < shape


def test_real_human_agreement_ceiling(shared_data):
    trials = brainmark.load_dataset("Geirhos2021.cue-conflict")
    ceiling = brainmark.load_ceiling("shape_bias_agreement").compute(trials)
    labels, subject = trials.values.astype(str), trials["subject"].values.astype(str)
    shape, texture = trials["shape"].values.astype(str), trials["texture"].values.astype(str)
    conflict = shape != texture
    s, t = (labels == shape) & conflict, (labels == texture) & conflict
    values = []
    for name in sorted(set(subject)):
        own, others = subject == name, subject != name
        values.append(1 - abs(s[own].sum() / (s[own].sum() + t[own].sum())
                              - s[others].sum() / (s[others].sum() + t[others].sum())))
    assert ceiling.score.raw == pytest.approx(np.mean(values), abs=1e-12)
    assert round(ceiling.score.raw, 4) == 0.9850
    assert _identity(ceiling) == ceiling.score.raw


def test_a_human_scored_as_the_model(shared_data):
    trials = brainmark.load_dataset("Geirhos2021.cue-conflict")
    first = trials.isel(presentation=np.flatnonzero(trials["subject"].values == "subject-01"))
    as_model = xr.DataArray(first.values, dims="presentation", coords={"stimulus_id": first["stimulus_id"]})
    score = brainmark.load_metric("shape_bias_agreement")(as_model, trials)  # its 'na' answers are no answers
    assert score.meta["model_shape_bias"] == pytest.approx(0.961717, abs=1e-6)  # subject-01 alone
    assert score.raw > 0.98 and score.meta["human_cue_decisions"] == pytest.approx(9634 / 12000)
