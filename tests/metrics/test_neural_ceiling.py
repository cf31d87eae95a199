"""Internal-consistency ceiling: analytic reliability, both layouts, NaN-padded repeats, bootstrap, real Cowley2023."""
import numpy as np
import pytest
import xarray as xr

import brainmark
from brainmark.data import make_assembly
from brainmark.metrics.neural import InternalConsistency, MetricInputError


def _reliable(n_stim=2000, n_neur=40, n_rep=10, signal_sd=1.0, noise_sd=2.0, seed=0):
    rng = np.random.default_rng(seed)
    values = signal_sd * rng.standard_normal((n_stim, n_neur, 1)) + noise_sd * rng.standard_normal((n_stim, n_neur, n_rep))
    # reliability of the mean of n_rep repetitions: n s^2 / (n s^2 + sigma^2)
    analytic = n_rep * signal_sd**2 / (n_rep * signal_sd**2 + noise_sd**2)
    return make_assembly(values, [f"s{i}" for i in range(n_stim)], extra_dims=["repetition"]), analytic


def test_recovers_analytic_reliability():
    for noise in (1.0, 2.0, 4.0):
        assembly, analytic = _reliable(noise_sd=noise)
        ceiling = brainmark.load_ceiling("internal_consistency")(assembly)
        assert ceiling.raw == pytest.approx(analytic, abs=0.02)
        assert ceiling.values["split"].shape == (10,) and ceiling.values["neuroid"].shape == (40,)
        assert ceiling.meta["seeds"] == {"halves": 1} and len(ceiling.meta["halves"]) == 10


def test_flat_layout_with_repetition_coord_equals_repetition_dim():
    assembly, _ = _reliable(n_stim=100, n_neur=5, n_rep=6)
    values = assembly.values  # stimulus x neuroid x repetition
    flat = values.transpose(2, 0, 1).reshape(-1, 5)
    ids = np.tile(assembly["stimulus_id"].values, 6)
    reps = np.repeat(np.arange(6), 100)
    flat_assembly = xr.DataArray(flat, dims=("presentation", "neuroid"), coords={
        "stimulus_id": ("presentation", ids), "repetition": ("presentation", reps),
        "neuroid_id": ("neuroid", [str(i) for i in range(5)])})
    a = InternalConsistency()(assembly)
    b = InternalConsistency()(flat_assembly)
    assert a.raw == pytest.approx(b.raw, abs=1e-12)
    np.testing.assert_allclose(a.values["split"], b.values["split"])


def test_nan_padded_repeats_are_ignored():
    assembly, _ = _reliable(n_stim=300, n_neur=10, n_rep=8)
    padded = assembly.copy(data=assembly.values.copy())
    padded.values[::3, :, 6:] = np.nan  # a third of the images had only 6 repeats
    score = InternalConsistency()(padded)
    assert np.isfinite(score.raw) and score.meta["missing_values"] == 100 * 10 * 2


def test_bootstrap_interval_and_conventions():
    assembly, _ = _reliable(n_stim=300, n_neur=10)
    c = InternalConsistency(bootstrap=50)(assembly)
    low, high = c.ci
    assert low < c.raw < high and c.ci_level == 0.95 and c.values["bootstrap"].shape == (50,)
    assert c.meta["bootstrap"]["resampled"] == {"stimuli": 300, "neuroid": 10}
    assert InternalConsistency(bootstrap=50)(assembly) == c  # seeded: the same interval every time
    raw = brainmark.Score(raw=0.5, error=0.01)
    assert raw.with_ceiling(c, "ratio").ceiled == pytest.approx(0.5 / c.raw)
    assert raw.with_ceiling(c, "squared-ratio").ceiled == pytest.approx((0.5 / c.raw) ** 2)
    assert raw.with_ceiling(c, "explained-variance").ceiled == pytest.approx(0.25 / c.raw)
    assert raw.with_ceiling(c, "explained-variance").meta["ceiling"]["metric"] == "internal_consistency"


def test_needs_repetitions():
    with pytest.raises(MetricInputError, match="repetition"):
        InternalConsistency()(make_assembly(np.ones((5, 2)), list("abcde")))
    one_rep, _ = _reliable(n_stim=20, n_neur=2, n_rep=1)
    with pytest.raises(MetricInputError, match=">= 2 repetitions"):
        InternalConsistency()(one_rep)


COWLEY_210325_CEILING = 0.75946  # 50 V4 neuroids, 640 images, up to 10 NaN-padded repeats


def _cowley_210325(shared_data):
    try:
        from brainmark.datasets import load_dataset

        return load_dataset("Cowley2023.210325")
    except (ImportError, AttributeError):
        raw = np.load(shared_data / "cowley2023_v4" / "responses_raw" / "responses_210325.npy")  # neuron x image x rep
        return make_assembly(raw.transpose(1, 0, 2), [f"image{i + 1:04d}" for i in range(raw.shape[1])],
                             region="V4", extra_dims=["repetition"])


@pytest.mark.slow
def test_real_cowley2023_210325_ceiling(shared_data):
    assembly = _cowley_210325(shared_data)
    assert assembly.sizes["presentation"] == 640 and assembly.sizes["neuroid"] == 50
    ceiling = InternalConsistency()(assembly)
    print(f"Cowley2023.210325 internal consistency: {ceiling.raw:.4f} +- {ceiling.error:.4f}")
    # value measured 2026-11-28 (see bench/RESULTS.md); a change means the data or the method changed
    assert ceiling.raw == pytest.approx(COWLEY_210325_CEILING, abs=1e-4)
    assert ceiling.meta["missing_values"] > 0  # NaN-padded repeats are present and were handled

