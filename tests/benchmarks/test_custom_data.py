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


def test_absolute_image_paths_are_accepted(user_files, tmp_path):
    _, stimuli = user_files
    table = pd.read_csv(stimuli)
    table["filename"] = [str((stimuli.parent / f).resolve()) for f in table["filename"]]
    table.to_csv(tmp_path / "absolute.csv", index=False)
    loaded = load_stimuli_csv(tmp_path / "absolute.csv", 8.0)
    assert loaded.image_paths == load_stimuli_csv(stimuli, 8.0).image_paths


@pytest.fixture
def user_matrices(user_files, tmp_path):
    """Six subjects' RDMs of the same noisy responses (dissimilarity; 1 = symmetric, as netCDF has no booleans)."""
    from brainmark.metrics.neural import rdm

    recordings = load_recordings(user_files[0]).mean("repetition")
    rng = np.random.default_rng(1)
    rdms = [rdm(recordings + 0.3 * rng.standard_normal(recordings.shape)).values for _ in range(6)]
    ids = list(recordings["stimulus_id"].values.astype(str))
    matrices = xr.DataArray(np.stack(rdms), dims=("subject", "stimulus_row", "stimulus_col"),
                            coords={"subject": [f"s{k}" for k in range(6)], "stimulus_row": ids, "stimulus_col": ids},
                            attrs={"kind": "dissimilarity", "symmetric": 1})
    matrices.to_netcdf(tmp_path / "rdms.nc")
    return tmp_path / "rdms.nc", user_files[1]


def test_custom_rsa_benchmark(user_matrices, make_tiny_model):
    data, stimuli = user_matrices
    benchmark = custom_benchmark(data, stimuli, metric="rsa", region="IT")
    assert benchmark.identifier == "custom.rdms.IT-rsa" and benchmark.same_stimuli is False
    score = benchmark(make_tiny_model())
    assert math.isfinite(score.raw) and 0 < score.ceiling <= 1 and score.ci is not None
    assert set(score.meta["layer_scores"]) == {"block1", "block2", "pool"}
    ids = list(xr.load_dataarray(data)["stimulus_row"].values.astype(str))
    selection, scored = split_stimuli(ids)
    assert sorted(benchmark.target["stimulus_row"].values.astype(str)) == scored
    assert sorted(benchmark._selection_loader()["stimulus_row"].values.astype(str)) == selection


def test_custom_rsa_bad_matrices(user_matrices, tmp_path):
    _, stimuli = user_matrices
    xr.DataArray(np.zeros((3, 4, 4)), dims=("region", "stimulus_row", "stimulus_col")).to_netcdf(tmp_path / "bad.nc")
    with pytest.raises(BenchmarkError, match=r"expected \[subject x\] stimulus_row x stimulus_col"):
        custom_benchmark(tmp_path / "bad.nc", stimuli, metric="rsa")
    ids = ["zz1", "zz2", "zz3"]
    xr.DataArray(np.zeros((3, 3)), dims=("stimulus_row", "stimulus_col"),
                 coords={"stimulus_row": ids, "stimulus_col": ids}).to_netcdf(tmp_path / "unknown.nc")
    with pytest.raises(BenchmarkError, match="3 stimulus ids of the matrices are not in"):
        custom_benchmark(tmp_path / "unknown.nc", stimuli, metric="rsa")
