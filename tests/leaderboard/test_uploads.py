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


def patch_headers(data: bytes, name: str, *, method: int | None = None, size: int | None = None,
                  flags: int | None = None) -> bytes:
    """Rewrite a member's compression method and/or declared uncompressed size in both zip headers (a forgery)."""
    import struct

    buf = bytearray(data)
    encoded = name.encode()
    for signature, method_at, size_at, name_at in ((b"PK\x03\x04", 8, 22, 30), (b"PK\x01\x02", 10, 24, 46)):
        flags_at = method_at - 2
        start = 0
        while (start := buf.find(signature, start)) >= 0:
            length_at = 26 if signature == b"PK\x03\x04" else 28
            (name_len,) = struct.unpack_from("<H", buf, start + length_at)
            if bytes(buf[start + name_at:start + name_at + name_len]) == encoded:
                if method is not None:
                    struct.pack_into("<H", buf, start + method_at, method)
                if size is not None:
                    struct.pack_into("<I", buf, start + size_at, size)
                if flags is not None:
                    struct.pack_into("<H", buf, start + flags_at, flags)
            start += 4
    return bytes(buf)


def deflated(files: dict[str, bytes | str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buf.getvalue()


def test_zip_bomb_with_a_lying_header_is_refused_with_bounded_memory():
    import tracemalloc

    bomb = deflated({"metadata.json": b" " * (50 * 2**20) + json.dumps(METADATA).encode(), "model.py": "x = 1"})
    forged = patch_headers(bomb, "metadata.json", size=1000)  # claims 1000 bytes, inflates to 50 MiB
    tracemalloc.start()
    with pytest.raises(UploadError, match="zip bomb|corrupt"):
        validate_package(forged)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 5 * 2**20
    big = deflated({**good_files(), "weights.bin": bytes(120 * 2**20)})  # honest header, past the limits
    with pytest.raises(UploadError, match="limit"):
        validate_package(big)
    lying_big = patch_headers(deflated({**good_files(), "w.bin": bytes(120 * 2**20)}), "w.bin", size=2**31)
    with pytest.raises(UploadError, match="corrupt|limit"):
        validate_package(lying_big)


def test_encrypted_and_unknown_compression_members_are_refused():
    with pytest.raises(UploadError, match="encrypted"):  # the "encrypted" flag bit set on the module
        validate_package(patch_headers(make_zip(good_files()), "model.py", flags=0x1))
    for method in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=method) as zf:
            for name, content in good_files().items():
                zf.writestr(name, content)
        with pytest.raises(UploadError, match="compression method"):
            validate_package(buf.getvalue())
    with pytest.raises(UploadError, match="compression method 99"):  # AES / anything unknown
        validate_package(patch_headers(make_zip(good_files()), "model.py", method=99))


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize("damage", ["truncated", "garbage-member", "duplicate", "public-string", "control-char"])
def test_malformed_archives_are_clear_upload_errors(damage):
    data = make_zip(good_files())
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "garbage-member":
        data = patch_headers(deflated(good_files()), "model.py", method=zipfile.ZIP_DEFLATED)
        data = data.replace(zlib_payload := data[60:70], bytes(len(zlib_payload)))
    elif damage == "duplicate":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for name, content in {**good_files()}.items():
                zf.writestr(name, content)
            zf.writestr("MODEL.py", "x")
            zf.writestr("model.py", "evil")
        data = buf.getvalue()
    elif damage == "public-string":
        data = make_zip({**good_files(), "metadata.json": json.dumps({**METADATA, "public": "false"})})
    elif damage == "control-char":
        data = make_zip({**good_files(), "a\x01b.py": "x"})
    with pytest.raises(UploadError) as caught:
        validate_package(data)
    assert str(caught.value).startswith("upload rejected:")
