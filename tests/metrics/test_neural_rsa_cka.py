"""RSA (RDMs, comparators, per-subject scores, noise ceilings) and linear CKA."""
import numpy as np
import pytest
import scipy.stats
import xarray as xr
from scipy.spatial.distance import pdist, squareform

import brainmark
from brainmark.data import make_assembly
from brainmark.metrics.neural import RSA, MetricInputError, RDMNoiseCeiling, compare, kendall_tau_a, linear_cka, rdm

N = 30


def _source(seed=0, n_feat=20):
    rng = np.random.default_rng(seed)
    return make_assembly(rng.standard_normal((N, n_feat)), [f"s{i}" for i in range(N)])


def _matrix(values, ids, kind="dissimilarity", symmetric=True, leading=()):
    dims = (*leading, "stimulus_row", "stimulus_col")
    return xr.DataArray(values, dims=dims, coords={"stimulus_row": ids, "stimulus_col": ids},
                        attrs={"kind": kind, "symmetric": symmetric})


@pytest.mark.parametrize("distance,scipy_name", [("correlation", "correlation"), ("euclidean", "euclidean"), ("cosine", "cosine")])
def test_rdm_matches_scipy(distance, scipy_name):
    source = _source()
    np.testing.assert_allclose(rdm(source, distance).values, squareform(pdist(source.values, scipy_name)), atol=1e-10)


def test_kendall_tau_a_matches_brute_force_with_ties():
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 5, 40).astype(float), rng.integers(0, 4, 40).astype(float)
    i, j = np.triu_indices(40, k=1)
    brute = np.sum(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j])) / len(i)
    assert kendall_tau_a(x, y) == pytest.approx(brute, abs=1e-12)
    z = rng.standard_normal(40)
    assert kendall_tau_a(z, z) == pytest.approx(1.0)


def test_rsa_recovers_identity_and_is_rank_invariant():
    source = _source()
    ids = [str(s) for s in source["stimulus_id"].values]
    model = rdm(source).values
    target = _matrix(model, ids)
    assert RSA()(source, target).raw == pytest.approx(1.0)
    monotone = _matrix(np.exp(3 * model), ids)
    assert RSA(comparator="spearman")(source, monotone).raw == pytest.approx(1.0)
    assert RSA(comparator="kendall_tau_a")(source, monotone).raw == pytest.approx(1.0)
    assert RSA(comparator="pearson")(source, monotone).raw < 0.999
    # a similarity target equal to 1 - RDM is a perfect match too
    assert RSA(comparator="pearson")(source, _matrix(1 - model, ids, kind="similarity")).raw == pytest.approx(1.0)


def test_subjects_sessions_and_non_symmetric_entries():
    rng = np.random.default_rng(2)
    source = _source()
    ids = [str(s) for s in source["stimulus_id"].values]
    model = rdm(source).values
    subjects = np.stack([model + 0.2 * rng.standard_normal((N, N)) for _ in range(4)])
    target = _matrix(subjects, ids, symmetric=False, leading=("subject",)).assign_coords(subject=list("abcd"))
    score = RSA(comparator="pearson")(source, target)
    off = ~np.eye(N, dtype=bool)
    expected = [scipy.stats.pearsonr(model[off], s[off]).statistic for s in subjects]
    np.testing.assert_allclose(score.values["subject"], expected)
    assert score.raw == pytest.approx(np.mean(expected)) and score.values["subject"]["subject"].values.tolist() == list("abcd")
    assert score.meta["entries"] == "all off-diagonal entries"
    sessions = _matrix(np.stack([subjects, subjects]).transpose(1, 0, 2, 3), ids, leading=("subject", "session"))
    assert RSA()(source, sessions).meta["averaged_dims"] == ["session"]
    with pytest.raises(MetricInputError, match="region"):
        RSA()(source, _matrix(subjects[:2], ids, leading=("region",)))
    with pytest.raises(MetricInputError, match="missing from source"):
        RSA()(source.isel(presentation=slice(1, None)), target)


