"""The intervals and tests are calibrated: simulated experiments with a known answer (not timed).

The brain: neuroids whose responses are a random linear map of 4 latent stimulus features plus repetition noise;
the model: those features, each with its own amount of noise, so the ceiled score differs between neuroids. The
population value of the ceiled score (explained-variance convention) follows from the generating process
(median r over neuroids, squared, over the median internal consistency), computed from 2 million neuroids.
"""
import numpy as np
import pytest

import brainmark
from brainmark.data import make_assembly
from brainmark.stats.bootstrap import bootstrap_ceiled
from brainmark.stats.correction import Replicates
from brainmark.stats.inference import paired_difference

D, REPEATS, NOISE = 4, 4, 1.0
MODEL_NOISE = np.array([0.0, 0.5, 1.0, 2.0])
N_STIMULI, N_NEUROIDS, N_EXPERIMENTS = 200, 30, 200
CONVENTION = "explained-variance"
pytestmark = pytest.mark.slow


def _betas(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.standard_normal((D, n)) * np.sqrt(rng.uniform(0.3, 1.5, n) / D)


def _population_value() -> float:
    beta = _betas(np.random.default_rng(123), 2_000_000)
    total = (beta**2).sum(axis=0) + NOISE**2 / REPEATS
    r = np.sqrt((beta**2 / (1 + MODEL_NOISE[:, None] ** 2)).sum(axis=0) / total)  # population OLS prediction
    reliability = (beta**2).sum(axis=0) / total  # the Spearman-Brown split-half reliability of the repeat mean
    return float(np.median(r) ** 2 / np.median(reliability))


def _experiment(seed: int, n_models: int = 1):
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((N_STIMULI, D))
    beta = _betas(rng, N_NEUROIDS)
    responses = (latent @ beta)[:, :, None] + NOISE * rng.standard_normal((N_STIMULI, N_NEUROIDS, REPEATS))
    ids = [f"s{i:03d}" for i in range(N_STIMULI)]
    target = make_assembly(responses, ids, region="IT", extra_dims=["repetition"])
    models = [make_assembly(latent + MODEL_NOISE * rng.standard_normal((N_STIMULI, D)), ids) for _ in range(n_models)]
    return models, target


def _bootstrap(metric, ceiling, model, target):
    computed = metric.compute(model, target)
    point = brainmark.scores.apply_ceiling(computed.score.raw, ceiling.score.raw, CONVENTION)
    result = bootstrap_ceiled(computed.resampler, ceiling.resampler, point=point, ceiling_value=ceiling.score.raw,
                              convention=CONVENTION)
    return point, result


def test_95_percent_intervals_cover_the_population_value_in_90_to_99_percent_of_experiments():
    truth = _population_value()
    metric, ceiling_metric = brainmark.load_metric("linear", stratify_on=None), brainmark.load_ceiling("internal_consistency")
    covered = 0
    for seed in range(N_EXPERIMENTS):
        (model,), target = _experiment(seed)
        _, result = _bootstrap(metric, ceiling_metric.compute(target), model, target)
        covered += result.interval[0] <= truth <= result.interval[1]
    assert 0.90 <= covered / N_EXPERIMENTS <= 0.99, covered


def test_two_models_of_the_same_distribution_differ_significantly_in_at_most_7_percent_of_experiments():
    metric, ceiling_metric = brainmark.load_metric("linear", stratify_on=None), brainmark.load_ceiling("internal_consistency")
    rejected = 0
    for seed in range(N_EXPERIMENTS):
        (a, b), target = _experiment(10_000 + seed, n_models=2)
        ceiling = ceiling_metric.compute(target)
        (pa, ra), (pb, rb) = (_bootstrap(metric, ceiling, m, target) for m in (a, b))
        reps = [Replicates(r.replicates, r.stimulus_replicates, r.unit_replicates, N_STIMULI, N_NEUROIDS)
                for r in (ra, rb)]
        _, _, p = paired_difference(reps[0], reps[1], pa - pb, 0.95)
        rejected += p < 0.05
    assert rejected / N_EXPERIMENTS <= 0.07, rejected
