"""Full features within the memory budget; beyond it the exact Gram embedding, which gives the full-feature scores."""
import json
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from brainmark.data import make_assembly
from brainmark.metrics import load_metric
from brainmark.models import Preprocessing, PytorchBrainModel, Reduction
from brainmark.models.activations import ActivationExtractor
from brainmark.models.gram import anchor_jobs, gram_embedding, schedule
from brainmark.models.reduction import (
    BUDGET_ENV,
    DEFAULT_MEMORY_BUDGET,
    ReductionError,
    default_memory_budget,
    parse_bytes,
    plan_reductions,
)
from tiny_net import TinyNet, factory

LAYERS = ["block1", "block2", "fc:input"]  # 2048, 1024 and 16 features at 32 pixels


def _extractor(module: nn.Module, batch_size: int = 4) -> ActivationExtractor:
    return ActivationExtractor(module, Preprocessing(32), identifier="tiny", batch_size=batch_size, workers=1)


def test_embedding_keeps_inner_products_distances_and_correlations():
    rng = np.random.default_rng(0)
    X = np.abs(rng.standard_normal((30, 500))) + rng.random((30, 1)) * 3  # positive, with per-stimulus offsets
    G = X @ X.T
    E, info = gram_embedding(G, X.sum(axis=1), X.shape[1])
    assert E.shape == (30, 31) and info["gram_rank"] == 30
    np.testing.assert_allclose(E @ E.T, G, rtol=1e-11, atol=1e-11 * np.abs(G).max())
    np.testing.assert_allclose(np.corrcoef(E), np.corrcoef(X), atol=1e-11)
    d_e = ((E[:, None] - E[None]) ** 2).sum(-1)
    d_x = ((X[:, None] - X[None]) ** 2).sum(-1)
    np.testing.assert_allclose(d_e, d_x, atol=1e-9 * d_x.max())
    assert info["gram_max_relative_error"] < 1e-12


def test_embedding_of_flat_and_of_identical_patterns():
    flat = np.outer([1.0, 2.0, 3.0, 4.0], np.ones(5))  # each stimulus the same value on every feature
    E, info = gram_embedding(flat @ flat.T, flat.sum(axis=1), 5)
    assert E.shape == (4, 1) and info["gram_rank"] == 0
    np.testing.assert_allclose(E @ E.T, flat @ flat.T)
    same = np.tile(np.arange(5.0), (4, 1))  # every stimulus the same pattern
    E, info = gram_embedding(same @ same.T, same.sum(axis=1), 5)
    assert E.shape == (4, 2) and info["gram_rank"] == 1
    np.testing.assert_allclose(E @ E.T, same @ same.T)
    np.testing.assert_allclose(np.corrcoef(E), np.ones((4, 4)))


@pytest.mark.parametrize("metric,params", [("pls", {"n_splits": 4}), ("pls", {"n_splits": 4, "solver": "nipals"}),
                                           ("ridge", {"n_splits": 3}), ("linear", {"n_splits": 3}), ("cka", {}),
                                           ("rsa", {"distance": "correlation"}), ("rsa", {"distance": "euclidean"})])
def test_metrics_score_the_embedding_as_the_features(metric, params):
    rng = np.random.default_rng(1)
    n, d = 60, 400
    latent = rng.standard_normal((n, 6))
    X = np.maximum(latent @ rng.standard_normal((6, d)) + rng.standard_normal((n, d)), 0) + 0.5
    E, _ = gram_embedding(X @ X.T, X.sum(axis=1), d)
    ids = [f"s{i}" for i in range(n)]
    if metric == "rsa":
        from brainmark.metrics.neural import rdm

        target = rdm(make_assembly(latent @ rng.standard_normal((6, 20)) + rng.standard_normal((n, 20)), ids))
    else:
        target = make_assembly(latent @ rng.standard_normal((6, 8)) + rng.standard_normal((n, 8)), ids, region="IT")
    if metric in ("pls", "ridge", "linear"):
        params = {**params, "stratify_on": None}  # synthetic stimuli have no object labels
    full = load_metric(metric, **params)(make_assembly(X, ids), target)
    embedded = load_metric(metric, **params)(make_assembly(E, ids), target)
    assert abs(full.raw) > 0.05
    assert embedded.raw == pytest.approx(full.raw, abs=1e-9)


def test_auto_admits_layers_smallest_first_then_embeds():
    budget = Reduction("auto", memory_budget=4000)
    plan = plan_reductions(budget, {"big": 60, "small": 50, "mid": 40}, 10)
    # 10 stimuli x 4 bytes per feature: mid 1600 + small 2000 fit in 4000; big (2400) does not
    assert {k: r.kind for k, r in plan.items()} == {"big": "gram", "small": "none", "mid": "none"}
    assert list(plan) == ["big", "small", "mid"]  # request order kept
    assert plan_reductions(budget, {"big": 60}, 10)["big"].kind == "none"  # on its own it fits
    with pytest.warns(UserWarning, match="lossy random projection"):
        crowded = plan_reductions(budget, {"big": 2000}, 40)  # the 40 x 40 Gram work (4 x 8 x 1600 B) exceeds 4000
    assert crowded["big"].kind == "random"


def test_budget_parsing_and_environment(monkeypatch):
    assert parse_bytes("1.5GiB") == int(1.5 * 2**30) and parse_bytes("800MB") == 800 * 10**6 and parse_bytes(2e9) == 2e9
    with pytest.raises(ReductionError, match="memory size"):
        parse_bytes("lots")
    monkeypatch.delenv(BUDGET_ENV, raising=False)
    assert default_memory_budget() == DEFAULT_MEMORY_BUDGET == Reduction().budget()
    monkeypatch.setenv(BUDGET_ENV, "3GiB")
    assert Reduction().budget() == 3 * 2**30 and Reduction(memory_budget="1MB").budget() == 10**6


