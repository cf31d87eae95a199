"""Pretrained vs untrained EfficientNet-Lite0 on real V4 recordings: the paired test must tell them apart."""
import pytest

import brainmark
from brainmark.scoring import score_model

pytestmark = pytest.mark.slow


def test_pretrained_beats_untrained_efficientnet_on_cowley_v4(shared_data, brainmark_home):
    records = [score_model("efficientnet-lite0", ["Cowley2023.V4-pls"], model_options=options)
               for options in ({}, {"untrained": True})]
    report = brainmark.compare(records)
    (benchmark,) = [c for c in report.comparisons if c.benchmark == "Cowley2023.V4-pls"]
    assert benchmark.a == "efficientnet-lite0" and benchmark.b == "efficientnet-lite0-untrained"
    assert benchmark.difference > 0 and benchmark.ci[0] > 0 and benchmark.p < 0.01
    ranking = next(r for r in report.rankings if r.composite == "hierarchical")
    assert ranking.rows[0].model == "efficientnet-lite0" and not ranking.rows[1].tied_with_best
