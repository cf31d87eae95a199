"""Geirhos-style metrics: Cohen's kappa error consistency (+ human ceiling) and accuracy."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import xarray as xr
from sklearn.metrics import cohen_kappa_score

from brainmark.metrics import load_ceiling, load_metric
from brainmark.metrics.behavioral import BehavioralDataError, cohens_kappa, imagenet16

CATS = np.array(imagenet16.CATEGORIES, dtype=object)


def test_kappa_by_hand():
    assert cohens_kappa([1, 1, 0, 0], [1, 0, 0, 1]) == pytest.approx(0.0)  # chance agreement
    assert cohens_kappa([1, 1, 0, 0], [1, 1, 0, 0]) == pytest.approx(1.0)
    assert cohens_kappa([1, 1, 0, 0], [0, 0, 1, 1]) == pytest.approx(-1.0)
    # accuracies .75 and .5: expected .75*.5 + .25*.5 = .5; observed 3/4 -> (0.75 - 0.5) / 0.5
    assert cohens_kappa([1, 1, 1, 0], [1, 1, 0, 0]) == pytest.approx(0.5)
    assert np.isnan(cohens_kappa([1, 1], [1, 1]))  # both always right: undefined
    rng = np.random.default_rng(0)
    a, b = rng.random(200) < 0.7, rng.random(200) < 0.6
    assert cohens_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


def synthetic(n_subjects=4, n_stimuli=64, seed=0):
    """Subjects who share which stimuli are hard (so their errors are consistent)."""
    rng = np.random.default_rng(seed)
    truth = CATS[np.arange(n_stimuli) % 16]
    hard = rng.random(n_stimuli) < 0.4
    rows = []
    for s in range(n_subjects):
        for i in rng.permutation(n_stimuli):
            wrong = rng.random() < (0.8 if hard[i] else 0.1)
            response = CATS[(list(CATS).index(truth[i]) + 1) % 16] if wrong else truth[i]
            rows.append((f"s{s}", f"stim{i:03d}", truth[i], response))
    subject, stim, tru, resp = (np.array(c, dtype=object) for c in zip(*rows))
    trials = xr.DataArray(resp, dims="presentation",
                          coords={"stimulus_id": ("presentation", stim), "truth": ("presentation", tru),
                                  "subject": ("presentation", subject)})
    model_labels = np.where(hard, CATS[(np.searchsorted(CATS, truth) + 2) % 16], truth)
    ids = np.array([f"stim{i:03d}" for i in range(n_stimuli)], dtype=object)
    model = xr.DataArray(model_labels, dims="presentation", coords={"stimulus_id": ("presentation", ids)})
    return trials, model, hard


def test_error_consistency_matches_per_subject_kappa():
    trials, model, _ = synthetic()
    score = load_metric("error_consistency")(model, trials)
    labels = dict(zip(model["stimulus_id"].values, model.values))
    expected = []
    for s in sorted(set(trials["subject"].values)):
        t = trials[trials["subject"] == s]
        m_correct = np.array([labels[i] for i in t["stimulus_id"].values]) == t["truth"].values
        expected.append(cohen_kappa_score(m_correct, t.values == t["truth"].values))
    assert score.raw == pytest.approx(np.mean(expected))
    assert score.error == pytest.approx(np.std(expected))
    assert score.raw > 0.5  # the model fails on the stimuli humans find hard
    assert score.meta["n_subjects"] == 4 and score.meta["parameters"]["absolute"] is True


def test_ceiling_is_mean_pairwise_kappa_and_model_can_be_ceiled():
    trials, model, _ = synthetic()
    ceiling = load_ceiling("error_consistency")(trials)
    subjects = sorted(set(trials["subject"].values))
    per = {}
    for s in subjects:
        t = trials[trials["subject"] == s].sortby("stimulus_id")
        per[s] = t.values == t["truth"].values
    pairs = [cohen_kappa_score(per[a], per[b]) for a, b in itertools.combinations(subjects, 2)]
    assert ceiling.raw == pytest.approx(np.mean(pairs)) and len(ceiling.values["pair_condition"]) == 6
    ceiled = load_metric("error_consistency")(model, trials).with_ceiling(ceiling, "ratio")
    assert ceiled.ceiled == pytest.approx(ceiled.raw / ceiling.raw)


def test_anticonsistent_model_absolute_and_signed():
    trials, model, hard = synthetic()
    truth_of = dict(zip(trials["stimulus_id"].values, trials["truth"].values))
    ids = model["stimulus_id"].values
    labels = np.array([truth_of[i] if h else CATS[(list(CATS).index(truth_of[i]) + 1) % 16] for i, h in zip(ids, hard)],
                      dtype=object)
    anti = model.copy(data=labels)  # right where humans err, wrong where they are right
    signed = load_metric("error_consistency", absolute=False)(anti, trials)
    assert signed.raw < -0.3
    assert load_metric("error_consistency")(anti, trials).raw == pytest.approx(-signed.raw)


def test_model_probabilities_16_and_1000_way():
    trials, model, _ = synthetic()
    ids = model["stimulus_id"].values
    onehot16 = (CATS[None, :] == model.values[:, None]).astype(float)
    probs16 = xr.DataArray(onehot16, dims=("presentation", "choice"),
                           coords={"stimulus_id": ("presentation", ids), "choice": CATS})
    metric = load_metric("error_consistency")
    assert metric(probs16, trials).raw == pytest.approx(metric(model, trials).raw)
    probs1000 = np.full((len(ids), 1000), 1e-4)
    for row, label in enumerate(model.values):
        probs1000[row, imagenet16.IMAGENET_INDICES[label][0]] = 0.5
    probs1000 /= probs1000.sum(1, keepdims=True)
    imagenet = xr.DataArray(probs1000, dims=("presentation", "choice"), coords={"stimulus_id": ("presentation", ids)})
    assert metric(imagenet, trials).raw == pytest.approx(metric(model, trials).raw)


def test_accuracy_top1_and_distance():
    trials, model, hard = synthetic()
    top1 = load_metric("accuracy")(model, trials)
    assert top1.raw == pytest.approx(1 - hard.mean()) and top1.ceiling == 1.0 and top1.ceiled == top1.raw
    distance = load_metric("accuracy", reference="human")(model, trials)
    per = []
    labels = dict(zip(model["stimulus_id"].values, model.values))
    for s in sorted(set(trials["subject"].values)):
        t = trials[trials["subject"] == s]
        a_m = np.mean(np.array([labels[i] for i in t["stimulus_id"].values]) == t["truth"].values)
        a_h = np.mean(t.values == t["truth"].values)
        per.append(1 - abs(a_m - a_h) / max(a_h, 1 - a_h))
    assert distance.raw == pytest.approx(np.mean(per))
    with pytest.raises(ValueError, match="reference"):
        load_metric("accuracy", reference="nope")(model, trials)


def test_bad_input():
    trials, model, _ = synthetic()
    metric = load_metric("error_consistency")
    with pytest.raises(BehavioralDataError, match="not categories"):
        metric(model.copy(data=np.where(np.arange(model.size) == 0, "wolf", model.values)), trials)
    with pytest.raises(BehavioralDataError, match="no model decision"):
        metric(model.isel(presentation=slice(1, None)), trials)
    with pytest.raises(BehavioralDataError, match="subject"):
        metric(model, trials.drop_vars("subject"))
    with pytest.raises(BehavioralDataError, match="at least two subjects"):
        load_ceiling("error_consistency")(trials[trials["subject"] == "s0"])
    with pytest.raises(BehavioralDataError, match="more than once"):
        load_ceiling("error_consistency")(xr.concat([trials, trials], dim="presentation"))


def test_no_answer_counts_as_error():
    trials, model, _ = synthetic()
    responses = trials.values.copy()
    responses[:5] = "na"
    score = load_metric("error_consistency")(model, trials.copy(data=responses))
    assert score.meta["human_responses_outside_categories"] == 5


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["edge", "silhouette"])
def test_real_human_to_human_error_consistency(shared_data, dataset):
    from brainmark.datasets import load_dataset

    trials = load_dataset(f"Geirhos2021.{dataset}")
    ceiling = load_ceiling("error_consistency")(trials)
    subjects = sorted(set(trials["subject"].values))
    assert len(subjects) == 10 and ceiling.meta["n_pairs"] == 45
    per = {}
    for s in subjects:
        t = trials[trials["subject"] == s].sortby("stimulus_id")
        per[s] = (t["stimulus_id"].values, t.values == t["truth"].values)
    pairs = []
    for a, b in itertools.combinations(subjects, 2):
        assert (per[a][0] == per[b][0]).all()  # every subject saw all 160 images once
        pairs.append(cohen_kappa_score(per[a][1], per[b][1]))
    assert ceiling.raw == pytest.approx(np.mean(pairs))
    # measured on the real trials (reported in bench/RESULTS.md): edge 0.318, silhouette 0.476
    assert ceiling.raw == pytest.approx({"edge": 0.3184, "silhouette": 0.4757}[dataset], abs=5e-4)
    # a model answering with one subject's responses (no-answers replaced by the truth)
    one = trials[trials["subject"] == subjects[0]]
    labels = np.where(np.isin(one.values, imagenet16.CATEGORIES), one.values, one["truth"].values)
    as_model = xr.DataArray(labels, dims="presentation", coords={"stimulus_id": ("presentation", one["stimulus_id"].values)})
    score = load_metric("error_consistency")(as_model, trials)
    assert 0 < score.raw < 1 and np.isfinite(score.values["subject_condition"]).all()
