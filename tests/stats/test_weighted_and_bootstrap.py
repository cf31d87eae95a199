"""The bootstrap's arithmetic: weighted statistics equal the statistic of the expanded (resampled) data, every
metric's resampler reproduces its value on the identity resample, and draws are seeded and shared."""
import numpy as np
import pytest
import scipy.stats
import xarray as xr

import brainmark
from brainmark.data import make_assembly
from brainmark.metrics.neural import rdm
from brainmark.stats.bootstrap import (
    BootstrapScheme,
    bootstrap_ceiled,
    chunk_size,
    draw_counts,
    percentile_interval,
    resampling_key,
)
from brainmark.stats.weighted import weighted_median, weighted_midranks, weighted_pearson

RNG = np.random.default_rng(0)


def test_weighted_statistics_equal_those_of_the_expanded_data():
    a, b = RNG.standard_normal((30, 4)), RNG.standard_normal((30, 4))
    b += a
    counts = RNG.integers(0, 3, (6, 30))
    r = weighted_pearson(a, b, counts)
    values = np.where(RNG.random((6, 7)) < 0.2, np.nan, RNG.standard_normal((6, 7)))
    unit_counts = RNG.integers(0, 4, (6, 7))
    med = weighted_median(values, unit_counts)
    x = np.round(RNG.standard_normal(25), 1)  # ties
    weights = RNG.integers(0, 3, (6, 25)).astype(float)
    ranks = weighted_midranks(x, weights)
    for k in range(6):
        rows = np.repeat(np.arange(30), counts[k])
        np.testing.assert_allclose(r[k], [np.corrcoef(a[rows, j], b[rows, j])[0, 1] for j in range(4)])
        expanded = np.repeat(values[k], unit_counts[k])
        expanded = expanded[np.isfinite(expanded)]
        assert (np.isnan(med[k]) and expanded.size == 0) or med[k] == pytest.approx(np.median(expanded))
        entries = np.repeat(np.arange(25), weights[k].astype(int))
        expected = scipy.stats.rankdata(x[entries])
        for e in np.flatnonzero(weights[k]):
            assert ranks[k, e] == pytest.approx(expected[entries == e][0])


def test_draws_are_seeded_chunked_by_data_size_only_and_counts_sum_to_n():
    scheme = BootstrapScheme(250, 0.9, seed=7)
    first = [np.concatenate(p) for p in zip(*draw_counts(40, 9, scheme))]
    second = [np.concatenate(p) for p in zip(*draw_counts(40, 9, scheme))]
    assert all(np.array_equal(x, y) for x, y in zip(first, second))
    assert first[0].shape == (250, 40) and (first[0].sum(axis=1) == 40).all() and (first[1].sum(axis=1) == 9).all()
    other = np.concatenate([s for s, _ in draw_counts(40, 9, BootstrapScheme(250, 0.9, seed=8))])
    assert not np.array_equal(first[0], other)
    assert chunk_size(40, 9) == chunk_size(40, 9) and chunk_size(300_000, 240) < chunk_size(640, 50)
    assert percentile_interval(np.arange(101.0), 0.9) == pytest.approx((5.0, 95.0))
    with pytest.raises(ValueError, match="n_resamples"):
        BootstrapScheme(5)


def _neural(seed=0, n=80, q=7):
    rng = np.random.default_rng(seed)
    F = rng.standard_normal((n, 6))
    ids = [f"s{i:02d}" for i in range(n)]
    signal = F @ rng.standard_normal((6, q))
    target = make_assembly(signal[:, :, None] + 2 * rng.standard_normal((n, q, 6)), ids, region="IT",
                           extra_dims=["repetition"])
    return make_assembly(F + rng.standard_normal((n, 6)), ids), target


def _identity(computed):
    r = computed.resampler
    return float(r.resample(np.ones((1, len(r.stimulus_ids)), int), np.ones((1, len(r.unit_ids)), int))[0])


@pytest.mark.parametrize("name,params", [("pls", {"n_components": 3}), ("ridge", {}), ("linear", {}), ("cka", {}),
                                         ("cka", {"debiased": True})])
def test_identity_resample_reproduces_neural_scores(name, params):
    source, target = _neural()
    params = {**params, **({"stratify_on": None} if name != "cka" else {})}
    computed = brainmark.load_metric(name, **params).compute(source, target)
    assert _identity(computed) == pytest.approx(computed.score.raw, abs=1e-10)
    ceiling = brainmark.load_ceiling("internal_consistency").compute(target)
    assert _identity(ceiling) == pytest.approx(ceiling.score.raw, abs=1e-10)


