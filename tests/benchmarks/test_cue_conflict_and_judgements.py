"""The cue-conflict benchmarks (one forward pass for all four) and Mur2013 judgements RSA, on the real data."""
import itertools
import math

import numpy as np
import pytest
import scipy.stats

import brainmark
from brainmark.benchmarks import load_benchmark
from brainmark.benchmarks.cue_conflict import human_range
from brainmark.scoring.composites import compute_composites
from brainmark.scoring.results import BenchmarkResult

CUE_CONFLICT = ("Hermann2020cueconflict-shape_bias", "Hermann2020cueconflict-shape_match",
                "Geirhos2021cueconflict-error_consistency", "Geirhos2021cueconflict-shape_bias")


def _counting(model):
    calls = []
    extract = model.extractor.extract

    def counted(stimuli, *args, **kwargs):
        calls.append(len(stimuli))
        return extract(stimuli, *args, **kwargs)

    model.extractor.extract = counted
    return calls


@pytest.mark.parametrize("use_cache", [True, False])
def test_four_benchmarks_share_one_forward_pass(use_cache, shared_data, brainmark_home, tiny_spec):
    from brainmark.models import PytorchBrainModel

    model = PytorchBrainModel(tiny_spec(identifier="tinynet-cc"), batch_size=64, workers=1, use_cache=use_cache)
    calls = _counting(model)
    scores = {b: load_benchmark(b)(model) for b in CUE_CONFLICT}
    assert calls == [1280]  # the whole stimulus set, once
    if use_cache:  # a new model object (another job, another process) reads the activation cache instead
        again = PytorchBrainModel(tiny_spec(identifier="tinynet-cc"), batch_size=64, workers=1)
        calls_again = _counting(again)
        assert load_benchmark(CUE_CONFLICT[0])(again) == scores[CUE_CONFLICT[0]] and calls_again == []
    for b, score in scores.items():
        assert score.ci is not None and score.ci[0] <= score.ceiled <= score.ci[1], b
        assert score.meta["kind"] == "behavioral" and score.meta["stimulus_set_hash"]


def test_official_and_human_referenced_scores(shared_data, brainmark_home, make_tiny_model):
    model = make_tiny_model()
    official = load_benchmark("Hermann2020cueconflict-shape_bias")(model)
    match = load_benchmark("Hermann2020cueconflict-shape_match")(model)
    human = load_benchmark("Geirhos2021cueconflict-shape_bias")(model)
    assert official.ceiling == 1.0 and official.meta["in_composites"] is False and match.meta["in_composites"] is False
    sb = official.meta["shape_bias"]
    assert official.raw == sb and match.raw == official.meta["shape_match"]
    assert sb == pytest.approx(official.meta["shape_match"] / (official.meta["shape_match"] + official.meta["texture_match"]))
    assert human.meta["model_shape_bias"] == pytest.approx(sb)  # the same decisions
    per_subject = human.meta["human_shape_bias_per_subject"]
    assert human.raw == pytest.approx(np.mean([1 - abs(sb - v) for v in per_subject.values()]))
    assert human.ceiling == pytest.approx(0.98496, abs=1e-5) and human.meta["in_composites"] is True
    assert round(human.meta["human_shape_bias"], 3) == 0.959
    ranges = human.meta["human_range"]
    assert round(ranges["shape"]["shape_bias"], 3) == 0.971 and round(ranges["texture"]["shape_bias"], 3) == 0.696
    assert set(ranges["texture"]["per_class"]) == set(brainmark.metrics.behavioral.imagenet16.CATEGORIES)
    assert official.meta["human_range"] == ranges
    results = [BenchmarkResult(b, 1, s) for b, s in (("Hermann2020cueconflict-shape_bias", official),
                                                     ("Geirhos2021cueconflict-shape_bias", human))]
    composite = {c.identifier: c for c in compute_composites(results)}["hierarchical"]
    assert list(composite.components) == ["Geirhos2021cueconflict-shape_bias"]
    assert "reported only" in composite.score.meta["excluded_reasons"]["Hermann2020cueconflict-shape_bias"]


