"""The NumPy PLS equals scikit-learn's NIPALS PLSRegression (scale=False) and batches splits exactly."""
import warnings

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression as SklearnPLS

from brainmark.metrics.neural import MetricInputError, PLSRegression, fit_pls_splits
from brainmark.metrics.neural import _pls_exact as pls_module


def _data(n, p, q, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) @ rng.standard_normal((p, p)) * 0.3 + 5.0
    m = min(5, p)
    Y = X[:, :m] @ rng.standard_normal((m, q)) + 3 * rng.standard_normal((n, q)) + 10.0
    X_test = rng.standard_normal((40, p)) @ rng.standard_normal((p, p)) * 0.3 + 5.0
    return X, Y, X_test


def _sklearn(X, Y, k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SklearnPLS(n_components=k, scale=False, tol=1e-13, max_iter=20000).fit(X, Y)


@pytest.mark.parametrize(
    "n,p,q,k",
    [
        (120, 30, 8, 10),  # q <= p: Gram of the targets (8 x 8), direct eigendecomposition
        (150, 20, 40, 12),  # q > p: Gram of the features
        (200, 120, 90, 25),  # 90 x 90 Gram: block-Lanczos path (threshold lowered below)
    ],
)
def test_predictions_match_sklearn(n, p, q, k, monkeypatch):
    monkeypatch.setattr(pls_module, "_DIRECT_EIGH_MAX", 16)  # large Grams use block Lanczos; exercise it here
    X, Y, X_test = _data(n, p, q)
    ours = PLSRegression(k).fit(X, Y)
    ref = _sklearn(X, Y, k)
    expected = ref.predict(X_test)
    np.testing.assert_allclose(ours.predict(X_test), expected, atol=1e-4 * np.abs(expected).std())
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-4 * np.abs(ref.coef_).max())


def test_batched_splits_equal_separate_fits():
    X, Y, X_test = _data(100, 25, 6, seed=3)
    rng = np.random.default_rng(1)
    masks = rng.random((4, 100)) < 0.8
    fit = fit_pls_splits(X, Y, masks, 7)
    for s in range(4):
        alone = PLSRegression(7).fit(X[masks[s]], Y[masks[s]])
        np.testing.assert_allclose(fit.predict(s, X_test), alone.predict(X_test), rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("train_fraction", [0.8, 0.3])  # held-out rows subtracted from X'Y, or training rows summed
@pytest.mark.parametrize("q", [30, 10])  # q > p: p x p Gram and C v products; q <= p: q x q Gram and C' u products
def test_implicit_cross_covariance_equals_stored(monkeypatch, train_fraction, q):
    X, Y, X_test = _data(100, 25, q, seed=4)
    masks = np.random.default_rng(2).random((3, 100)) < train_fraction
    monkeypatch.setattr(pls_module, "_CROSSCOV_BYTES", 2**40)
    stored = fit_pls_splits(X, Y, masks, 6)
    monkeypatch.setattr(pls_module, "_CROSSCOV_BYTES", 0)
    implicit = fit_pls_splits(X, Y, masks, 6)
    for s in range(3):
        np.testing.assert_allclose(implicit.predict(s, X_test), stored.predict(s, X_test), rtol=1e-8, atol=1e-8)


def test_too_many_components_is_a_clear_error():
    X, Y, _ = _data(10, 30, 3)
    with pytest.raises(MetricInputError, match="n_components"):
        PLSRegression(25).fit(X, Y)


def test_single_target_and_exhausted_components():
    X, Y, X_test = _data(60, 4, 1)
    # 4 features allow 4 components; the fit must still be exact OLS-like and finite
    ours = PLSRegression(4).fit(X, Y)
    ref = _sklearn(X, Y, 4)
    np.testing.assert_allclose(ours.predict(X_test), ref.predict(X_test), rtol=1e-6, atol=1e-6)
