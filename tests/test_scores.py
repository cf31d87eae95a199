import json
import math

import numpy as np
import pytest

from brainmark.scores import Score, apply_ceiling


def test_conventions():
    assert apply_ceiling(0.5, 0.8, "ratio") == pytest.approx(0.625)
    assert apply_ceiling(0.5, 0.8, "squared-ratio") == pytest.approx(0.625**2)
    assert apply_ceiling(0.5, 0.8, "explained-variance") == pytest.approx(0.25 / 0.8)
    assert math.isnan(apply_ceiling(0.5, 0.0))
    with pytest.raises(ValueError, match="unknown ceiling convention"):
        apply_ceiling(0.5, 0.8, "bogus")


def test_roundtrip_json():
    s = Score(raw=0.4, error=0.01, values={"split": np.array([0.3, 0.5, np.nan])}, meta={"metric": "pls", "seed": 1})
    c = Score(raw=0.8, error=0.02, meta={"metric": "internal_consistency"})
    ceiled = s.with_ceiling(c, "explained-variance")
    assert ceiled.ceiled == pytest.approx(0.16 / 0.8)
    assert ceiled.meta["ceiling"]["metric"] == "internal_consistency"
    d = json.loads(json.dumps(ceiled.to_dict(), allow_nan=False))
    back = Score.from_dict(d)
    assert back.raw == ceiled.raw and back.ceiled == ceiled.ceiled and back.convention == "explained-variance"
    np.testing.assert_array_equal(back.values["split"], ceiled.values["split"])


# --- value semantics ------------------------------------------------------------------------------------------
def _labelled():
    from brainmark.scores import per_unit

    return Score(raw=0.4, error=0.01, values={"neuroid": per_unit([0.2, np.nan, 0.6], "neuroid", ["a", "b", "c"]),
                                              "split": np.array([0.3, 0.5])},
                 meta={"metric": "pls", "seeds": {"split": 1}, "layers": ["x", "y"]})


def test_equality_is_nan_and_array_aware_and_scores_hash():
    a, b = _labelled(), _labelled()
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert Score(raw=math.nan) == Score(raw=math.nan)
    assert a != a.with_meta(metric="ridge")
    assert a != Score(raw=0.4, error=0.01, values={"split": np.array([0.3, 0.5])}, meta=dict(a.meta))
    assert a.with_ceiling(0.8) == b.with_ceiling(0.8) != a.with_ceiling(0.9)


def test_meta_and_values_are_read_only():
    s = _labelled()
    with pytest.raises(TypeError, match="read-only"):
        s.meta["x"] = 1
    with pytest.raises(TypeError, match="read-only"):
        s.meta["seeds"]["split"] = 2
    with pytest.raises(TypeError, match="read-only"):
        s.meta["layers"].append("z")
    with pytest.raises(ValueError, match="read-only"):
        s.values["split"].values[0] = 1.0
    with pytest.raises(TypeError, match="read-only"):
        s.values["new"] = np.zeros(2)
    assert s.meta["layers"] == ["x", "y"] and s.with_meta(x=1).meta["x"] == 1 and "x" not in s.meta


def test_numeric_fields_are_coerced_and_checked():
    assert Score(raw=0.3, ceiling="0.8").ceiling == 0.8
    assert isinstance(Score(raw=np.float32(0.25)).raw, float)
    for bad in ("abc", [1, 2], True):
        with pytest.raises(TypeError, match="Score.raw must be a number"):
            Score(raw=bad)
    with pytest.raises(ValueError, match="unknown ceiling convention"):
        Score(raw=0.3, ceiling=0.8, convention="bogus")


def test_ceiled_is_consistent_with_ceiling_and_convention():
    s = Score(raw=0.4, error=0.02, ceiling=0.8, convention="ratio")
    assert s.ceiled == pytest.approx(0.5) and s.ceiled_error == pytest.approx(0.025)
    with pytest.raises(ValueError, match="disagrees"):
        Score(raw=0.4, ceiling=0.8, ceiled=0.9, convention="ratio")
    own_rule = Score(raw=0.4, ceiling=0.8, ceiled=0.45, convention=None)  # e.g. I2n's split-wise rule
    assert own_rule.ceiled == 0.45


def test_float_is_ceiled_when_ceiled_and_never_raw_for_a_failed_ceiling():
    assert float(Score(raw=0.4)) == 0.4  # no ceiling at all: the raw value
    assert float(Score(raw=0.4).with_ceiling(0.8)) == pytest.approx(0.5)
    assert math.isnan(float(Score(raw=0.4).with_ceiling(Score(raw=math.nan))))  # failed ceiling: NaN, not raw


def test_confidence_interval_fields():
    s = Score(raw=0.4).with_ci(0.3, 0.5, 0.95)
    assert s.ci == (0.3, 0.5) and s.ci_level == 0.95
    d = json.loads(json.dumps(s.to_dict(), allow_nan=False))
    assert d["ci"] == [0.3, 0.5] and d["ci_level"] == 0.95 and Score.from_dict(d) == s
    with pytest.raises(ValueError, match="low <= high"):
        Score(raw=0.4, ci=(0.5, 0.3), ci_level=0.95)
    with pytest.raises(ValueError, match="ci_level"):
        Score(raw=0.4, ci=(0.3, 0.5), ci_level=95)


def test_labelled_values_round_trip_and_read_the_older_layout():
    s = _labelled().with_ceiling(0.8)
    back = Score.from_dict(json.loads(json.dumps(s.to_dict(), allow_nan=False)))
    assert back == s
    assert back.values["neuroid"]["neuroid"].values.tolist() == ["a", "b", "c"]
    old = {"raw": 0.4, "values": {"neuroid": [0.1, None]}, "labels": {"neuroid": ["a", "b"]}, "meta": {}}
    older = Score.from_dict(old)
    assert older.values["neuroid"]["neuroid"].values.tolist() == ["a", "b"]
    assert np.isnan(older.values["neuroid"].values[1])
