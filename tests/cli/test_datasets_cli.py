"""``brainmark datasets list | show | fetch`` through Typer's test runner."""
from __future__ import annotations

from typer.testing import CliRunner

from brainmark.cli.main import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200", "BRAINMARK_PROGRESS": "0"})


def test_list_shows_every_dataset_with_kind_license_and_availability(brainmark_home):
    result = invoke("datasets", "list")
    assert result.exit_code == 0, result.output
    for text in ("Kriegeskorte2008.monkeyIT", "Cowley2023.210325", "MajajHong2015.public", "ImageNetSamples",
                 "shipped", "GPL-3.0", "rdm", "behavioral"):
        assert text in result.output
    neural = invoke("datasets", "list", "--kind", "neural")
    assert "Cowley2023.201025" in neural.output and "Kriegeskorte2008.monkeyIT" not in neural.output


def test_show_prints_citation_files_and_urls():
    result = invoke("datasets", "show", "Cowley2023.210325")
    assert result.exit_code == 0, result.output
    for text in ("responses_raw_210325.npy", "sha256:4008dbbf", "raw.githubusercontent.com/cowleygroup",
                 "cowley2023_v4/responses_raw/responses_210325.npy", "@article{cowley2023compact", "640"):
        assert text in result.output
    official = invoke("datasets", "show", "MajajHong2015.public")
    assert "sha1:13d28ca0ce88ee550b54db3004374ae19096e9b9" in official.output


def test_show_unknown_identifier_suggests():
    result = invoke("datasets", "show", "Cowley2023.21032")
    assert result.exit_code != 0 and "Cowley2023.210325" in result.output


def test_fetch_from_mirror_then_cached(shared_data, brainmark_home):
    result = invoke("datasets", "fetch", "Cowley2023.210225", "Kriegeskorte2008.monkeyIT")
    assert result.exit_code == 0, result.output
    assert "Cowley2023.210225 (neural)" in result.output and "verified" in result.output
    listing = invoke("datasets", "list", "--kind", "neural")
    line = next(l for l in listing.output.splitlines() if "Cowley2023.210225" in l)
    assert "cached" in line


def test_fetch_failure_exits_nonzero_with_hint(brainmark_home, monkeypatch):
    monkeypatch.setenv("BRAINMARK_DATA_MIRROR", "")
    monkeypatch.setattr("brainmark.data.store.time.sleep", lambda seconds: None)
    monkeypatch.setattr("urllib.request.urlopen", _offline)
    result = invoke("datasets", "fetch", "Rajalingham2018.public")
    assert result.exit_code == 1
    assert "BRAINMARK_DATA_MIRROR" in result.output and "assy_dicarlo_Rajalingham2018_public.nc" in result.output


def _offline(*args, **kwargs):
    import urllib.error

    raise urllib.error.URLError("network is unreachable (test)")
