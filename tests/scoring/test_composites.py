import math

import numpy as np
import pytest

from brainmark.scores import Score
from brainmark.scoring.composites import brainscore2018, compute_composites, hierarchical
from brainmark.scoring.results import BenchmarkResult


def _result(name, ceiled, kind="neural", region=None, error=0.01):
    score = Score(raw=ceiled, error=error, ceiling=1.0, ceiled=ceiled, ceiled_error=error, convention="ratio",
                  meta={"kind": kind, "region": region})
    return BenchmarkResult(name, 1, score)


RESULTS = [
    _result("a.V1", 0.2, region="V1"),
    _result("b.V4", 0.4, region="V4"),
    _result("c.V4", 0.6, region="V4"),
    _result("d.IT", 0.7, region="IT"),
    _result("e.beh", 0.3, kind="behavioral"),
    _result("f.IT-broken", math.nan, region="IT"),
]


def test_brainscore2018_is_mean_of_v4_it_behaviour():
    c = brainscore2018(RESULTS)
    assert c.identifier == "brainscore2018" and c.version == 1
    assert c.score.ceiled == pytest.approx(np.mean([0.5, 0.7, 0.3]))
    assert c.score.meta["groups"] == pytest.approx({"IT": 0.7, "V4": 0.5, "behavior": 0.3})
    assert "a.V1" in c.score.meta["excluded"] and "f.IT-broken" in c.score.meta["excluded"]
    assert c.components == ["b.V4", "c.V4", "d.IT", "e.beh"]
    # error: V4 group sqrt(2)*0.01/2, then mean of three
    v4_err = math.sqrt(2) * 0.01 / 2
    assert c.score.ceiled_error == pytest.approx(math.sqrt(v4_err**2 + 0.01**2 + 0.01**2) / 3)


def test_hierarchical_regions_then_neural_then_overall():
    c = hierarchical(RESULTS)
    neural = np.mean([0.2, 0.5, 0.7])
    assert c.score.meta["groups"] == pytest.approx({"neural": neural, "behavior": 0.3})
    assert c.score.ceiled == pytest.approx((neural + 0.3) / 2)
    assert c.score.meta["regions"] == pytest.approx({"V1": 0.2, "V4": 0.5, "IT": 0.7})


def test_missing_errors_are_skipped():
    results = [_result("x.IT", 0.4, region="IT", error=math.nan), _result("y.IT", 0.6, region="IT", error=0.02)]
    c = brainscore2018(results)
    assert c.score.ceiled == pytest.approx(0.5) and c.score.ceiled_error == pytest.approx(0.01)


def test_only_what_ran_and_nothing():
    only_beh = [_result("e.beh", 0.3, kind="behavioral")]
    assert brainscore2018(only_beh).score.ceiled == pytest.approx(0.3)
    assert hierarchical(only_beh).score.ceiled == pytest.approx(0.3)
    assert compute_composites([]) == []
    assert brainscore2018([_result("a.V1", 0.2, region="V1")]) is None
    assert [c.identifier for c in compute_composites(RESULTS)] == ["brainscore2018", "hierarchical"]


def _with_replicates(name, ceiled, kind="neural", region=None, seed=0):
    from brainmark.scores import per_unit

    rng = np.random.default_rng(seed)
    sets = {k: per_unit(ceiled + rng.normal(0, 0.02, 500), "resample")
            for k in ("bootstrap", "bootstrap_stimuli", "bootstrap_units")}
    score = Score(raw=ceiled, error=0.02, ceiling=1.0, ceiled=ceiled, ceiled_error=0.02, convention="ratio",
                  ci=(ceiled - 0.04, ceiled + 0.04), ci_level=0.95, values=sets,
                  meta={"kind": kind, "region": region, "bootstrap": {"level": 0.95, "resampled": {"stimuli": 50}}})
    return BenchmarkResult(name, 1, score)


def test_the_2018_groups_with_their_intervals():
    from brainmark.scoring.composites import brainscore2018_groups

    results = [_with_replicates("b.V4", 0.4, region="V4", seed=1), _with_replicates("c.V4", 0.6, region="V4", seed=2),
               _with_replicates("d.IT", 0.7, region="IT", seed=3), _result("e.beh", 0.3, kind="behavioral"),
               _with_replicates("a.V1", 0.2, region="V1", seed=4)]
    groups = brainscore2018_groups(results)
    assert set(groups) == {"V4", "IT", "behavior"}  # V1 is not part of the 2018 composite
    v4 = groups["V4"]
    assert v4.value == pytest.approx(0.5) and v4.benchmarks == ("b.V4", "c.V4") and v4.ci_level == 0.95
    mean = (results[0].score.values["bootstrap"].values + results[1].score.values["bootstrap"].values) / 2
    assert np.allclose(v4.replicates.joint, mean)
    assert v4.ci[0] < 0.5 < v4.ci[1] and v4.ci[1] - v4.ci[0] < 0.08  # averaging two halves the spread of each
    assert groups["IT"].ci == results[2].score.ci  # one benchmark: its own interval
    assert groups["behavior"].ci is None and groups["behavior"].replicates is None  # no replicates, no interval
    assert brainscore2018(results).score.meta["groups"] == pytest.approx({g: s.value for g, s in groups.items()})
