import json

import pytest

from brainmark.benchmarks import BENCHMARKS, Benchmark, benchmark_identifiers, load_benchmark
from brainmark.benchmarks import ceilings as ceiling_cache

OFFICIAL = ["MajajHong2015.V4-pls", "MajajHong2015.IT-pls", "MajajHong2015public.V4-pls", "MajajHong2015public.IT-pls",
            "Rajalingham2018-i2n", "Rajalingham2018public-i2n"]
OFFLINE = ["Coggan2024.IT-rsa", "Coggan2024.V1-rsa", "Coggan2024.V2-rsa", "Coggan2024.V4-rsa", "Cowley2023.V4-pls",
           "Geirhos2021edge-accuracy", "Geirhos2021edge-error_consistency", "Geirhos2021silhouette-accuracy",
           "Geirhos2021cueconflict-error_consistency", "Geirhos2021cueconflict-shape_bias",
           "Geirhos2021silhouette-error_consistency", "Hermann2020cueconflict-shape_bias",
           "Hermann2020cueconflict-shape_match", "Kriegeskorte2008.humanIT-rsa", "Kriegeskorte2008.monkeyIT-rsa",
           "Mur2013.judgements-rsa"]


def test_registered_identifiers():
    assert sorted(benchmark_identifiers()) == sorted(OFFICIAL + OFFLINE)
    assert benchmark_identifiers(offline_only=True) == sorted(OFFLINE)
    for identifier in OFFICIAL + OFFLINE:
        b = load_benchmark(identifier)
        assert isinstance(b, Benchmark) and b.identifier == identifier and b.version >= 1
        assert b.bibtex.startswith("@") and b.description
        assert BENCHMARKS.factory(identifier).offline is b.offline


def test_unknown_benchmark_suggests_close_matches():
    with pytest.raises(KeyError, match="Did you mean: Cowley2023.V4-pls"):
        load_benchmark("Cowley2023.V4-pl")


@pytest.mark.parametrize("identifier", OFFICIAL)
def test_official_benchmarks_fail_clearly_offline(identifier, brainmark_home, monkeypatch):
    from brainmark.data.store import DataFetchError

    monkeypatch.delenv("BRAINMARK_DATA_MIRROR", raising=False)
    with pytest.raises(DataFetchError, match="mirror"):
        load_benchmark(identifier).ceiling


def test_official_settings():
    b = load_benchmark("MajajHong2015.IT-pls")
    assert (b.visual_degrees, b.number_of_trials, b.metric_name, b.ceiling_name) == (8.0, 50, "pls", "internal_consistency")
    assert b.selection_stimulus_set == "MajajHong2015.public" and b.stimulus_set == "MajajHong2015.private"
    i2n = load_benchmark("Rajalingham2018-i2n")
    assert i2n.metric_name == "i2n" and i2n.fitting_stimulus_set == "Rajalingham2018.public"


def test_ceiling_computed_once_and_cached_on_disk(shared_data, brainmark_home, monkeypatch):
    ceiling_cache.clear_memory_cache()
    first = load_benchmark("Kriegeskorte2008.humanIT-rsa").ceiling
    files = list((brainmark_home / "ceilings").glob("rsa-*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["meta"]["data_checksum"]
    assert 0.2 < first.raw < 0.6  # lower bound of the human IT noise ceiling (4 subjects)

    ceiling_cache.clear_memory_cache()
    import brainmark.metrics as metrics

    monkeypatch.setattr(metrics, "load_ceiling", lambda *a, **k: pytest.fail("ceiling recomputed despite the cache"))
    again = load_benchmark("Kriegeskorte2008.humanIT-rsa").ceiling
    assert again.raw == first.raw and again.error == first.error


def test_corrupt_ceiling_cache_is_recomputed(shared_data, brainmark_home):
    ceiling_cache.clear_memory_cache()
    first = load_benchmark("Coggan2024.V1-rsa").ceiling
    (path,) = (brainmark_home / "ceilings").glob("rsa-*.json")
    path.write_text("{not json")
    ceiling_cache.clear_memory_cache()
    assert load_benchmark("Coggan2024.V1-rsa").ceiling.raw == first.raw
    assert json.loads(path.read_text())["raw"] == first.raw
