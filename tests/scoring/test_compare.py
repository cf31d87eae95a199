"""brainmark.compare and `brainmark compare`: paired comparisons from results files, and the refusals."""
import copy
import json

import pytest
from typer.testing import CliRunner

import brainmark
from brainmark.cli.main import app
from brainmark.scoring import score_model
from brainmark.scoring.compare import ComparisonError
from brainmark.scoring.results import ResultsRecord

BENCHMARKS = ["Geirhos2021edge-error_consistency", "Coggan2024.V1-rsa"]
KEYS = {"a", "b", "benchmark", "difference", "ci", "p", "p_adjusted"}


@pytest.fixture(scope="module")
def records(tmp_path_factory, shared_data):
    from brainmark.models.loading import register_model
    from tests.conftest import _tiny_spec

    register_model("tinynet-test", _tiny_spec, imagenet_top1=1.0, replace=True)
    folder = tmp_path_factory.mktemp("records")
    out = []
    for name, options in (("trained", {}), ("untrained", {"untrained": True}), ("other", {"untrained": True, "seed": 4})):
        record = score_model("tinynet-test", BENCHMARKS + (["Geirhos2021silhouette-error_consistency"] if name == "other" else []),
                             model_options=options)
        path = folder / f"{name}.json"
        record.save(path)
        out.append(path)
    return out


def test_paired_comparisons_rankings_and_reliability(records):
    report = brainmark.compare(records)
    assert report.models == ["tinynet-test", "tinynet-test-untrained", "tinynet-test-untrained-seed4"]
    names = {(c.a, c.b, c.benchmark) for c in report.comparisons}
    assert ("tinynet-test", "tinynet-test-untrained", "Coggan2024.V1-rsa") in names
    assert ("tinynet-test", "tinynet-test-untrained", "hierarchical") in names
    for c in report.comparisons:
        assert c.p_adjusted >= c.p - 1e-12 and c.ci[0] <= c.ci[1] and 0 < c.p <= 1
    silhouette = [c for c in report.comparisons if c.benchmark.startswith("Geirhos2021silhouette")]
    assert not silhouette and any("scored by" in n and "only" in n for n in report.notes)
    hierarchical = next(r for r in report.rankings if r.composite == "hierarchical")
    assert [row.rank for row in hierarchical.rows] == sorted(row.rank for row in hierarchical.rows)
    assert hierarchical.rows[0].tied_with_best
    assert hierarchical.left_out == {"tinynet-test-untrained-seed4": ["Geirhos2021silhouette-error_consistency"]}
    assert {r.composite for r in report.rankings} >= {"hierarchical", "brainscore2018", "zscore-mean", "mean-rank"}
    assert {r.benchmark for r in report.reliability} == set(BENCHMARKS)
    d = report.to_dict()
    assert set(d["comparisons"][0]) >= KEYS and d["adjust"] == "holm"
    json.dumps(d, allow_nan=False)
    bh = brainmark.compare(records, adjust="bh")
    assert all(x.p == y.p and y.p_adjusted <= x.p_adjusted + 1e-12 for x, y in zip(report.comparisons, bh.comparisons))
    again = brainmark.compare(records).to_dict()  # results files alone: the same numbers every time
    assert json.dumps(again, sort_keys=True) == json.dumps(d, sort_keys=True)


def _edited(path, tmp_path, edit):
    data = json.loads(path.read_text())
    edit(data)
    out = tmp_path / f"edited-{path.name}"
    out.write_text(json.dumps(data))
    return out


def test_records_that_cannot_be_paired_are_refused_with_the_reason(records, tmp_path):
    with pytest.raises(ComparisonError, match="at least two results records"):
        brainmark.compare(records[:1])

    def strip(data):
        for s in data["scores"]:
            s["score"]["values"].pop("bootstrap")

    with pytest.raises(ComparisonError, match="has no bootstrap replicates for .* rescore it"):
        brainmark.compare([records[0], _edited(records[1], tmp_path, strip)])

    def version(data):
        data["scores"][0]["benchmark_version"] = 99

    with pytest.raises(ComparisonError, match="differs in benchmark version"):
        brainmark.compare([records[0], _edited(records[1], tmp_path, version)])

    def checksum(data):
        data["scores"][0]["score"]["meta"]["data_checksum"] = "0" * 64

    with pytest.raises(ComparisonError, match="differs in data checksum"):
        brainmark.compare([records[0], _edited(records[1], tmp_path, checksum)])
    with pytest.raises(ComparisonError, match="several records of model"):
        brainmark.compare([records[0], records[0]])
    with pytest.raises(ComparisonError, match="unknown adjustment"):
        brainmark.compare(records, adjust="bonferroni")


def test_compare_command_prints_tables_and_writes_json(records, tmp_path):
    out = tmp_path / "comparisons.json"
    result = CliRunner().invoke(app, ["compare", *map(str, records), "--json", str(out)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    for text in ("paired comparisons", "ranking on hierarchical", "tied with best", "benchmark reliability"):
        assert text in result.output
    written = json.loads(out.read_text())
    assert {"comparisons", "rankings", "reliability"} <= set(written) and set(written["comparisons"][0]) >= KEYS
    refused = CliRunner().invoke(app, ["compare", str(records[0])])
    assert refused.exit_code == 2 and "at least two results records" in refused.output


def test_every_score_and_composite_carries_its_interval(records):
    record = ResultsRecord.load(records[0])
    for entry in [*record.scores, *record.composites]:
        score = entry.score
        assert score.ci is not None and score.ci_level == 0.95 and score.ci[0] <= float(score) <= score.ci[1]
        assert {"bootstrap", "bootstrap_stimuli", "bootstrap_units"} <= set(score.values)
    meta = record.scores[0].score.meta["bootstrap"]
    assert meta["n_resamples"] == 1000 and meta["seed"] == 0 and meta["resampled"]["subject"] == 10
    again = copy.deepcopy(json.loads(records[0].read_text()))
    assert again["scores"][0]["score"]["ci"] == list(record.scores[0].score.ci)
