import json
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from brainmark.cli.main import app

runner = CliRunner()


def test_benchmarks_list_and_show(shared_data):
    result = runner.invoke(app, ["benchmarks", "list", "--offline"])
    assert result.exit_code == 0, result.output
    assert "Cowley2023.V4-pls" in result.output and "MajajHong2015" not in result.output
    result = runner.invoke(app, ["benchmarks", "show", "MajajHong2015.IT-pls"])
    assert result.exit_code == 0 and "online only" in result.output and "number_of_trials: 50" in result.output
    unknown = runner.invoke(app, ["benchmarks", "show", "nope"])
    assert unknown.exit_code == 2 and "unknown benchmark 'nope'" in unknown.output
    assert "Kriegeskorte2008.humanIT-rsa" in unknown.output  # the known identifiers are listed


@pytest.mark.slow
def test_score_output_verify_and_report(shared_data, brainmark_home, tmp_path):
    out = tmp_path / "results" / "tiny.json"
    result = runner.invoke(app, ["score", "tinynet-test", "Coggan2024.V1-rsa", "Geirhos2021edge-error_consistency",
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    for text in ("Coggan2024.V1-rsa", "Geirhos2021edge-error_consistency", "brainscore2018", "hierarchical", "ceiled"):
        assert text in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80  # not a terminal: fitted to 80 columns
    assert "not shown at 80 columns: ceiling, error, layer, time" in result.output
    assert "interval" in result.output and "95% bootstrap of the ceiled value" in result.output
    record = json.loads(out.read_text())
    assert record["schema"] == "brainmark.results/1" and len(record["scores"]) == 2
    assert all(s["layer"] for s in record["scores"])  # what the narrow table leaves out is in the JSON
    wide = runner.invoke(app, ["score", "tinynet-test", "Coggan2024.V1-rsa"], env={"COLUMNS": "160"})
    header = next(line for line in wide.output.splitlines() if "benchmark" in line)
    assert "layer" in header and "time" in header and "not shown" not in wide.output
    csv = pd.read_csv(out.with_suffix(".csv"))
    assert list(csv["identifier"]) == ["Coggan2024.V1-rsa", "Geirhos2021edge-error_consistency", "brainscore2018", "hierarchical"]
    assert (tmp_path / "results" / "report.html").is_file() and (tmp_path / "results" / "benchmarks.svg").is_file()

    verified = runner.invoke(app, ["verify", str(out)])
    assert verified.exit_code == 0, verified.output
    assert "identical" in verified.output

    record["scores"][0]["score"]["raw"] += 0.01
    inconsistent = tmp_path / "inconsistent.json"
    inconsistent.write_text(json.dumps(record))  # raw no longer matches its ceiled value: refused on load
    refused = runner.invoke(app, ["verify", str(inconsistent)])
    assert refused.exit_code != 0 and "inconsistent score" in refused.output
    record["scores"][0]["score"]["ceiled"] = record["scores"][0]["score"]["ceiled_error"] = None  # recomputed
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(record))
    failed = runner.invoke(app, ["verify", str(tampered)])
    assert failed.exit_code == 1 and "raw" in failed.output and "ceiled" in failed.output

    report = runner.invoke(app, ["report", str(out), "--output", str(tmp_path / "rep")])
    assert report.exit_code == 0, report.output
    assert (tmp_path / "rep" / "report.html").read_text().count("data:image/png;base64,") >= 2


def test_score_failure_and_bad_input(shared_data, brainmark_home, tmp_path, monkeypatch):
    monkeypatch.delenv("BRAINMARK_DATA_MIRROR", raising=False)
    out = tmp_path / "out" / "failed.json"
    result = runner.invoke(app, ["score", "tinynet-test", "MajajHong2015.V4-pls", "--output", str(out), "--no-plots"])
    assert result.exit_code == 1 and "1 benchmark(s) failed: MajajHong2015.V4-pls" in result.output
    failed = json.loads(out.read_text())["scores"][0]["score"]["meta"]["failed"]  # recorded, not lost
    assert "DataUnavailableError" in failed and "BRAINMARK_DATA_MIRROR" in failed

    written = tmp_path / "none.json"
    result = runner.invoke(app, ["score", "tinynet-test", "NoSuchBenchmark", "--output", str(written)])
    assert result.exit_code == 2 and "unknown benchmark 'NoSuchBenchmark'" in result.output
    assert "Coggan2024.V1-rsa" in result.output and not written.exists()
    result = runner.invoke(app, ["score", "tinynet-test", "--data", str(tmp_path / "x.nc"), "--output", str(written)])
    assert result.exit_code == 2 and "--data and --stimuli go together" in result.output
    assert not written.exists()


def test_bring_your_own_data(shared_data, brainmark_home, tmp_path):
    import numpy as np
    import xarray as xr

    from brainmark.datasets import load_stimulus_set

    stimuli = load_stimulus_set("Kriegeskorte2008")
    rows = []
    for sid, path in zip(stimuli.stimulus_ids, stimuli.image_paths):
        shutil.copy(path, tmp_path / f"{sid}.png")
        rows.append({"stimulus_id": sid, "image_path": f"{sid}.png"})
    pd.DataFrame(rows).to_csv(tmp_path / "stim.csv", index=False)
    rng = np.random.default_rng(1)
    xr.DataArray(rng.standard_normal((92, 5, 3)), dims=("presentation", "neuroid", "repetition"),
                 coords={"stimulus_id": ("presentation", stimuli.stimulus_ids)}).to_netcdf(tmp_path / "rec.nc")
    result = runner.invoke(app, ["score", "tinynet-test", "--data", str(tmp_path / "rec.nc"), "--stimuli",
                                 str(tmp_path / "stim.csv"), "--metric", "ridge", "--region", "V4",
                                 "--output", str(tmp_path / "byod.json"), "--no-plots"])
    assert result.exit_code == 0, result.output
    assert "custom.rec.V4-ridge" in result.output
    record = json.loads((tmp_path / "byod.json").read_text())
    assert record["scores"][0]["score"]["meta"]["metric"] == "ridge"


@pytest.mark.slow
def test_results_folder_report_compares_all_models(shared_data, brainmark_home, tmp_path):
    folder = tmp_path / "results"
    for extra in ([], ["--untrained"]):
        result = runner.invoke(app, ["score", "tinynet-test", "Coggan2024.V1-rsa", "--output", str(folder), *extra])
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.glob("*.json")) == ["tinynet-test-untrained.json", "tinynet-test.json"]
    page = (folder / "report.html").read_text()
    assert "<td>tinynet-test</td>" in page and "<td>tinynet-test-untrained</td>" in page
