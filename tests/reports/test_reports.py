import math

import pytest

from brainmark.reports import comparison_table, load_records, write_report
from brainmark.scores import Score
from brainmark.scoring.composites import compute_composites
from brainmark.scoring.results import BenchmarkResult, ResultsRecord


def _record(name, it, v4, beh, top1=None, created="2026-11-28T12:00:00+00:00"):
    def res(bench, value, kind="neural", region=None):
        score = Score(raw=value * 0.8, error=0.02, ceiling=0.8, ceiled=value, ceiled_error=0.025, convention="ratio",
                      meta={"kind": kind, "region": region, "layer_scores": {"l1": 0.1, "l2": value * 0.8, "l3": 0.2}})
        return BenchmarkResult(bench, 1, score, layer="l2", seconds=1.0)

    scores = [res("X.IT-rsa", it, region="IT"), res("X.V4-pls", v4, region="V4"), res("X.beh", beh, kind="behavioral")]
    model = {"identifier": name, "metadata": {"imagenet_top1": top1} if top1 else {}}
    return ResultsRecord(model=model, scores=scores, composites=compute_composites(scores), created=created)


def test_table_sorted_by_composite():
    table = comparison_table([_record("weak", 0.1, 0.2, 0.1), _record("strong", 0.7, 0.6, 0.4, top1=75.0)])
    assert list(table["model"]) == ["strong", "weak"]
    assert list(table.columns[:3]) == ["model", "brainscore2018", "hierarchical"]
    assert table.loc[0, "X.IT-rsa"] == pytest.approx(0.7)
    assert table.loc[0, "brainscore2018"] == pytest.approx((0.7 + 0.6 + 0.4) / 3)


def test_load_records_keeps_newest_per_model(tmp_path):
    old = _record("m", 0.1, 0.1, 0.1, created="2026-01-01T00:00:00+00:00")
    new = _record("m", 0.5, 0.5, 0.5, created="2026-11-28T00:00:00+00:00")
    new.save(tmp_path / "b.json")
    old.save(tmp_path / "a.json")
    records = load_records([tmp_path / "a.json", tmp_path / "b.json"])
    assert len(records) == 1 and records[0].scores[0].score.ceiled == pytest.approx(0.5)


def test_write_report_files_and_selfcontained_html(tmp_path):
    records = [_record("a", 0.5, 0.4, 0.3, top1=75.0), _record("b", 0.2, 0.3, math.nan)]
    out = write_report(records, tmp_path / "report")
    names = sorted(p.name for p in out["images"])
    assert names == ["benchmarks.png", "benchmarks.svg", "composite_vs_imagenet.png", "composite_vs_imagenet.svg",
                     "layers.png", "layers.svg"]
    assert all(p.stat().st_size > 1000 for p in out["images"])
    page = out["html"].read_text()
    assert page.count("data:image/png;base64,") == 3
    assert "<td>a</td>" in page and 'src="http' not in page
    assert out["csv"].read_text().splitlines()[0].startswith("model,brainscore2018")


def test_where_a_model_ran_is_not_part_of_its_name():
    from brainmark.reports.tables import model_label

    record = ResultsRecord(model={"identifier": "resnet18-untrained",
                                  "options": {"untrained": True, "seed": 3, "device": "cuda", "batch_size": 64}})
    assert model_label(record) == "resnet18-untrained (seed=3)"
