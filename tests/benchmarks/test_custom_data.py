"""Bring your own data: recordings (netCDF) + stimuli (CSV) become a benchmark."""
import math
import shutil

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from brainmark.benchmarks.base import BenchmarkError
from brainmark.benchmarks.custom import custom_benchmark, load_recordings, load_stimuli_csv, split_stimuli


@pytest.fixture
def user_files(tmp_path, shared_data, brainmark_home, make_tiny_model):
    """Responses = a linear map of the tiny model's block2 features + noise, 4 repetitions; images copied."""
    from brainmark.datasets import load_stimulus_set

    stimuli = load_stimulus_set("Kriegeskorte2008")
    images = tmp_path / "images"
    images.mkdir()
    rows = []
    for sid, path in zip(stimuli.stimulus_ids, stimuli.image_paths):
        shutil.copy(path, images / f"{sid}.png")
        rows.append({"stimulus_id": sid, "filename": f"images/{sid}.png"})
    pd.DataFrame(rows).to_csv(tmp_path / "stimuli.csv", index=False)
    features = make_tiny_model().layer_activations(stimuli, ["block2"])["block2"].values
    rng = np.random.default_rng(0)
    signal = (features - features.mean(0)) / (features.std(0) + 1e-9) @ rng.standard_normal((features.shape[1], 12))
    signal /= signal.std(0)
    responses = signal[:, :, None] + 0.7 * rng.standard_normal(signal.shape + (4,))
    da = xr.DataArray(responses, dims=("presentation", "neuroid", "repetition"),
                      coords={"stimulus_id": ("presentation", stimuli.stimulus_ids)})
    da.to_netcdf(tmp_path / "rec.nc")
    return tmp_path / "rec.nc", tmp_path / "stimuli.csv"


def test_custom_benchmark_scores_with_ceiling(user_files, make_tiny_model):
    data, stimuli = user_files
    benchmark = custom_benchmark(data, stimuli, metric="pls", region="IT")
    score = benchmark(make_tiny_model())
    assert benchmark.identifier == "custom.rec.IT-pls"
    assert 0.5 < score.ceiling <= 1.0  # the simulated noise leaves a clearly reliable signal
    assert math.isfinite(score.raw) and score.raw > 0.2
    assert set(score.meta["layer_scores"]) == {"block1", "block2", "pool"}
    all_ids = list(xr.load_dataarray(data)["stimulus_id"].values.astype(str))
    selection, scored = split_stimuli(all_ids)
    assert not set(selection) & set(scored) and len(selection) + len(scored) == 92
    assert sorted(benchmark.target["stimulus_id"].values.astype(str)) == scored


def test_custom_without_repetitions_has_no_ceiling(user_files, tmp_path, make_tiny_model):
    data, stimuli = user_files
    averaged = xr.load_dataarray(data).mean("repetition")
    averaged.to_netcdf(tmp_path / "avg.nc")
    score = custom_benchmark(tmp_path / "avg.nc", stimuli)(make_tiny_model())
    assert math.isfinite(score.raw) and math.isnan(score.ceiled)
    assert "no repetitions" in score.meta["ceiling"]["ceiling"]


def test_bad_user_files_give_clear_errors(user_files, tmp_path):
    data, stimuli = user_files
    with pytest.raises(BenchmarkError, match="does not exist"):
        load_recordings(tmp_path / "missing.nc")
    xr.DataArray(np.zeros((3, 2)), dims=("a", "b")).to_netcdf(tmp_path / "bad.nc")
    with pytest.raises(BenchmarkError, match="presentation x neuroid"):
        load_recordings(tmp_path / "bad.nc")
    pd.DataFrame({"stimulus_id": ["a"], "filename": ["nope.png"]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(BenchmarkError, match="do not exist"):
        load_stimuli_csv(tmp_path / "bad.csv", 8.0)
    pd.DataFrame({"stimulus_id": ["a"]}).to_csv(tmp_path / "nopath.csv", index=False)
    with pytest.raises(BenchmarkError, match="image path column"):
        load_stimuli_csv(tmp_path / "nopath.csv", 8.0)
    table = pd.read_csv(stimuli).iloc[:10]
    table.to_csv(tmp_path / "few.csv", index=False)
    with pytest.raises(BenchmarkError, match="not in"):
        custom_benchmark(data, tmp_path / "few.csv")
