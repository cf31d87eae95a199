"""Bulk scoring (brainmark.scoring.score_models): serial = score_model, executors = serial, resumable records."""
import json

import pytest

from brainmark.compute import LocalExecutor, SerialExecutor
from brainmark.errors import BrainmarkError
from brainmark.scoring import ModelRequest, score_model, score_models
from brainmark.scoring.bulk import read_models_file, record_path
from brainmark.scoring.results import ResultsRecord

BENCHMARKS = ["Coggan2024.V1-rsa", "Geirhos2021edge-error_consistency"]
MODELS = ["tinynet-test", "tinynet-test-untrained"]


def _same(a: ResultsRecord, b: ResultsRecord) -> bool:
    left, right = a.without_timings(), b.without_timings()
    return json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)


def test_model_requests_and_models_files(tmp_path):
    assert ModelRequest.parse("alexnet-untrained") == ModelRequest("alexnet", {"untrained": True})
    assert ModelRequest.parse("alexnet", untrained=True, seed=3).label == "alexnet-untrained-seed3"
    request = ModelRequest.parse("resnet18", device="cuda", batch_size=64)
    assert request.label == "resnet18" and request.identity == {}  # where it runs is not which model it is
    assert record_path(tmp_path, "a/b.py:make") == tmp_path / "b.py_make.json"
    assert record_path(tmp_path, "timm:resnet10t-untrained") == tmp_path / "timm_resnet10t-untrained.json"
    listed = tmp_path / "models.txt"
    listed.write_text("# the controls\nalexnet-untrained\nresnet18, cornet-z  # two on a line\n\n")
    assert read_models_file(listed) == ["alexnet-untrained", "resnet18", "cornet-z"]
    listed.write_text("# nothing\n")
    with pytest.raises(BrainmarkError, match="names no model"):
        read_models_file(listed)
    with pytest.raises(BrainmarkError, match="twice"):
        score_models(["tinynet-test", "tinynet-test"], BENCHMARKS)


@pytest.mark.slow
def test_serial_bulk_scoring_is_score_model_and_writes_one_record_per_model(shared_data, brainmark_home,
                                                                            fresh_home, tmp_path):
    lines = []
    result = score_models(MODELS, BENCHMARKS, output=tmp_path / "out", log=lines.append)
    assert [r.model_identifier for r in result.records] == MODELS and not result.failed and not result.skipped
    for name, record in zip(MODELS, result.records):
        path = tmp_path / "out" / f"{name}.json"
        assert result.paths[name] == path and path.with_suffix(".csv").is_file()
        assert _same(ResultsRecord.load(path), record)
    assert not list((tmp_path / "out").glob("*.partial.json"))
    assert sum("finished" in line for line in lines) == 2 and "jobs 4/4 done" in lines[-1]
    fresh_home()  # the reference recomputes everything
    for name, record in zip(MODELS, result.records):
        assert _same(record, score_model(name.removesuffix("-untrained"), BENCHMARKS,
                                         model_options={"untrained": True} if "untrained" in name else None))


@pytest.mark.slow
def test_jobs_on_an_executor_go_benchmark_major_and_equal_serial_scoring(shared_data, brainmark_home, fresh_home):
    serial = score_models(MODELS, BENCHMARKS).records

    class Recording(SerialExecutor):
        submitted: list = []

        def submit(self, fn, *args, **kwargs):
            self.submitted.append((args[0] + ("-untrained" if args[1].get("untrained") else ""), args[-1]))
            return super().submit(fn, *args, **kwargs)

    fresh_home()
    recording = Recording()
    assert all(_same(a, b) for a, b in zip(score_models(MODELS, BENCHMARKS, executor=recording).records, serial))
    assert recording.submitted == [(m, b) for b in BENCHMARKS for m in MODELS]  # benchmark-major
    fresh_home()
    with LocalExecutor(2, "thread") as pool:
        threaded = score_models(MODELS, BENCHMARKS, executor=pool).records
    assert all(_same(a, b) for a, b in zip(threaded, serial))


@pytest.mark.slow
def test_a_rerun_skips_complete_records_and_rescores_changed_ones(shared_data, brainmark_home, tmp_path):
    out = tmp_path / "out"
    first = score_models(MODELS, BENCHMARKS, output=out)
    lines = []
    again = score_models(MODELS, BENCHMARKS, output=out, log=lines.append)
    assert set(again.skipped) == set(MODELS) and all("complete" in why for why in again.skipped.values())
    assert all(_same(a, b) for a, b in zip(again.records, first.records))
    assert sum(line.startswith("skipped ") for line in lines) == 2
    # an older benchmark version in one record: that model is scored again, the other is kept
    path = out / "tinynet-test.json"
    data = json.loads(path.read_text())
    data["scores"][0]["benchmark_version"] = 0
    path.write_text(json.dumps(data))
    third = score_models(MODELS, BENCHMARKS, output=out)
    assert set(third.skipped) == {"tinynet-test-untrained"}
    assert ResultsRecord.load(path).scores[0].benchmark_version == 1
    # a different benchmark set is not the same record
    fourth = score_models(MODELS, BENCHMARKS[:1], output=out)
    assert not fourth.skipped


@pytest.mark.slow
def test_an_interrupted_run_keeps_finished_jobs_and_continues(shared_data, brainmark_home, fresh_home, tmp_path,
                                                              monkeypatch):
    import brainmark.scoring.api as api

    out = tmp_path / "out"
    real = api.run_benchmark
    calls = []

    def interrupted(model, benchmark, **kw):
        calls.append(benchmark)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C during the second job
        return real(model, benchmark, **kw)

    monkeypatch.setattr(api, "run_benchmark", interrupted)
    with pytest.raises(KeyboardInterrupt):
        score_models(MODELS[:1], BENCHMARKS, output=out)
    monkeypatch.setattr(api, "run_benchmark", real)
    partial = out / "tinynet-test.partial.json"
    assert [s.benchmark for s in ResultsRecord.load(partial).scores] == BENCHMARKS[:1]
    assert not (out / "tinynet-test.json").exists()  # an unfinished model has no record yet
    lines = []
    resumed = score_models(MODELS[:1], BENCHMARKS, output=out, log=lines.append)
    assert resumed.reused == {"tinynet-test": BENCHMARKS[:1]} and "resuming tinynet-test: 1 of 2" in lines[0]
    assert not partial.exists()
    fresh_home()
    assert _same(resumed.records[0], score_model("tinynet-test", BENCHMARKS))


@pytest.mark.slow
def test_a_model_that_does_not_load_fails_alone(shared_data, brainmark_home, tmp_path):
    for executor in (None, SerialExecutor()):
        result = score_models(["no-such-model", "tinynet-test"], BENCHMARKS[:1], executor=executor,
                              output=tmp_path / str(executor))
        assert result.failed == {"no-such-model": BENCHMARKS[:1]}
        broken = result.records[0].scores[0].score
        assert "no-such-model" in broken.meta["failed"] and result.records[1].scores[0].score.ci is not None
    with pytest.raises(KeyError):
        score_models(["no-such-model"], BENCHMARKS[:1], errors="raise")
