"""PLS solvers: NIPALS reproduces scikit-learn's default iteration; wide features use exact row-space coordinates."""
import warnings

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression as SklearnPLS

from brainmark.errors import ParameterError
from brainmark.data import make_assembly
from brainmark.metrics import load_metric
from brainmark.metrics.neural import MetricInputError, PLSRegression, fit_pls_splits
from brainmark.metrics.neural import _rowspace


def _data(n: int, p: int, q: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features with a slowly decaying spectrum (NIPALS stops early there) and targets with a weak signal."""
    rng = np.random.default_rng(seed)
    scales = 1.0 / np.sqrt(1.0 + np.arange(p))
    X = rng.standard_normal((n, p)) * scales + 2.0
    Y = X[:, :8] @ rng.standard_normal((8, q)) + 2.0 * rng.standard_normal((n, q)) + 5.0
    X_test = rng.standard_normal((30, p)) * scales + 2.0
    return X, Y, X_test


def _sklearn(X: np.ndarray, Y: np.ndarray, k: int, **kwargs) -> SklearnPLS:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SklearnPLS(n_components=k, scale=False, **kwargs).fit(X, Y)


@pytest.mark.parametrize("n,p", [(120, 60), (80, 400)])  # direct features; wide features (row-space coordinates)
def test_nipals_reproduces_sklearn_default_tolerance(n, p):
    X, Y, X_test = _data(n, p, 12)
    official = _sklearn(X, Y, 15).predict(X_test)
    converged = _sklearn(X, Y, 15, tol=1e-14, max_iter=100_000).predict(X_test)
    scale = np.abs(official).std()
    # the case is only informative if the default tolerance leaves a visible difference from convergence
    assert np.abs(official - converged).max() > 1e-6 * scale
    nipals = PLSRegression(15, solver="nipals").fit(X, Y)
    np.testing.assert_allclose(nipals.predict(X_test), official, atol=1e-9 * scale)
    exact = PLSRegression(15).fit(X, Y)
    np.testing.assert_allclose(exact.predict(X_test), converged, atol=1e-6 * scale)


def test_nipals_splits_equal_separate_sklearn_fits():
    X, Y, X_test = _data(90, 40, 6, seed=2)
    masks = np.random.default_rng(3).random((3, 90)) < 0.85
    fit = fit_pls_splits(X, Y, masks, 10, solver="nipals")
    assert fit.info["solver"] == "nipals" and fit.info["tol"] == 1e-6 and fit.info["max_iter"] == 500
    for s in range(3):
        expected = _sklearn(X[masks[s]], Y[masks[s]], 10).predict(X_test)
        np.testing.assert_allclose(fit.predict(s, X_test), expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("solver", ["exact", "nipals"])
def test_row_space_coordinates_change_nothing(solver, monkeypatch):
    X, Y, X_test = _data(50, 300, 5, seed=4)
    masks = np.random.default_rng(5).random((4, 50)) < 0.8
    wide = fit_pls_splits(X, Y, masks, 8, solver=solver)
    assert wide.space is not None and wide.info["feature_space"] == "row-space coordinates"
    monkeypatch.setattr(_rowspace, "WIDE_RATIO", 10**9)  # force the fit on the raw features
    direct = fit_pls_splits(X, Y, masks, 8, solver=solver)
    assert direct.space is None
    for s in range(4):
        test = np.flatnonzero(~masks[s])
        np.testing.assert_allclose(wide.predict(s, X_test), direct.predict(s, X_test), rtol=1e-8, atol=1e-9)
        np.testing.assert_allclose(wide.predict_rows(s, test), direct.predict(s, X[test]), rtol=1e-8, atol=1e-9)
        np.testing.assert_allclose(wide.coef(s), direct.coef(s), rtol=1e-7, atol=1e-10)


def test_wide_regression_attributes_match_sklearn():
    X, Y, X_test = _data(40, 200, 3, seed=6)
    ours = PLSRegression(6, solver="nipals").fit(X, Y)
    ref = _sklearn(X, Y, 6)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-9 * np.abs(ref.coef_).max())
    np.testing.assert_allclose(ours.intercept_, ref.predict(np.zeros((1, 200)))[0], rtol=1e-9)
    np.testing.assert_allclose(ours.predict(X_test), ref.predict(X_test), rtol=1e-9)


def test_row_space_of_equal_rows_is_valid():
    space = _rowspace.RowSpace.of(np.ones((5, 20)))
    assert space.rank == 1 and np.allclose(space.coords, 0)
    assert np.allclose(space.transform(np.ones((2, 20))), 0)


def test_unknown_solver_is_refused_early():
    with pytest.raises(ParameterError, match="nipals"):
        load_metric("pls", solver="svd")
    with pytest.raises(MetricInputError, match="unknown PLS solver"):
        fit_pls_splits(np.ones((5, 2)), np.ones((5, 1)), np.ones((1, 5), bool), 1, solver="lanczos")


def test_score_records_the_solver():
    X, Y, _ = _data(60, 150, 4, seed=7)
    ids = [f"s{i}" for i in range(60)]
    source, target = make_assembly(X, ids), make_assembly(Y, ids, region="IT")
    exact = load_metric("pls", n_splits=3, stratify_on=None)(source, target)
    nipals = load_metric("pls", n_splits=3, solver="nipals", stratify_on=None)(source, target)
    assert exact.meta["parameters"]["solver"] == "exact" and exact.meta["pls"]["solver"] == "exact"
    assert nipals.meta["parameters"]["solver"] == "nipals" and nipals.meta["pls"]["iterations_max"] >= 1
    assert nipals.meta["pls"]["feature_space"] == "row-space coordinates"
    assert abs(exact.raw - nipals.raw) < 0.05