def _kappa(a, b):
    pa, pb = a.mean(), b.mean()
    expected = pa * pb + (1 - pa) * (1 - pb)
    return ((a == b).mean() - expected) / (1 - expected)


def test_error_consistency_ceiling_on_real_trials(shared_data, brainmark_home):
    benchmark = load_benchmark("Geirhos2021cueconflict-error_consistency")
    trials = benchmark.trials
    correct = trials.values.astype(str) == trials["truth"].values.astype(str)
    subjects, ids = trials["subject"].values.astype(str), trials["stimulus_id"].values.astype(str)
    by_subject = {s: dict(zip(ids[subjects == s], correct[subjects == s])) for s in sorted(set(subjects))}
    kappas = []
    for a, b in itertools.combinations(sorted(by_subject), 2):
        common = sorted(by_subject[a])
        kappas.append(_kappa(np.array([by_subject[a][k] for k in common]), np.array([by_subject[b][k] for k in common])))
    assert len(kappas) == 45
    assert benchmark.ceiling.raw == pytest.approx(np.mean(kappas), abs=1e-12)
    assert round(benchmark.ceiling.raw, 4) == 0.3311


def test_human_range_is_computed_once(shared_data):
    assert human_range() is human_range()


def _rank_pooled_ceiling(rdms):
    rows, cols = np.triu_indices(rdms.shape[-1], k=1)
    vecs = np.stack([scipy.stats.rankdata(m[rows, cols]) for m in rdms])
    lower = [scipy.stats.spearmanr(vecs[s], np.delete(vecs, s, 0).mean(0)).statistic for s in range(len(vecs))]
    upper = [scipy.stats.spearmanr(vecs[s], vecs.mean(0)).statistic for s in range(len(vecs))]
    return np.mean(lower), np.mean(upper)


def test_judgement_rsa_ceilings_and_layer_choice(shared_data, brainmark_home, make_tiny_model):
    benchmark = load_benchmark("Mur2013.judgements-rsa")
    judgements = brainmark.load_dataset("Kriegeskorte2008.judgements")
    lower, upper = _rank_pooled_ceiling(judgements.values)
    assert benchmark.ceiling.raw == pytest.approx(lower, abs=1e-12)
    assert benchmark.ceiling.meta["upper"] == pytest.approx(upper, abs=1e-12)
    assert (round(lower, 4), round(upper, 4)) == (0.477, 0.5767)
    score = benchmark(make_tiny_model())
    meta = score.meta
    assert meta["kind"] == "behavioral" and meta["region"] is None and math.isfinite(score.ceiled)
    assert "human IT fMRI RDM" in meta["layer_selection"]  # never chosen on the judgements
    human_it = brainmark.load_dataset("Kriegeskorte2008.humanIT")
    tiny = make_tiny_model()
    from brainmark.metrics import load_metric

    rsa = load_metric("rsa", comparator="spearman")
    by_layer = {layer: rsa(tiny.layer_activations(benchmark_stimuli(), [layer])[layer], human_it).raw
                for layer in ("block1", "block2", "pool")}
    assert meta["layer"] == max(by_layer, key=by_layer.get)
    assert meta["layer_scores"] == pytest.approx(by_layer)


def benchmark_stimuli():
    from brainmark.benchmarks._data import load_stimuli

    ids = [str(s) for s in brainmark.load_dataset("Kriegeskorte2008.judgements")["stimulus_row"].values]
    return load_stimuli("Kriegeskorte2008", ids, 8.0)


def test_new_benchmarks_are_listed_and_offline():
    import json

    from typer.testing import CliRunner

    from brainmark.cli.main import app

    offline = brainmark.benchmarks.benchmark_identifiers(offline_only=True)
    assert set(CUE_CONFLICT) | {"Mur2013.judgements-rsa"} <= set(offline)
    result = CliRunner().invoke(app, ["benchmarks", "list", "--format", "json"])
    listed = {r["identifier"]: r for r in json.loads(result.output)}
    for identifier in (*CUE_CONFLICT, "Mur2013.judgements-rsa"):
        assert listed[identifier]["kind"] == "behavioral" and listed[identifier]["offline"] is True
