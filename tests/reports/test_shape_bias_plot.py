"""The Fig.-4-style shape-bias plot: from a results record (object, JSON dict, or its scores) to a figure / SVG."""
import pytest

from brainmark.metrics.behavioral.imagenet16 import CATEGORIES
from brainmark.reports import shape_bias_figure, shape_bias_svg, write_report
from brainmark.reports.shape_bias import shape_bias_data
from brainmark.scores import Score
from brainmark.scoring.results import BenchmarkResult, ResultsRecord


def _record(name, model_bias):
    per_class = {c: model_bias for c in CATEGORIES}
    subjects = {f"subject-{k:02d}": {c: 0.9 + 0.01 * k for c in CATEGORIES} for k in range(1, 4)}
    ranges = {"none": {"shape_bias": 0.95, "per_class": {c: 0.95 for c in CATEGORIES}},
              "shape": {"shape_bias": 0.97, "per_class": {c: 0.97 for c in CATEGORIES}},
              "texture": {"shape_bias": 0.7, "per_class": {c: 0.7 for c in CATEGORIES}}}
    human = Score(raw=0.3, ceiling=0.98, convention="ratio", meta={
        "kind": "behavioral", "model_shape_bias": model_bias, "model_shape_bias_per_class": per_class,
        "human_shape_bias": 0.95, "human_shape_bias_per_class_per_subject": subjects, "human_range": ranges})
    official = Score(raw=model_bias, ceiling=1.0, convention="ratio", meta={
        "kind": "behavioral", "shape_bias": model_bias, "shape_bias_per_class": per_class, "human_range": ranges})
    scores = [BenchmarkResult("Geirhos2021cueconflict-shape_bias", 1, human),
              BenchmarkResult("Hermann2020cueconflict-shape_bias", 1, official)]
    return ResultsRecord(model={"identifier": name}, scores=scores, composites=[])


def test_data_from_a_record_its_json_and_its_scores():
    record = _record("net", 0.25)
    for source in (record, record.to_dict(), record.scores, {r.benchmark: r.score for r in record.scores}):
        data = shape_bias_data(source)
        assert data is not None and list(data.models.values())[0][0] == 0.25
        assert len(data.subjects) == 3 and data.human_overall == 0.95
        assert data.instructed["texture"]["cat"] == 0.7 and data.instructed["shape"]["cat"] == 0.97
    several = shape_bias_data([record, _record("other", 0.6)])
    assert list(several.models) == ["net", "other"]
    only_official = ResultsRecord(model={"identifier": "x"}, scores=[record.scores[1]], composites=[])
    assert shape_bias_data(only_official).models["x"][0] == 0.25 and not shape_bias_data(only_official).subjects


def test_figure_and_svg():
    fig = shape_bias_figure([_record("net", 0.25), _record("other", 0.6)])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(CATEGORIES)
    labels = ax.get_legend_handles_labels()[1]
    assert "net: 0.250" in labels and "other: 0.600" in labels and "humans (each subject)" in labels
    assert any("human range" in lab for lab in labels)
    svg = shape_bias_svg(_record("net", 0.25))
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and svg == shape_bias_svg(_record("net", 0.25))
    with pytest.raises(ValueError, match="no cue-conflict shape-bias score"):
        shape_bias_figure(ResultsRecord(model={"identifier": "x"}, scores=[], composites=[]))


def test_html_report_includes_the_plot(tmp_path):
    out = write_report([_record("net", 0.25)], tmp_path)
    assert tmp_path / "shape_bias.png" in out["images"] and tmp_path / "shape_bias.svg" in out["images"]
    assert 'alt="shape_bias"' in (tmp_path / "report.html").read_text()
