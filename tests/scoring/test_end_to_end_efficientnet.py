"""End to end on the real offline data: pretrained vs untrained EfficientNet-Lite0 (the science check).

The IT benchmarks (Kriegeskorte2008 monkey and human IT, Coggan2024 IT) are run here; the full offline set
for both models is the `make demo` job and its numbers are recorded in bench/RESULTS.md.
"""
import json

import pytest

from brainmark.scoring import score_model

IT_BENCHMARKS = ["Kriegeskorte2008.monkeyIT-rsa", "Kriegeskorte2008.humanIT-rsa", "Coggan2024.IT-rsa"]


@pytest.mark.slow
def test_pretrained_beats_untrained_on_it_and_reruns_identically(shared_data, brainmark_home, fresh_home):
    pretrained = score_model("efficientnet-lite0", IT_BENCHMARKS)
    untrained = score_model("efficientnet-lite0", IT_BENCHMARKS, model_options={"untrained": True})
    assert untrained.model_identifier == "efficientnet-lite0-untrained"
    assert pretrained.model["weights_sha256"] != untrained.model["weights_sha256"]
    pre = {r.benchmark: r.score.ceiled for r in pretrained.scores}
    unt = {r.benchmark: r.score.ceiled for r in untrained.scores}
    for benchmark in IT_BENCHMARKS:
        assert pre[benchmark] > unt[benchmark], (benchmark, pre[benchmark], unt[benchmark])
    composite = {c.identifier: c.score.ceiled for c in pretrained.composites}
    assert composite["brainscore2018"] > {c.identifier: c.score.ceiled for c in untrained.composites}["brainscore2018"]

    home = fresh_home()  # empty caches: recomputed from scratch, the same numbers bit for bit
    again = score_model("efficientnet-lite0", IT_BENCHMARKS)
    assert any((home / "activations").rglob("*.npy")) and any((home / "ceilings").rglob("*.json"))
    assert json.dumps(again.without_timings(), sort_keys=True) == json.dumps(pretrained.without_timings(), sort_keys=True)
