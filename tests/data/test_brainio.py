"""The official Brain-Score format reader, on tiny files written by the official package's own writers
(bench/make_brainio_fixtures.py), and the official datasets' loaders end to end through a local HTTP server."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from brainmark.data.brainio import read_netcdf_assembly, read_stimulus_set, to_neural_assembly, to_trials
from brainmark.data.files import DataFile
from brainmark.data.registry import DATASETS, STIMULUS_SETS, DatasetEntry
from brainmark.datasets import dataset_info
from brainmark.data.stimuli import StimulusSetError
from brainmark.data.store import ChecksumMismatchError, Store, safe_extract
from brainmark.datasets import majajhong2015, rajalingham2018
from brainmark.datasets._official import stimulus_set_loader

FIXTURES = Path(__file__).parent / "files" / "brainio"
REPETITIONS = {"s0": 3, "s1": 2, "s2": 3, "s3": 1}


def sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def check_neural(assembly) -> None:
    assert assembly.dims == ("presentation", "neuroid", "repetition")
    assert assembly.shape == (4, 3, 3)
    assert sorted(assembly["stimulus_id"].values.tolist()) == ["s0", "s1", "s2", "s3"]
    assert assembly.attrs["time_bin_start"] == 70 and assembly.attrs["time_bin_end"] == 170
    assert assembly["region"].values.tolist() == ["V4", "V4", "IT"]
    for p, sid in enumerate(assembly["stimulus_id"].values):
        s = int(sid[1:])
        assert assembly["object_name"].values[p] == f"obj{s % 2}"
        for n in range(3):
            row = assembly.values[p, n]
            expected = [s * 100 + n * 10 + r for r in range(REPETITIONS[sid])]
            np.testing.assert_array_equal(row[: REPETITIONS[sid]], expected)
            assert np.isnan(row[REPETITIONS[sid]:]).all()  # NaN-padded


def test_neural_assembly_flat_repetitions_become_a_padded_dim():
    raw = read_netcdf_assembly(FIXTURES / "assy_test_neural.nc")
    assert raw.dims == ("neuroid", "presentation", "time_bin") and raw.sizes["presentation"] == 9
    check_neural(to_neural_assembly(raw))


def test_legacy_image_id_and_uncompressed_variable():
    raw = read_netcdf_assembly(FIXTURES / "assy_test_legacy.nc")
    assert "stimulus_id" in raw.coords and "image_id" not in raw.coords
    check_neural(to_neural_assembly(raw))


def test_behavioral_trials():
    trials = to_trials(read_netcdf_assembly(FIXTURES / "assy_test_behavior.nc"), rename={"dist_obj": "distractor"})
    assert trials.dims == ("presentation",)
    assert trials.values.tolist() == ["dog", "car", "dog", "bear", "car"]
    assert trials["distractor"].values.tolist() == ["car", "dog", "bear", "dog", "bear"]
    assert trials["stimulus_id"].values.tolist() == ["s0", "s1", "s0", "s2", "s3"]


def test_stimulus_set_csv_and_zip(tmp_path):
    folder = safe_extract(FIXTURES / "stimulus_test.zip", tmp_path / "extracted")
    stimuli = read_stimulus_set("test", FIXTURES / "stimulus_test.csv", folder, degrees=8)
    assert stimuli.stimulus_ids == ["s0", "s1", "s2", "s3"]
    assert stimuli.metadata("object_name") == ["obj0", "obj1", "obj0", "obj1"]
    assert all(Path(p).is_file() for p in stimuli.image_paths) and stimuli.degrees == 8


def test_stimulus_set_missing_image_is_named(tmp_path):
    folder = safe_extract(FIXTURES / "stimulus_test.zip", tmp_path / "extracted")
    (folder / "s2.png").unlink()
    missing = r"1 images listed in stimulus_test\.csv are not in the archive, e\.g\. \['s2\.png'\]"
    with pytest.raises(StimulusSetError, match=missing):
        read_stimulus_set("test", FIXTURES / "stimulus_test.csv", folder)


def serve(http_server, fixture: str, official_name: str, *, archive: bool = False) -> DataFile:
    path = FIXTURES / fixture
    http_server.routes[f"/{official_name}"] = ("ok", path.read_bytes())
    return DataFile(official_name, f"sha1:{sha1(path)}", path.stat().st_size,
                    urls=(f"{http_server.url}/{official_name}",), archive=archive)


def local_store(tmp_path) -> Store:
    return Store(root=tmp_path / "cache", mirrors=[], backoff=0, allow_insecure_localhost=True)


def test_majajhong_loader_end_to_end_over_http(http_server, tmp_path):
    nc = serve(http_server, "assy_test_neural.nc", majajhong2015.ASSEMBLIES["public"].name)
    entry = DatasetEntry("MajajHong2015.public", "neural", majajhong2015._assembly("public"), (nc,))
    assembly = entry.load(local_store(tmp_path))
    check_neural(assembly)
    assert assembly.attrs["identifier"] == "MajajHong2015.public"
    csv = serve(http_server, "stimulus_test.csv", majajhong2015.STIMULI["public"][0].name)
    archive = serve(http_server, "stimulus_test.zip", majajhong2015.STIMULI["public"][1].name, archive=True)
    loader = stimulus_set_loader("MajajHong2015.public", csv, archive)
    stimuli = DatasetEntry("MajajHong2015.public", "stimuli", loader, (csv, archive))
    loaded = stimuli.load(local_store(tmp_path))
    assert loaded.stimulus_ids == ["s0", "s1", "s2", "s3"] and loaded.degrees == 8.0


def test_rajalingham_loader_from_mirror(tmp_path):
    name = rajalingham2018.ASSEMBLIES["private"].name
    mirror = tmp_path / "mirror" / "brainio-brainscore"
    mirror.mkdir(parents=True)
    shutil.copy(FIXTURES / "assy_test_behavior.nc", mirror / name)
    f = DataFile(name, f"sha1:{sha1(mirror / name)}", mirror_path=f"brainio-brainscore/{name}")
    entry = DatasetEntry("Rajalingham2018.private", "behavioral", rajalingham2018._trials("private"), (f,))
    trials = entry.load(Store(root=tmp_path / "cache", mirrors=[tmp_path / "mirror"]))
    assert "distractor" in trials.coords and trials.sizes["presentation"] == 5


def test_sha1_mismatch_is_rejected(http_server, tmp_path):
    nc = serve(http_server, "assy_test_neural.nc", "assy_dicarlo_MajajHong2015_public.nc")
    wrong = DataFile(nc.name, "sha1:" + "0" * 40, None, urls=nc.urls)
    entry = DatasetEntry("MajajHong2015.public", "neural", majajhong2015._assembly("public"), (wrong,))
    with pytest.raises(ChecksumMismatchError, match="sha1"):
        entry.load(local_store(tmp_path))


@pytest.mark.parametrize(("identifier", "files"), [
    ("MajajHong2015.public", {"assy_dicarlo_MajajHong2015_public.nc": "13d28ca0ce88ee550b54db3004374ae19096e9b9"}),
    ("MajajHong2015.private", {"assy_dicarlo_MajajHong2015_private.nc": "7a40d16148d6f82939155f0bd976d310857fb156"}),
    ("Rajalingham2018.public", {"assy_dicarlo_Rajalingham2018_public.nc": "34c6a8b6f7c523589c1861e4123232e5f7c7df4c"}),
    ("Rajalingham2018.private", {"assy_dicarlo_Rajalingham2018_private.nc": "516f13793d1c5b72bb445bb4008448ce97a02d23"}),
])
def test_official_assemblies_are_registered_with_official_sha1_and_url(identifier, files):
    entry = dataset_info(identifier)
    assert {f.name: f.digest for f in entry.files} == files
    for f in entry.files:
        assert f.algorithm == "sha1"
        assert f.urls == (f"https://brainscore-storage.s3.amazonaws.com/brainio-brainscore/{f.name}",)


def test_official_stimulus_sets_are_registered():
    expected = {
        "MajajHong2015.public": ("5ca7a3da00d8e9c694a9cd725df5ba0ad6d735af", "8aa44e038d7b551efa8077467622f9d48d72e473"),
        "MajajHong2015.private": ("6ff4981722fa05feb73a2bd26bbbba8b50dc29a6", "d7b1ca1876dad87e15b0242b4c82c0203ff3cbd3"),
        "Rajalingham2018.public": ("47884e17106a3be471d6481279cab33889b80850", "064f2955f98e63867755fee2e3ead8cddf6bfab8"),
        "Rajalingham2018.private": ("ac38e8f7c08fa8294ed25a3bf84a6adb108bf3fc", "ccd39f7f9b8b4a92da06e3960d06225e46208593"),
    }
    for identifier, (csv, archive) in expected.items():
        entry = STIMULUS_SETS.factory(identifier)
        assert [f.digest for f in entry.files] == [csv, archive]
        assert entry.files[1].archive and entry.files[0].name.endswith(".csv")
    assert "MajajHong2015.public" in DATASETS
