"""I2n family: hand-checked d', simulated observers, official numbers, official file layout, bad input."""
from __future__ import annotations

import numpy as np
import pytest

from brainmark.errors import ParameterError
import xarray as xr
from scipy.stats import norm

from brainmark.metrics import load_ceiling, load_metric
from brainmark.metrics.behavioral import BehavioralDataError, I2n, I2nCeiling
from brainmark.metrics.behavioral.i2n import (
    behavioral_signature,
    encode_trials,
    model_response_matrix,
    split_halves,
)
from brainmark.metrics.behavioral.trials import read_trials
from brainmark.testing import simulate_i2n_observers as simulate


@pytest.fixture(scope="module")
def simulated():
    return simulate()


# ---------------------------------------------------------------------------------------------- hand-checked toy


TOY_RATES = {  # (image, distractor) -> wrong-choice rate; truths: a1, a2 -> A, b1 -> B, c1 -> C
    ("a1", "B"): 0.2, ("a1", "C"): 0.4, ("a2", "B"): 0.4, ("a2", "C"): 0.2,
    ("b1", "A"): 0.3, ("b1", "C"): 0.1, ("c1", "A"): 0.5, ("c1", "B"): 0.25,
}


def toy_trials(per_cell=20):
    rows = []
    for (image, distractor), rate in TOY_RATES.items():
        target = image[0].upper()
        wrong = int(round(rate * per_cell))
        rows += [(image, target, distractor, distractor)] * wrong + [(image, target, distractor, target)] * (per_cell - wrong)
    stim, truth, dist, choice = (np.array(c, dtype=object) for c in zip(*rows))
    return xr.DataArray(choice, dims="presentation",
                        coords={"stimulus_id": ("presentation", stim), "truth": ("presentation", truth),
                                "distractor": ("presentation", dist)})


def test_toy_human_rates_and_dprime_by_hand():
    enc = encode_trials(read_trials(toy_trials(), match_to_sample=True))
    assert enc.images.tolist() == ["a1", "a2", "b1", "c1"] and enc.objects.tolist() == ["A", "B", "C"]
    rates = enc.response_matrix()
    for (image, distractor), rate in TOY_RATES.items():
        assert rates[enc.images.tolist().index(image), "ABC".index(distractor)] == pytest.approx(rate)
    assert np.isnan(rates[0, 0]) and np.isnan(rates[2, 1]) and np.isnan(rates[3, 2])

    z = norm.ppf
    official = behavioral_signature(rates, enc.truth_of_image, 3, "i2", "official")
    paper = behavioral_signature(rates, enc.truth_of_image, 3, "i2", "paper")
    # cell (a1, B): hit = 0.8; official FA = images of B with distractor A = 0.3; paper FA = all non-A images
    # with distractor A = mean(0.3, 0.5)
    assert official[0, 1] == pytest.approx(z(0.8) - z(0.3))
    assert paper[0, 1] == pytest.approx(z(0.8) - z(0.4))
    # cell (c1, A): hit = 0.5; official FA = images of A with distractor C = mean(0.4, 0.2); paper FA = column C
    assert official[3, 0] == pytest.approx(z(0.5) - z(0.3))
    assert paper[3, 0] == pytest.approx(z(0.5) - z(np.mean([0.4, 0.2, 0.1])))
    # normalised: subtract the mean over images of the same (target, distractor) pair: a1 and a2 for (A, B)
    normalised = behavioral_signature(rates, enc.truth_of_image, 3, "i2n", "official")
    d_a1, d_a2 = z(0.8) - z(0.3), z(0.6) - z(0.3)
    assert normalised[0, 1] == pytest.approx(d_a1 - (d_a1 + d_a2) / 2)
    assert normalised[2, 0] == pytest.approx(0.0)  # single image of B: normalised to 0
    # I1n: mean over distractors of the normalised d'
    i1n = behavioral_signature(rates, enc.truth_of_image, 3, "i1n", "official")
    assert i1n[0] == pytest.approx(np.nanmean(normalised[0]))
    # O2 target A vs distractor B: hit = mean over A images of 1 - rate; FA = mean over B images of choosing A
    o2 = behavioral_signature(rates, enc.truth_of_image, 3, "o2", "official")
    assert o2[0, 1] == pytest.approx(z(1 - 0.3) - z(0.3))
    assert np.isnan(o2[1, 1])


