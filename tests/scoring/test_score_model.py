import json
import math
from pathlib import Path

import pytest

from brainmark.compute import LocalExecutor
from brainmark.scoring import score, score_model
from brainmark.scoring.results import ResultsRecord

BENCHMARKS = ["Kriegeskorte2008.humanIT-rsa", "Coggan2024.V4-rsa", "Geirhos2021edge-error_consistency"]


def test_score_by_identifiers(shared_data, brainmark_home):
    s = score("tinynet-test", "Coggan2024.V1-rsa")
    assert s.meta["benchmark"] == "Coggan2024.V1-rsa" and math.isfinite(s.ceiled)


def test_score_model_record_and_composites(shared_data, brainmark_home):
    record = score_model("tinynet-test", BENCHMARKS)
    assert [r.benchmark for r in record.scores] == BENCHMARKS
    assert record.model["identifier"] == "tinynet-test" and record.model["weights_sha256"]
    assert record.model["metadata"]["imagenet_top1"] == 1.0
    assert {"brainmark", "numpy", "torch", "python"} <= set(record.environment)
    assert [c.identifier for c in record.composites] == ["brainscore2018", "hierarchical"]
    assert record.scores[0].layer in {"block1", "block2", "pool"} and record.scores[0].seconds >= 0
    # JSON round trip
    back = ResultsRecord.from_dict(json.loads(record.to_json()))
    assert back.without_timings() == record.without_timings()


def _cache_files(home: Path) -> dict[str, int]:
    """Every file under ``home``'s caches (relative path -> modification time in ns)."""
    return {str(p.relative_to(home)): p.stat().st_mtime_ns for p in home.rglob("*") if p.is_file()}


def _computed_afresh(home: Path) -> None:
    """The run that just finished in the empty ``home`` computed (and stored) its activations, ceilings and layers."""
    for cache in ("activations", "ceilings", "commitments"):
        assert any((home / cache).rglob("*.json")), cache


@pytest.mark.slow
def test_executor_gives_the_numbers_of_serial_scoring(shared_data, brainmark_home, fresh_home):
    serial = score_model("tinynet-test", BENCHMARKS)
    home = fresh_home()  # the parallel run recomputes everything, it does not read the serial run's caches
    with LocalExecutor(2, "thread") as ex:
        parallel = score_model("tinynet-test", BENCHMARKS, executor=ex)
    _computed_afresh(home)
    assert parallel.without_timings()["scores"] == serial.without_timings()["scores"]
    assert parallel.without_timings()["composites"] == serial.without_timings()["composites"]


@pytest.mark.slow
def test_same_run_twice_bit_identical_apart_from_timings(shared_data, brainmark_home, fresh_home):
    first = score_model("tinynet-test", BENCHMARKS[:2])
    home = fresh_home()  # empty caches: the second run recomputes
    second = score_model("tinynet-test", BENCHMARKS[:2])
    _computed_afresh(home)
    assert json.dumps(first.without_timings(), sort_keys=True) == json.dumps(second.without_timings(), sort_keys=True)


@pytest.mark.slow
def test_a_warm_rerun_reads_the_caches_and_gives_the_same_numbers(shared_data, fresh_home):
    """The one test about the caches: a second run writes nothing and returns the first run's numbers."""
    from brainmark.benchmarks import ceilings
    from brainmark.data import registry

    home = fresh_home()
    first = score_model("tinynet-test", BENCHMARKS[:2])
    _computed_afresh(home)
    before = _cache_files(home)
    ceilings.clear_memory_cache()  # so the ceilings come from their files, not from this process's memory
    registry.clear_memory_cache()
    second = score_model("tinynet-test", BENCHMARKS[:2])
    assert _cache_files(home) == before  # every activation, ceiling and layer choice was read back
    assert json.dumps(first.without_timings(), sort_keys=True) == json.dumps(second.without_timings(), sort_keys=True)


def test_failures_are_recorded_or_raised(shared_data, brainmark_home, monkeypatch):
    from brainmark.data.store import DataFetchError

    monkeypatch.delenv("BRAINMARK_DATA_MIRROR", raising=False)
    record = score_model("tinynet-test", ["MajajHong2015.IT-pls"], errors="record")
    assert "DataUnavailableError" in record.scores[0].score.meta["failed"]
    assert record.composites == []
    json.loads(record.to_json())  # still valid JSON (NaN written as null)
    with pytest.raises(DataFetchError):
        score_model("tinynet-test", ["MajajHong2015.IT-pls"])
