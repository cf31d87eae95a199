"""Cross-validated predictivity (pls / ridge / linear): official conventions, ground truth, invariances, bad input."""
import json

import numpy as np
import pytest
import xarray as xr
from sklearn.linear_model import LinearRegression, RidgeCV

import brainmark
from brainmark.data import make_assembly
from brainmark.errors import ParameterError
from brainmark.metrics.neural import DEFAULT_ALPHAS, LinearRegressionLS, MetricInputError, PLSPredictivity, RidgePerTarget

N_STIM, N_FEAT, N_NEUR, N_REP = 240, 40, 12, 6
# most simulated targets here have no object_name on purpose (plain shuffle splits); test_base checks the warning
pytestmark = pytest.mark.filterwarnings("ignore:the target has no 'object_name':UserWarning")


def _simulate(seed=0, noise=1.0, objects=None):
    """Responses = known linear map of features + Gaussian noise per repetition."""
    rng = np.random.default_rng(seed)
    F = rng.standard_normal((N_STIM, N_FEAT))
    signal = F @ rng.standard_normal((N_FEAT, N_NEUR)) / np.sqrt(N_FEAT)
    reps = signal[:, :, None] + noise * rng.standard_normal((N_STIM, N_NEUR, N_REP))
    ids = [f"img{i:03d}" for i in range(N_STIM)]
    coords = {"object_name": objects} if objects is not None else None
    source = make_assembly(F, ids, [f"f{i}" for i in range(N_FEAT)])
    target = make_assembly(reps, ids, [f"n{i}" for i in range(N_NEUR)], "IT", extra_dims=["repetition"],
                           presentation_coords=coords)
    return source, target, signal


@pytest.fixture(scope="module")
def sim():
    return _simulate()


def test_score_fields_and_provenance(sim):
    source, target, _ = sim
    score = brainmark.load_metric("pls", n_components=10)(source, target)
    assert score.values["split"].shape == (10,)
    assert score.values["neuroid"].shape == (N_NEUR,)
    assert score.values["neuroid"]["neuroid"].values.tolist() == [f"n{i}" for i in range(N_NEUR)]
    assert score.raw == pytest.approx(score.values["split"].mean())
    assert score.error == pytest.approx(score.values["split"].std(ddof=0) / np.sqrt(10))
    meta = score.meta
    assert meta["metric"] == "pls" and meta["parameters"]["n_components"] == 10
    assert meta["split_scheme"]["splitter"] == "ShuffleSplit" and meta["seeds"] == {"split": 1}
    assert meta["n_stimuli"] == N_STIM and meta["n_neuroids"] == N_NEUR and len(meta["data_checksum"]) == 64
    json.dumps(score.to_dict())
    ceiled = score.with_ceiling(0.8, "explained-variance")
    assert ceiled.ceiled == pytest.approx(score.raw**2 / 0.8)


def test_ground_truth_recovery_against_the_ceiling(sim):
    source, target, _ = sim
    ceiling = brainmark.load_ceiling("internal_consistency")(target)
    for name in ("pls", "ridge", "linear"):
        score = brainmark.load_metric(name)(source, target).with_ceiling(ceiling, "explained-variance")
        # the generating features explain all explainable variance: r^2 / ceiling ~ 1
        assert score.ceiled == pytest.approx(1.0, abs=0.08), name
    shuffled = source.copy(data=np.random.default_rng(5).permutation(source.values))
    assert abs(brainmark.load_metric("pls")(shuffled, target).raw) < 0.06


def test_repetitions_averaged_and_stratification_recorded():
    objects = [f"obj{i % 8}" for i in range(N_STIM)]
    source, target, _ = _simulate(1, objects=objects)
    averaged = target.mean("repetition")
    a = brainmark.load_metric("pls", n_components=5)(source, target)
    b = brainmark.load_metric("pls", n_components=5)(source, averaged)
    assert a.raw == pytest.approx(b.raw, abs=1e-12)
    assert a.meta["split_scheme"]["splitter"] == "StratifiedShuffleSplit"
    assert a.meta["split_scheme"]["stratified_on"] == "object_name"
    k = brainmark.load_metric("pls", n_components=5, kfold=True, n_splits=5)(source, target)
    assert k.meta["split_scheme"]["splitter"] == "StratifiedKFold" and k.values["split"].shape == (5,)


@pytest.mark.parametrize("name", ["pls", "ridge"])
def test_invariant_to_permuting_neuroids_features_and_source_order(sim, name):
    source, target, _ = sim
    metric = brainmark.load_metric(name)
    base = metric(source, target).raw
    rng = np.random.default_rng(2)
    assert metric(source, target.isel(neuroid=rng.permutation(N_NEUR))).raw == pytest.approx(base, abs=1e-9)
    assert metric(source.isel(presentation=rng.permutation(N_STIM)), target).raw == pytest.approx(base, abs=1e-9)
    assert metric(source.isel(neuroid=rng.permutation(N_FEAT)), target).raw == pytest.approx(base, abs=1e-9)