def test_dprime_is_clipped():
    rates = np.array([[np.nan, 0.0], [0.5, np.nan]])  # perfect hits / no false alarms give infinite d'
    d = behavioral_signature(rates, np.array([0, 1]), 2, "i2", "official")
    assert d[0, 1] == 5.0 and d[1, 0] == 5.0
    # Z(1) - Z(1) is undefined: NaN (as officially), and such cells are left out of correlations
    d = behavioral_signature(np.array([[np.nan, 0.0], [1.0, np.nan]]), np.array([0, 1]), 2, "i2", "official")
    assert np.isnan(d[0, 1])


def test_model_rates_from_probabilities():
    probs = np.array([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]])
    rates = model_response_matrix(probs, np.array([0, 1]))
    assert rates[0, 1] == pytest.approx(0.3 / 0.8) and rates[0, 2] == pytest.approx(0.2 / 0.7)
    assert rates[1, 0] == pytest.approx(0.1 / 0.7) and np.isnan(rates[0, 0]) and np.isnan(rates[1, 1])


# ------------------------------------------------------------------------------------------ simulated observers


@pytest.mark.parametrize("variant", ["i2n", "i1n", "i2", "o2"])
def test_generating_model_is_at_ceiling(simulated, variant):
    trials, model = simulated
    score = load_metric(variant)(model, trials)
    assert 0.9 < score.ceiled < 1.15
    assert score.raw <= 1 and 0 < score.ceiling < 1
    assert score.meta["metric"] == variant and score.meta["seeds"]["human_halves"] == 0


def test_shuffled_model_scores_near_zero(simulated):
    trials, model = simulated
    rng = np.random.default_rng(0)
    for seed in range(3):
        # shuffle images among all presentations: probabilities no longer belong to their image
        shuffled = model.copy(data=model.values[np.random.default_rng(seed).permutation(model.sizes["presentation"])])
        assert abs(I2n()(shuffled, trials).ceiled) < 0.2
    noise = model.copy(data=rng.dirichlet(np.ones(model.sizes["choice"]), model.sizes["presentation"]))
    assert abs(I2n()(noise, trials).ceiled) < 0.2


def test_fa_rule_is_recorded_and_changes_numbers(simulated):
    trials, model = simulated
    paper, official = I2n(fa_rule="paper")(model, trials), I2n(fa_rule="official")(model, trials)
    assert paper.meta["parameters"]["fa_rule"] == "paper" and official.meta["parameters"]["fa_rule"] == "official"
    assert paper.raw != official.raw


def test_score_and_ceiling_use_the_same_halves(simulated):
    trials, model = simulated
    score = I2n(n_splits=4)(model, trials)
    ceiling = load_ceiling("i2n", n_splits=4)(trials)
    np.testing.assert_allclose(score.values["ceiling_split"], ceiling.values["split"])
    assert len(score.values["split"]) == 4
    np.testing.assert_allclose(score.ceiled, np.mean(score.values["split"] / np.sqrt(ceiling.values["split"])))
    assert score.error == pytest.approx(np.std(score.values["split"]))


def test_halves_match_the_official_list_shuffle():
    rng = np.random.RandomState(0)
    expected = []
    for _ in range(2):
        indices = list(range(11))
        rng.shuffle(indices)
        expected.append((indices[:5], indices[5:]))
    for (a, b), (ea, eb) in zip(split_halves(11, 2, 0), expected):
        assert a.tolist() == ea and b.tolist() == eb


def test_stochastic_model_reliability(simulated):
    trials, model = simulated
    identical = xr.concat([model] * 4, dim="trial")
    deterministic = I2n()(model, trials)
    repeated = I2n()(identical, trials)
    np.testing.assert_allclose(repeated.values["model_reliability_split"], 1.0)
    assert repeated.ceiled == pytest.approx(deterministic.ceiled)

    rng = np.random.default_rng(3)
    noisy = np.stack([_dirichlet_rows(rng, model.values, 20.0) for _ in range(10)])
    stochastic = I2n()(xr.DataArray(noisy, dims=("trial", "presentation", "choice"),
                                    coords={"stimulus_id": ("presentation", model["stimulus_id"].values),
                                            "choice": model["choice"].values}), trials)
    r_ss = stochastic.values["model_reliability_split"]
    assert np.all((r_ss > 0.3) & (r_ss < 1.0))
    assert stochastic.meta["model_trials"] == 10 and "split-half" in stochastic.meta["model_reliability"]
    assert stochastic.ceiled > 0.8