@pytest.mark.parametrize("comparator", ["spearman", "pearson", "kendall_tau_a"])
def test_identity_resample_reproduces_rsa_and_its_noise_ceiling(comparator):
    source, target = _neural(n=30)
    ids = list(target["stimulus_id"].values)
    mats = np.stack([rdm(target.isel(repetition=[r])).values for r in range(6)])
    matrices = xr.DataArray(mats, dims=("subject", "stimulus_row", "stimulus_col"),
                            coords={"subject": list("abcdef"), "stimulus_row": ids, "stimulus_col": ids},
                            attrs={"kind": "dissimilarity", "symmetric": True})
    metric = brainmark.load_metric("rsa", comparator=comparator).compute(source, matrices)
    ceiling = brainmark.load_ceiling("rsa", comparator=comparator).compute(matrices)
    assert _identity(metric) == pytest.approx(metric.score.raw, abs=1e-10)
    assert _identity(ceiling) == pytest.approx(ceiling.score.raw, abs=1e-10)


def test_identity_resample_reproduces_geirhos_metrics(shared_data):
    from brainmark.datasets import load_dataset

    trials = load_dataset("Geirhos2021.silhouette")
    ids = sorted(set(trials["stimulus_id"].values.astype(str)))
    truth = dict(zip(trials["stimulus_id"].values.astype(str), trials["truth"].values.astype(str)))
    labels = [truth[s] if i % 3 else "knife" for i, s in enumerate(ids)]
    decisions = xr.DataArray(np.asarray(labels, dtype=object), dims="presentation",
                             coords={"stimulus_id": ("presentation", ids)})
    for name, params in (("error_consistency", {}), ("accuracy", {}), ("accuracy", {"reference": "human"})):
        computed = brainmark.load_metric(name, **params).compute(decisions, trials)
        assert _identity(computed) == pytest.approx(computed.score.raw, abs=1e-12), (name, params)
    ceiling = brainmark.load_ceiling("error_consistency").compute(trials)
    assert _identity(ceiling) == pytest.approx(ceiling.score.raw, abs=1e-12)


def test_same_data_gives_the_same_draws_for_two_models_and_the_ceiling_moves_with_them():
    source, target = _neural()
    other, _ = _neural(seed=1)
    other = other.assign_coords(stimulus_id=source["stimulus_id"])
    metric = brainmark.load_metric("linear", stratify_on=None)
    a, b = metric.compute(source, target), metric.compute(other, target)
    scheme = BootstrapScheme(200)
    assert resampling_key(a.resampler, scheme) == resampling_key(b.resampler, scheme)
    ceiling = brainmark.load_ceiling("internal_consistency").compute(target)
    raw_twice = [bootstrap_ceiled(a.resampler, scheme=scheme).replicates for _ in range(2)]
    np.testing.assert_array_equal(*raw_twice)  # the same seed, the same draws
    raw_ceiling = bootstrap_ceiled(ceiling.resampler, scheme=scheme).replicates
    point = a.score.raw**2 / ceiling.score.raw
    joint = bootstrap_ceiled(a.resampler, ceiling.resampler, point=point, ceiling_value=ceiling.score.raw,
                             convention="explained-variance", scheme=scheme)
    # the ceiling is resampled on the very draws of the score: ceiled_b = raw_b^2 / ceiling_b
    np.testing.assert_allclose(joint.replicates, raw_twice[0] ** 2 / raw_ceiling)
    fixed = bootstrap_ceiled(a.resampler, None, point=point, ceiling_value=ceiling.score.raw,
                             convention="explained-variance", scheme=scheme)
    np.testing.assert_allclose(fixed.replicates, raw_twice[0] ** 2 / ceiling.score.raw)
    assert joint.record["ceiling_resampled"] and joint.record["resampled"] == {"stimuli": 80, "neuroid": 7}
    low, high = joint.interval
    assert low < point < high


def test_weighted_midranks_of_resampled_vectors_rank_only_the_entries_that_occur():
    rng = np.random.default_rng(3)
    values = np.round(rng.standard_normal((5, 40)), 1)  # a different vector per resample, with ties
    for p_zero in (0.6, 0.1):  # mostly absent (the packed path) and mostly present (the plain sort)
        weights = np.where(rng.random((5, 40)) < p_zero, 0, rng.integers(1, 4, (5, 40))).astype(float)
        ranks = weighted_midranks(values, weights)
        for k in range(5):
            entries = np.repeat(np.arange(40), weights[k].astype(int))
            expected = scipy.stats.rankdata(values[k, entries])
            for e in np.flatnonzero(weights[k]):
                assert ranks[k, e] == pytest.approx(expected[entries == e][0])
