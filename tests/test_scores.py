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