def _dirichlet_rows(rng, probs, concentration):
    return np.stack([rng.dirichlet(p * concentration + 1e-3) for p in probs])


# ------------------------------------------------------------------------- official numbers (brainscore-vision)

# brainscore-vision 2.4.2 (metrics/i1i2: I2n, I2, O2, I1n; metric and ceiling) on simulate(6, 5, 6000), computed
# with bench/official_i2n.py in bench/.official-venv; brainmark must reproduce them with fa_rule="official".
OFFICIAL = {
    "i2n": ([0.7915226271498879, 0.8036954168429379], [0.6729613355441071, 0.6887689138293034]),
    "i2": ([0.7965547125814166, 0.818225991703878], [0.6867785716713727, 0.753969650534059]),
    "o2": ([0.9351864581924229, 0.935127773204842], [0.43951312366791895, 0.8950112380369094]),
    "i1n": ([0.9208628204585869, 0.9278288819267511], [0.8318180598359396, 0.8607135056770986]),
}


@pytest.mark.parametrize("variant", sorted(OFFICIAL))
def test_matches_official_numbers(variant):
    trials, model = simulate(n_objects=6, images_per_object=5, n_trials=6000)
    scores, ceilings = OFFICIAL[variant]
    score = I2n(variant, fa_rule="official")(model, trials)
    np.testing.assert_allclose(score.values["split"], scores, atol=1e-10)
    np.testing.assert_allclose(I2nCeiling(variant, fa_rule="official")(trials).values["split"], ceilings, atol=1e-10)


# ------------------------------------------------------------------------------------ official netCDF layout


def test_official_netcdf_layout_loads_and_scores(tmp_path):
    trials, model = simulate(n_objects=6, images_per_object=5, n_trials=6000)
    n = trials.sizes["presentation"]
    official = xr.DataArray(
        trials.values, dims="presentation",
        coords={"image_id": ("presentation", trials["stimulus_id"].values),  # legacy name
                "sample_obj": ("presentation", trials["sample_obj"].values),
                "dist_obj": ("presentation", trials["dist_obj"].values),
                "choice": ("presentation", trials["choice"].values),
                "truth": ("presentation", trials["truth"].values),
                "correct": ("presentation", trials["choice"].values == trials["truth"].values),
                "worker_id": ("presentation", np.arange(n) % 17)},
    )
    # as brainio writes it: the presentation coords form a MultiIndex that is reset before saving
    official = official.set_index(presentation=["image_id", "sample_obj", "dist_obj", "choice", "truth", "correct",
                                                "worker_id"]).reset_index("presentation")
    path = tmp_path / "assy_dicarlo_Rajalingham2018_synthetic.nc"
    official.to_netcdf(path)
    try:
        from brainmark.data.brainio import read_netcdf_assembly, to_trials
    except ImportError:  # before the data layer's BrainIO reader lands: plain xarray
        loaded = xr.load_dataarray(path)
    else:
        loaded = to_trials(read_netcdf_assembly(path))
    score = load_metric("i2n", fa_rule="official")(model, loaded)
    np.testing.assert_allclose(score.values["split"], OFFICIAL["i2n"][0], atol=1e-10)
    assert score.meta["n_trials"] == n and score.meta["n_images"] == 30 and score.meta["n_objects"] == 6


# ------------------------------------------------------------------------------------------------- bad input


def test_probabilities_must_sum_to_one(simulated):
    trials, model = simulated
    with pytest.raises(BehavioralDataError, match="sum to 1"):
        I2n()(model * 3, trials)
    with pytest.raises(BehavioralDataError, match="negative"):
        I2n()(model - 0.5, trials)