def test_noise_ceiling_bounds():
    rng = np.random.default_rng(3)
    truth = squareform(pdist(rng.standard_normal((N, 5))))
    subjects = np.stack([truth + 0.5 * rng.standard_normal((N, N)) for _ in range(6)])
    subjects = (subjects + subjects.transpose(0, 2, 1)) / 2
    target = _matrix(subjects, [f"s{i}" for i in range(N)], leading=("subject",))
    for comparator in ("pearson", "spearman", "kendall_tau_a"):
        c = brainmark.load_ceiling("rsa", comparator=comparator)(target)
        assert 0 < c.meta["lower"] < c.meta["upper"] <= 1
        assert c.raw == c.meta["lower"] and c.values["subject"].shape == (6,)
    with pytest.raises(MetricInputError, match="per-subject"):
        RDMNoiseCeiling()(_matrix(truth, [f"s{i}" for i in range(N)]))


@pytest.mark.slow
def test_real_coggan2024_it_noise_ceiling(shared_data):
    with np.load(shared_data / "coggan2024_fmri" / "rsms.npz", allow_pickle=False) as data:
        rsm = data["rsm"][list(data["region"]).index("IT")]
        ids = [str(s) for s in data["stimulus_id"]]
    target = _matrix(rsm, ids, kind="similarity", symmetric=False, leading=("subject",))
    c = RDMNoiseCeiling(comparator="pearson")(target)
    assert c.meta["n_subjects"] == 9 and c.meta["entries"] == "all off-diagonal entries"
    assert -1 < c.raw < c.meta["upper"] < 1


def test_compare_rejects_unknown_comparator():
    with pytest.raises(MetricInputError, match="comparator"):
        compare(np.arange(5.0), np.arange(5.0), "cosine")


def test_linear_cka_properties():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((100, 10))
    Q, _ = np.linalg.qr(rng.standard_normal((10, 10)))
    assert linear_cka(X, X) == pytest.approx(1.0)
    assert linear_cka(X, 3 * X @ Q + 2) == pytest.approx(1.0)  # orthogonal, isotropic scale, offset invariant
    assert linear_cka(X, 3 * X @ Q + 2, debiased=True) == pytest.approx(1.0)
    noise_a, noise_b = rng.standard_normal((100, 500)), rng.standard_normal((100, 500))
    biased, debiased = linear_cka(noise_a, noise_b), linear_cka(noise_a, noise_b, debiased=True)
    assert biased > 0.5 and abs(debiased) < 0.05  # the debiased estimator removes the high-dimension bias
    # wide and tall feature matrices give the same value through either Gram
    assert linear_cka(X, noise_a[:, :50]) == pytest.approx(linear_cka(X, noise_a[:, :50].copy()))


def test_cka_metric_score():
    source = _source(n_feat=8)
    target = make_assembly(source.values @ np.random.default_rng(5).standard_normal((8, 6)),
                           source["stimulus_id"].values, region="IT")
    score = brainmark.load_metric("cka")(source, target)
    assert 0 < score.raw <= 1 and score.meta["metric"] == "cka" and score.meta["parameters"]["debiased"] is False


@pytest.mark.slow
def test_real_kriegeskorte2008_human_it_noise_ceiling(shared_data):
    import scipy.io

    mat = scipy.io.loadmat(shared_data / "kriegeskorte2008_92images" / "92_brainRDMs.mat",
                           squeeze_me=True, struct_as_record=False)["RDMs"]  # 4 subjects x 2 sessions
    mats = np.array([[mat[i, j].RDM for j in range(mat.shape[1])] for i in range(mat.shape[0])])
    target = _matrix(mats, [f"s{i}" for i in range(92)], leading=("subject", "session"))
    c = RDMNoiseCeiling(comparator="spearman")(target)
    assert c.meta["averaged_dims"] == ["session"] and c.meta["n_subjects"] == 4
    # values measured 2026-11-28 on the rsatoolbox copy of the data
    assert c.raw == pytest.approx(0.3723, abs=1e-4) and c.meta["upper"] == pytest.approx(0.6657, abs=1e-4)
