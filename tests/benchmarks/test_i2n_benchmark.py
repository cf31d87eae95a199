"""The I2n benchmark end to end on real images with simulated match-to-sample trials (Rajalingham-style layout).

The official Rajalingham2018 data are online only, so the benchmark runs here on Geirhos2021 edge images of four
categories: six per category fit the readout, four per category are tested, and simulated observers answer
2-alternative trials on the tested images.
"""
from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import brainmark.benchmarks.behavioral as behavioral
from brainmark.benchmarks import load_benchmark
from brainmark.benchmarks.behavioral import I2nBenchmark
from brainmark.datasets import load_stimulus_set

OBJECTS = ["airplane", "bear", "clock", "knife"]


def _stimuli():
    edge = load_stimulus_set("Geirhos2021.edge")
    table = edge.table[edge.table["category"].isin(OBJECTS)].copy()
    table["object_name"] = table["category"]
    table["index"] = table["stimulus_id"].str.extract(r"(\d+)$")[0].astype(int)
    fitting = table[table["index"] <= 6]
    tested = table[table["index"] > 6]
    from brainmark.data.stimuli import StimulusSet

    return StimulusSet("toy.fitting", fitting.drop(columns="index")), StimulusSet("toy.tested", tested.drop(columns="index"))


def _trials(tested, n_per_pair: int = 30, seed: int = 0) -> xr.DataArray:
    rng = np.random.RandomState(seed)
    rows = []
    for sid, truth in zip(tested.stimulus_ids, tested.metadata("object_name")):
        difficulty = rng.uniform(0.55, 0.95)
        for distractor in OBJECTS:
            if distractor == truth:
                continue
            for _ in range(n_per_pair):
                rows.append((sid, truth, distractor, truth if rng.rand() < difficulty else distractor))
    sid, truth, distractor, choice = map(list, zip(*rows))
    return xr.DataArray(np.array(choice, dtype=object), dims="presentation",
                        coords={"stimulus_id": ("presentation", sid), "truth": ("presentation", truth),
                                "sample_obj": ("presentation", truth), "distractor": ("presentation", distractor),
                                "choice": ("presentation", choice)})


@pytest.mark.slow
def test_i2n_benchmark_keeps_the_split_wise_ceiled_value(make_tiny_model, monkeypatch):
    fitting, tested = _stimuli()
    sets = {"toy.fitting": fitting, "toy.tested": tested}
    original = behavioral.load_stimuli
    monkeypatch.setattr(behavioral, "load_stimuli",
                        lambda identifier, *a, **kw: original(sets.get(identifier, identifier), *a, **kw))
    benchmark = I2nBenchmark("toy-i2n", dataset="toy.trials", stimulus_set="toy.tested",
                             fitting_stimulus_set="toy.fitting", metric="i2n", ceiling="i2n", offline=True)
    benchmark._trials = _trials(tested)

    score = benchmark(make_tiny_model())

    assert np.isfinite(score.raw) and np.isfinite(score.ceiling)
    # the metric's own rule: mean over splits of r_st / sqrt(r_tt), not mean(r_st) / mean(r_tt)
    np.testing.assert_allclose(score.ceiled, np.mean(score.values["ceiled_split"]))
    expected = np.mean(score.values["split"] / np.sqrt(score.values["ceiling_split"]))
    np.testing.assert_allclose(score.ceiled, expected)
    assert score.meta["benchmark"] == "toy-i2n"
    assert score.meta["parameters"]["fa_rule"] == "paper"


def test_official_i2n_benchmarks_use_the_official_false_alarm_rule():
    for identifier in ("Rajalingham2018-i2n", "Rajalingham2018public-i2n"):
        benchmark = load_benchmark(identifier)
        assert benchmark.metric_params["fa_rule"] == "official"
        assert benchmark.ceiling_params["fa_rule"] == "official"
