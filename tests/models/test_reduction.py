import numpy as np
import pytest
import torch

from brainmark.models import Reduction
from brainmark.models.reduction import (
    LayerReducer,
    ReductionError,
    jl_epsilon,
    plan_reductions,
    very_sparse_projection,
)

CPU = torch.device("cpu")


def test_projection_is_deterministic_and_sparse():
    a = very_sparse_projection(10_000, 256, seed=3)
    b = very_sparse_projection(10_000, 256, seed=3)
    c = very_sparse_projection(10_000, 256, seed=4)
    assert torch.equal(a.to_dense(), b.to_dense())
    assert not torch.equal(a.to_dense(), c.to_dense())
    density = a._nnz() / (10_000 * 256)
    assert density == pytest.approx(1 / np.sqrt(10_000), rel=0.05)


def test_projection_preserves_distances_within_jl_bound():
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal((40, 20_000)).astype(np.float32))
    projection = very_sparse_projection(20_000, 2048, seed=0)
    y = torch.sparse.mm(projection, x.T).T
    dx = torch.cdist(x, x)[np.triu_indices(40, 1)]
    dy = torch.cdist(y, y)[np.triu_indices(40, 1)]
    ratio = (dy / dx) ** 2
    # each squared distance is kept up to a relative error of about sqrt(2/k) (one standard deviation)
    assert float(ratio.mean()) == pytest.approx(1.0, abs=0.01)
    assert float(ratio.std()) == pytest.approx(np.sqrt(2 / 2048), rel=0.25)
    eps = jl_epsilon(40, 2048)
    assert float((ratio - 1).abs().max()) < 2 * eps


def test_jl_epsilon_decreases_with_components():
    assert jl_epsilon(640, 4096) < jl_epsilon(640, 1024) < 1
    assert jl_epsilon(640, 4096) == pytest.approx(0.117, abs=0.005)


def test_random_projects_wide_layers_and_keeps_narrow_ones():
    small = LayerReducer(100, Reduction("random", 128), 10, CPU)
    large = LayerReducer(1000, Reduction("random", 128), 10, CPU)
    assert small.kind == "none" and small.n_outputs == 100
    assert large.kind == "random" and large.n_outputs == 128
    out = large(torch.ones(3, 1000))
    assert out.shape == (3, 128)
    assert large.describe(10)["jl_epsilon"] > 0


def test_none_refuses_more_than_the_budget():
    with pytest.raises(ReductionError, match="GiB"):
        plan_reductions(Reduction("none", memory_budget=2**30), {"a": 3_000_000}, 1000)


def test_pca_needs_separate_fitting_stimuli():
    with pytest.raises(ReductionError, match="fitting stimulus set"):
        Reduction("pca")
    with pytest.raises(ReductionError, match="unknown reduction"):
        Reduction.parse("svd")


def test_parse_strings():
    assert Reduction.parse("random:512", seed=2) == Reduction("random", 512, seed=2)
    assert Reduction.parse(None).kind == "auto"
    assert Reduction.parse("none").components() == 4096
    assert Reduction.parse("gram", memory_budget="2GiB") == Reduction("gram", memory_budget=2 * 2**30)