def test_schedule_covers_every_pair_once_within_budget():
    jobs = anchor_jobs({"a": 100, "b": 30}, n_stimuli=50, batch_size=4, budget=4 * 100 * 4 * 3)
    main, passes = schedule(jobs, budget=4 * 100 * 4 * 3, main_free=0)
    assert not main
    for group in passes:
        assert sum(job.nbytes for job in group) <= 4 * 100 * 4 * 3
    for layer in ("a", "b"):
        rows = sorted((j.start, j.stop) for j in jobs if j.layer == layer)
        assert rows[0][0] == 0 and rows[-1][1] == 50 and all(a[1] == b[0] for a, b in zip(rows, rows[1:]))


def test_extraction_beyond_the_budget_is_exact_and_bounded(imagenet_samples):
    torch.manual_seed(0)
    net = TinyNet()
    full, _ = _extractor(net).extract(imagenet_samples, LAYERS, Reduction("none"))
    fc_calls = []
    net.fc.register_forward_hook(lambda *a: fc_calls.append(1))
    before = net.calls
    # 20 images: block1 164 kB, block2 82 kB, fc:input 1.3 kB; 60 kB leaves only fc:input whole
    arrays, info = _extractor(net).extract(imagenet_samples, LAYERS, Reduction("auto", memory_budget=60_000))
    assert [info[layer]["reduction"] for layer in LAYERS] == ["gram", "gram", "none"]
    np.testing.assert_array_equal(arrays["fc:input"], full["fc:input"])
    for layer in ("block1", "block2"):
        X = full[layer].astype(np.float64)
        E = arrays[layer]
        assert E.dtype == np.float64 and E.shape == (20, 21)
        np.testing.assert_allclose(E @ E.T, X @ X.T, rtol=1e-10, atol=1e-12 * np.abs(X @ X.T).max())
        np.testing.assert_allclose(np.corrcoef(E), np.corrcoef(X), atol=1e-10)
        assert info[layer]["anchor_blocks"] > 1 and info[layer]["distortion"] < 1e-12
        assert info[layer]["memory_budget_bytes"] == 60_000 and info[layer]["seed"] is None
    assert info["fc:input"]["distortion"] == 0.0
    # Plan at 60 kB: anchors of 1 batch (block1, 5 of them) and 3 batches (block2: rows 0-11, 12-19); block1's
    # first anchor rides the main pass, the other six need their own passes (from rows 0, 4, 8, 12, 12, 16).
    assert info["block1"]["forward_passes"] == 7
    assert net.calls - before == 1 + 5 + (5 + 4 + 3 + 2 + 2 + 1)  # probe + main pass + the anchor passes' batches
    assert len(fc_calls) == 1  # only the one-image probe runs the whole network; every pass stops at fc's input


def test_inplace_activation_after_the_hooked_layer_does_not_change_it(imagenet_samples):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(inplace=True), nn.Flatten(), nn.Linear(4 * 30 * 30, 10))
    arrays, _ = _extractor(net, batch_size=5).extract(imagenet_samples, ["0"], Reduction("none"))
    assert (arrays["0"] < 0).any()  # the convolution's own output, taken before the in-place ReLU overwrote it


def _seeded(memory_budget: "int | str") -> PytorchBrainModel:
    torch.manual_seed(0)
    return PytorchBrainModel(factory(), batch_size=8, workers=1, memory_budget=memory_budget)


def test_model_scores_and_caches_the_embedding(imagenet_samples, brainmark_home):
    small, big = _seeded(100_000), _seeded("1GiB")
    embedded = small.layer_activations(imagenet_samples, ["block1"])["block1"]
    full = big.layer_activations(imagenet_samples, ["block1"])["block1"]
    assert embedded.attrs["reduction"] == "gram" and full.attrs["reduction"] == "none"
    record = json.loads(embedded.attrs["reduction_info"])
    assert record["requested_reduction"] == "auto" and record["n_features"] == full.sizes["neuroid"]
    X, E = full.values.astype(np.float64), embedded.values
    np.testing.assert_allclose(E @ E.T, X @ X.T, rtol=1e-10, atol=1e-12 * np.abs(X @ X.T).max())
    calls = small.spec.module.calls
    again = _seeded(100_000)
    warm = again.layer_activations(imagenet_samples, ["block1"])["block1"]
    assert again.spec.module.calls == 0  # widths and the embedding both come from the cache
    np.testing.assert_array_equal(warm.values, embedded.values)
    assert calls > 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert small.plan(imagenet_samples, ["block1"], small.reduction)["block1"].kind == "gram"


def test_embedding_passes_stop_early_even_with_cached_widths(imagenet_samples):
    torch.manual_seed(0)
    net = TinyNet()
    extractor = _extractor(net)
    extractor.remember_widths({"block1": 8 * 16 * 16})  # known widths, unknown positions
    fc_calls = []
    net.fc.register_forward_hook(lambda *a: fc_calls.append(1))
    _, info = extractor.extract(imagenet_samples, ["block1"], Reduction("gram", memory_budget=40_000))
    assert info["block1"]["forward_passes"] > 1
    assert len(fc_calls) == 1  # the one-image probe (positions, repeats); the passes stop after block1
