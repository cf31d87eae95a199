"""Uploaded model packages: valid ones extract; zip-slip, symlinks, oversize, too many files, bad metadata rejected."""
from __future__ import annotations

import io
import json
import stat
import zipfile

import pytest

from brainmark.leaderboard import uploads
from brainmark.leaderboard.uploads import UploadError, extract_package, validate_package

METADATA = {"identifier": "my-net", "factory": "model.py:build"}


def make_zip(files: dict[str, bytes | str], symlinks: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in files.items():
            zf.writestr(name, content)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return buf.getvalue()


def good_files() -> dict[str, str]:
    return {"metadata.json": json.dumps(METADATA), "model.py": "def build():\n    return None\n"}


def test_valid_package_is_read_and_extracted(tmp_path):
    data = make_zip({**good_files(), "weights/readme.txt": "x"})
    package = validate_package(data)
    assert (package.identifier, package.factory) == ("my-net", "model.py:build")
    extract_package(data, tmp_path / "pkg")
    assert (tmp_path / "pkg" / "model.py").read_text().startswith("def build")
    assert (tmp_path / "pkg" / "weights" / "readme.txt").is_file()


@pytest.mark.parametrize("evil", ["../evil.py", "/etc/evil.py", "a/../../evil.py", "..\\evil.py"])
def test_zip_slip_is_rejected(tmp_path, evil):
    data = make_zip({**good_files(), evil: "boom"})
    with pytest.raises(UploadError, match="zip-slip"):
        extract_package(data, tmp_path / "pkg")
    assert not (tmp_path / "evil.py").exists()


def test_symlinks_are_rejected(tmp_path):
    data = make_zip(good_files(), symlinks={"link": "/etc/passwd"})
    with pytest.raises(UploadError, match="symbolic link"):
        extract_package(data, tmp_path / "pkg")
    assert not (tmp_path / "pkg").exists()


def test_oversize_and_too_many_files_are_rejected(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_BYTES", 1000)
    with pytest.raises(UploadError, match="byte limit"):
        validate_package(make_zip({**good_files(), "big.bin": bytes(2000)}) + bytes(1000))
    monkeypatch.setattr(uploads, "MAX_BYTES", 10**8)
    monkeypatch.setattr(uploads, "MAX_UNPACKED_BYTES", 10_000)
    with pytest.raises(UploadError, match="unpacked"):
        validate_package(make_zip({**good_files(), "zeros.bin": bytes(50_000)}))  # compresses to ~100 bytes
    monkeypatch.setattr(uploads, "MAX_FILES", 5)
    with pytest.raises(UploadError, match="file limit"):
        validate_package(make_zip({**good_files(), **{f"f{i}.txt": "x" for i in range(5)}}))


@pytest.mark.parametrize(
    "files, message",
    [
        ({"model.py": "x"}, "no metadata.json"),
        ({"metadata.json": "{not json", "model.py": "x"}, "not valid JSON"),
        ({"metadata.json": json.dumps({**METADATA, "identifier": "../x"}), "model.py": "x"}, "bad model identifier"),
        ({"metadata.json": json.dumps({**METADATA, "factory": "build"}), "model.py": "x"}, "factory"),
        ({"metadata.json": json.dumps(METADATA), "other.py": "x"}, "not in the zip"),
    ],
)
def test_bad_metadata_is_rejected(files, message):
    with pytest.raises(UploadError, match=message):
        validate_package(make_zip(files))


def test_not_a_zip_is_rejected():
    with pytest.raises(UploadError, match="not a zip"):
        validate_package(b"MZ\x90\x00 definitely not a zip")