def test_model_missing_images_or_objects(simulated):
    trials, model = simulated
    with pytest.raises(BehavioralDataError, match="missing from the model"):
        I2n()(model.isel(presentation=slice(1, None)), trials)
    fewer = model.isel(choice=slice(0, -1))
    fewer = fewer / fewer.sum("choice")
    with pytest.raises(BehavioralDataError, match="no 'choice' column"):
        I2n()(fewer, trials)
    with pytest.raises(BehavioralDataError, match="'trial' dim"):
        I2n()(xr.concat([model, model], dim="presentation"), trials)


def test_images_without_trials_are_ignored_and_counted(simulated):
    trials, model = simulated
    extra = xr.DataArray(np.full((3, model.sizes["choice"]), 1 / model.sizes["choice"]), dims=("presentation", "choice"),
                         coords={"stimulus_id": ("presentation", ["x1", "x2", "x3"]), "choice": model["choice"].values})
    score = I2n()(xr.concat([model, extra], dim="presentation"), trials)
    assert score.meta["model_images_without_trials"] == 3
    assert score.raw == pytest.approx(I2n()(model, trials).raw)


def test_objects_never_distractors_are_excluded(simulated):
    trials, model = simulated
    kept = trials[trials["dist_obj"] != "obj07"]
    score = I2n()(model, kept)
    full = I2n()(model, trials)
    assert np.isfinite(score.raw) and np.isfinite(score.ceiled)
    assert max(score.meta["n_cells_per_split"]) < min(full.meta["n_cells_per_split"])


def test_trial_layout_errors(simulated):
    trials, model = simulated
    with pytest.raises(BehavioralDataError, match="distractor"):
        I2n()(model, trials.drop_vars("dist_obj"))
    bad_truth = trials.copy()
    bad_truth["truth"] = ("presentation", np.roll(trials["truth"].values, 1))
    with pytest.raises(BehavioralDataError, match="more than one 'truth'"):
        I2n()(model, bad_truth)
    same = trials.copy()
    same["dist_obj"] = ("presentation", trials["sample_obj"].values)
    with pytest.raises(BehavioralDataError, match="same object"):
        I2n()(model, same)
    with pytest.raises(ParameterError, match="unknown fa_rule 'nope'; choose one of paper, official"):
        I2n(fa_rule="nope")(model, trials)
    with pytest.raises(ValueError, match="variant"):
        I2n("i3")(model, trials)


def test_score_serialises(simulated):
    from brainmark.scores import Score

    trials, model = simulated
    score = I2n()(model, trials)
    again = Score.from_dict(score.to_dict())
    assert again.ceiled == pytest.approx(score.ceiled) and again.meta["ceiling_rule"] == score.meta["ceiling_rule"]


def test_scores_keep_each_images_dprime_for_image_level_analyses():
    """``values["image_dprime_human"]`` / ``["image_dprime_model"]``: the image's d' (not normalised) averaged over
    its distractors, with the metric's false-alarm rule; by hand on the toy trials (image a1: truth A)."""
    z = norm.ppf
    images = ["a1", "a2", "b1", "c1"]
    probabilities = xr.DataArray(np.full((4, 3), 1 / 3), dims=("presentation", "choice"),
                                 coords={"stimulus_id": ("presentation", images), "choice": ["A", "B", "C"]})
    probabilities[0] = [0.6, 0.3, 0.1]  # a1: wrong-choice rates 0.3 / 0.9 against B, 0.1 / 0.7 against C
    # humans, a1: hits 0.8 (vs B) and 0.6 (vs C); false alarms: official b1-A 0.3 and c1-A 0.5, paper their mean
    human_a1 = {"official": np.mean([z(0.8) - z(0.3), z(0.6) - z(0.5)]),
                "paper": np.mean([z(0.8) - z(0.4), z(0.6) - z(0.4)])}
    model_a1 = np.mean([z(1 - 1 / 3) - z(0.5), z(1 - 1 / 7) - z(0.5)])  # the model's b1-A and c1-A rates are 0.5
    for rule in ("official", "paper"):
        score = I2n(fa_rule=rule, n_splits=1)(probabilities, toy_trials())
        human, model = score.values["image_dprime_human"], score.values["image_dprime_model"]
        assert list(human["stimulus"].values) == images == list(model["stimulus"].values)
        assert human.sel(stimulus="a1").item() == pytest.approx(human_a1[rule])
        assert model.sel(stimulus="a1").item() == pytest.approx(model_a1)
        assert "false-alarm rule" in score.meta["image_dprime"]
