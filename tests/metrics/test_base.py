"""The estimator base and the conformance checks, applied to every built-in metric and ceiling."""
import numpy as np
import pytest

import brainmark
from brainmark.data import make_assembly
from brainmark.errors import ParameterError
from brainmark.metrics import CEILINGS, METRICS, Ceiling, Metric, check_ceiling, check_metric
from brainmark.metrics.neural import rdm


def _neural(seed=0, n=60, q=6, reps=4):
    rng = np.random.default_rng(seed)
    F = rng.standard_normal((n, 12))
    signal = F @ rng.standard_normal((12, q))
    ids = [f"s{i:02d}" for i in range(n)]
    source = make_assembly(F, ids)
    target = make_assembly(signal[:, :, None] + rng.standard_normal((n, q, reps)), ids, region="IT",
                           extra_dims=["repetition"])
    return source, target


@pytest.mark.parametrize("name,params", [("pls", {"n_components": 5, "stratify_on": None}),
                                         ("ridge", {"stratify_on": None}), ("linear", {"stratify_on": None}),
                                         ("cka", {})])
def test_feature_metrics_conform(name, params):
    source, target = _neural()
    metric = brainmark.load_metric(name, **params)
    assert isinstance(metric, Metric)
    score = check_metric(metric, source, target, bad_source=source.isel(presentation=slice(1, None)))
    assert score.meta["parameters"] == metric.params_record() or name == "cka"


def test_rsa_and_ceilings_conform():
    source, target = _neural()
    subjects = np.stack([rdm(target.isel(repetition=[r])).values for r in range(4)])
    import xarray as xr

    ids = list(target["stimulus_id"].values)
    matrices = xr.DataArray(subjects, dims=("subject", "stimulus_row", "stimulus_col"),
                            coords={"subject": list("abcd"), "stimulus_row": ids, "stimulus_col": ids},
                            attrs={"kind": "dissimilarity", "symmetric": True})
    check_metric(brainmark.load_metric("rsa"), source, matrices, bad_source=source.isel(presentation=slice(2, None)))
    assert isinstance(brainmark.load_ceiling("rsa"), Ceiling)
    check_ceiling(brainmark.load_ceiling("rsa"), matrices)
    check_ceiling(brainmark.load_ceiling("internal_consistency"), target)


def test_parameters_are_checked_at_construction_and_in_set_params():
    with pytest.raises(ParameterError, match="n_components must be an integer >= 1, got 0"):
        brainmark.load_metric("pls", n_components=0)
    with pytest.raises(ParameterError, match="unknown alpha_selection 'kfold'"):
        brainmark.load_metric("ridge", alpha_selection="kfold")
    with pytest.raises(ParameterError, match="train_size must be a number in"):
        brainmark.load_metric("linear", train_size=1.5)
    with pytest.raises(ParameterError, match="unknown comparator"):
        brainmark.load_ceiling("rsa", comparator="cosine")
    metric = brainmark.load_metric("pls")
    with pytest.raises(ParameterError, match="n_components"):
        metric.set_params(n_components=-3)
    assert metric.n_components == 25  # a refused change leaves the metric as it was
    with pytest.raises(ParameterError, match="has no parameter"):
        metric.set_params(regression="ridge")


def test_params_have_stable_keys_and_repr_shows_changes():
    pls = brainmark.load_metric("pls", n_components=10)
    ridge = brainmark.load_metric("ridge")
    assert set(pls.get_params()) == {"n_components", "solver", "n_splits", "train_size", "kfold", "stratify_on", "random_state"}
    assert set(ridge.get_params()) == {"alphas", "alpha_selection", "n_splits", "train_size", "kfold", "stratify_on",
                                       "random_state"}
    assert repr(pls) == "PLSPredictivity(n_components=10)" and repr(ridge) == "RidgePredictivity()"
    clone = pls.clone()
    assert clone is not pls and clone.get_params() == pls.get_params()


def test_lookups_ignore_case_and_suggest():
    assert type(brainmark.load_metric("PLS")).__name__ == "PLSPredictivity"
    assert "Did you mean: pls" in str(pytest.raises(KeyError, brainmark.load_metric, "plss").value)
    for name in METRICS:
        assert METRICS.resolve(name.upper()) == name
    assert CEILINGS.resolve("Internal_Consistency") == "internal_consistency"


def test_missing_stratification_column_warns():
    source, target = _neural()
    with pytest.warns(UserWarning, match="no 'object_name' coordinate"):
        brainmark.load_metric("pls", n_components=3)(source, target)
