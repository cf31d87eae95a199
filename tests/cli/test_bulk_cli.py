"""`brainmark score --models ...` and `brainmark reproduce schrimpf2018` on the tiny network."""
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from brainmark.cli.main import app
from brainmark.scoring.results import ResultsRecord

runner = CliRunner()
BENCHMARKS = ["Coggan2024.IT-rsa", "Geirhos2021edge-error_consistency"]


@pytest.mark.parametrize("args, message", [
    (["score"], "name a MODEL"),
    (["score", "--models", "tinynet-test,resnet18", "Coggan2024.IT-rsa", "--output", "x.json"], "is a folder"),
    (["score", "--models", "tinynet-test", "--workers", "2", "--scheduler", "tls://127.0.0.1:1"], "give one of them"),
    (["score", "--models", "tinynet-test", "--scheduler", "tcp://127.0.0.1:1"], "--insecure-scheduler"),
    (["score", "--models", "tinynet-test", "--scheduler", "tls://127.0.0.1:1"], "certificates"),
    (["score", "--models", "tinynet-test", "--scheduler", "tls://127.0.0.1:1", "--tls-cert", "c.pem"],
     "missing --tls-ca-file, --tls-key"),
    (["score", "tinynet-test", "--tls-cert", "c.pem"], "apply to --scheduler only"),
    (["score", "--models", "tinynet-test", "nope-benchmark"], "unknown benchmark"),
    (["reproduce", "schrimpf2018", "--workers", "0"], "at least 1"),
    (["score", "tinynet-test", "--data", "d.nc", "--stimuli", "s.csv", "--workers", "2"], "in this process only"),
])
def test_bad_combinations_are_refused_with_the_reason(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split()), result.output


@pytest.mark.slow
def test_several_models_one_record_each_and_a_rerun_keeps_them(shared_data, brainmark_home, tmp_path):
    listed = tmp_path / "models.txt"
    listed.write_text("tinynet-test-untrained  # the control\n")
    out = tmp_path / "results"
    args = ["score", "--models", "tinynet-test", "--models-from", str(listed), *BENCHMARKS, "--output", str(out),
            "--batch-size", "8"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    text = " ".join(first.output.split())
    assert "brainmark scores: 2 models" in text and "finished tinynet-test-untrained: 2/2 benchmarks" in text
    assert max(len(line) for line in first.output.splitlines()) <= 80
    records = {name: ResultsRecord.load(out / f"{name}.json") for name in ("tinynet-test", "tinynet-test-untrained")}
    assert records["tinynet-test-untrained"].model["options"] == {"untrained": True, "batch_size": 8}
    assert [s.benchmark for s in records["tinynet-test"].scores] == BENCHMARKS
    assert (out / "report.html").is_file() and (out / "tinynet-test.csv").is_file()
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and again.output.count("kept (complete)") == 2
    assert "skipped tinynet-test:" in " ".join(again.output.split())
    assert ResultsRecord.load(out / "tinynet-test.json") == records["tinynet-test"]  # not rewritten


@pytest.mark.slow
def test_reproduce_writes_the_report_says_which_data_and_resumes(shared_data, brainmark_home, tmp_path):
    out = tmp_path / "s18"
    args = ["reproduce", "schrimpf2018", "--models", "tinynet-test,tinynet-test-untrained", "--output", str(out)]
    first = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert first.exit_code == 0, first.output  # the tiny network has ImageNet outputs: every benchmark runs
    text = " ".join(first.output.split())
    assert "MajajHong2015.V4-pls cannot be loaded" in text and "Cowley2023.V4-pls" in text
    assert "Table 1" in text and "Figure 1, all (n=2)" in text
    manifest = json.loads((out / "reproduce.json").read_text())
    assert manifest["benchmarks"][:2] == ["Coggan2024.V4-rsa", "Cowley2023.V4-pls"] and manifest["seconds"] > 0
    assert [g["available"] for g in manifest["plan"]] == [False, False, False]
    assert "no network and no mirror copy" in manifest["plan"][0]["reason"]
    table = pd.read_csv(out / "table1.csv", comment="#")
    assert set(table["model"]) == {"tinynet-test", "tinynet-test-untrained"} and table["V4"].notna().all()
    assert "stand in: Coggan2024.V4-rsa, Cowley2023.V4-pls" in (out / "table1.md").read_text()
    assert "not run: no I2n benchmark" in (out / "report.html").read_text()
    record_file = out / "tinynet-test.json"  # as if the run had been interrupted before its last benchmark
    record = json.loads(record_file.read_text())
    dropped = record["scores"].pop()["benchmark"]
    record_file.write_text(json.dumps(record))
    again = runner.invoke(app, args, env={"COLUMNS": "200"})
    text = " ".join(again.output.split())
    assert again.exit_code == 0, again.output
    assert "resuming tinynet-test: 10 of 11 benchmarks finished earlier are kept" in text  # only the missing one runs
    assert "skipped tinynet-test-untrained" in text and f"tinynet-test x {dropped}: done" in text
    assert dropped in {s["benchmark"] for s in json.loads(record_file.read_text())["scores"]}