def test_ridge_equals_sklearn_ridgecv_per_target():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 200)) * rng.uniform(0.1, 3, 200) + 1.0
    Y = X @ rng.standard_normal((200, 15)) * rng.uniform(0, 1, 15) + 5 * rng.standard_normal((80, 15))
    X_test = rng.standard_normal((20, 200))
    ours = RidgePerTarget(max_batch_bytes=8 * 80 * 3 * 4).fit(X, Y)  # forces several target batches
    ref = RidgeCV(alphas=DEFAULT_ALPHAS, alpha_per_target=True).fit(X, Y)
    np.testing.assert_array_equal(ours.alpha_, ref.alpha_)
    np.testing.assert_allclose(ours.predict(X_test), ref.predict(X_test), rtol=1e-8, atol=1e-8)
    ours_primal = RidgePerTarget().fit(X[:, :30], Y)  # fewer features than stimuli: primal eigenbasis
    ref_primal = RidgeCV(alphas=DEFAULT_ALPHAS, alpha_per_target=True).fit(X[:, :30], Y)
    np.testing.assert_allclose(ours_primal.predict(X_test[:, :30]), ref_primal.predict(X_test[:, :30]), rtol=1e-8, atol=1e-8)
    lin = LinearRegressionLS().fit(X, Y)
    np.testing.assert_allclose(lin.predict(X_test), LinearRegression().fit(X, Y).predict(X_test), rtol=1e-6, atol=1e-6)


def test_ridge_gcv_selection_matches_its_definition():
    rng = np.random.default_rng(6)
    for n, p in ((60, 150), (120, 20)):  # dual and primal eigenbases
        X = rng.standard_normal((n, p)) * rng.uniform(0.2, 2, p)
        Y = X @ rng.standard_normal((p, 8)) * rng.uniform(0, 0.5, 8) + 2 * rng.standard_normal((n, 8))
        Xc, Yc = X - X.mean(0), Y - Y.mean(0)
        expected = []
        for a in DEFAULT_ALPHAS:  # GCV = RSS / (1 - tr(H) / n)^2, H including the unpenalised intercept
            H = Xc @ np.linalg.solve(Xc.T @ Xc + a * np.eye(p), Xc.T)
            rss = ((Yc - H @ Yc) ** 2).sum(axis=0)
            expected.append(rss / (1 - (1 + np.trace(H)) / n) ** 2)
        chosen = np.asarray(DEFAULT_ALPHAS)[np.argmin(expected, axis=0)]
        np.testing.assert_array_equal(RidgePerTarget(selection="gcv").fit(X, Y).alpha_, chosen)
    with pytest.raises(MetricInputError, match="selection"):
        RidgePerTarget(selection="kfold").fit(X, Y)


def test_bad_input_is_a_clear_error_or_recorded(sim):
    source, target, _ = sim
    metric = brainmark.load_metric("pls")
    bad = source.copy(data=source.values.copy())
    bad.values[3, 2] = np.nan
    with pytest.raises(MetricInputError, match="NaN/inf"):
        metric(bad, target)
    bad.values[3, 2] = np.inf
    with pytest.raises(MetricInputError, match="inf"):
        metric(bad, target)
    with pytest.raises(MetricInputError, match="img000"):
        metric(source.isel(presentation=slice(1, None)), target)
    with pytest.raises(MetricInputError, match="constant"):
        metric(source.copy(data=np.ones_like(source.values)), target)
    some_constant = source.copy(data=np.concatenate([source.values[:, :-3], np.ones((N_STIM, 3))], axis=1))
    assert np.isfinite(metric(some_constant, target).raw)
    few = brainmark.load_metric("pls")(source.isel(presentation=slice(0, 20)), target.isel(presentation=slice(0, 20)))
    assert few.meta["n_components_clipped"] == {"requested": 25, "used": 17, "reason": "min(n_train - 1, n_features) = 17"}
    single = metric(source, target.isel(neuroid=[0]))
    assert single.values["neuroid"].shape == (1,) and np.isfinite(single.raw)
    with pytest.raises(ParameterError, match="n_components must be an integer >= 1"):
        PLSPredictivity(n_components=0)


def test_registered_names():
    for name in ("pls", "ridge", "linear", "rsa", "cka"):
        assert name in brainmark.metrics.METRICS
    for name in ("internal_consistency", "rsa", "rdm_noise_ceiling"):
        assert name in brainmark.metrics.CEILINGS


def test_single_time_bin_is_squeezed_and_several_are_refused(sim):
    source, target, _ = sim
    averaged = target.mean("repetition")
    one_bin = averaged.expand_dims(time_bin=["70-170"], axis=2)
    metric = brainmark.load_metric("pls", n_components=5)
    assert metric(source, one_bin).raw == pytest.approx(metric(source, averaged).raw, abs=1e-12)
    two_bins = xr.concat([one_bin, one_bin.assign_coords(time_bin=["170-270"])], dim="time_bin")
    with pytest.raises(MetricInputError, match="time bins"):
        metric(source, two_bins)
    json.dumps(brainmark.load_metric("ridge", n_splits=2)(source, averaged).to_dict())
