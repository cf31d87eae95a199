"""brainmark.testing: the synthetic I2n observers shared by the metric tests and bench/bench_behavioral.py."""
import numpy as np

from brainmark.testing import simulate_i2n_observers


def test_simulated_observers_layout_and_seeding():
    trials, model = simulate_i2n_observers(4, 3, 500, seed=7)
    assert trials.dims == ("presentation",) and trials.sizes["presentation"] == 500
    assert set(trials.coords) == {"stimulus_id", "truth", "sample_obj", "dist_obj", "choice"}
    assert (trials["dist_obj"].values != trials["sample_obj"].values).all()
    assert np.isin(trials.values, [trials["sample_obj"].values, trials["dist_obj"].values]).all()
    assert model.dims == ("presentation", "choice") and model.shape == (12, 4)
    np.testing.assert_allclose(model.sum("choice"), 1.0)
    again, _ = simulate_i2n_observers(4, 3, 500, seed=7)
    assert again.identical(trials)


def test_model_noise_changes_the_model_not_the_trials():
    trials, exact = simulate_i2n_observers(4, 3, 500, seed=7)
    noisy_trials, noisy = simulate_i2n_observers(4, 3, 500, seed=7, model_noise=1.0, object_prefix="object")
    np.testing.assert_array_equal(np.char.replace(noisy_trials.values.astype(str), "object", "obj"), trials.values.astype(str))
    assert not np.allclose(noisy.values, exact.values)
    np.testing.assert_allclose(noisy.sum("choice"), 1.0)
