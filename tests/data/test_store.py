"""The store against a real HTTP server on 127.0.0.1: downloads, resume, retries and every failure case."""
from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from brainmark.data import files as files_module
from brainmark.data.files import DataFile, DataFileError
from brainmark.data.store import (
    ChecksumMismatchError,
    CorruptArchiveError,
    DataFetchError,
    DataUnavailableError,
    DownloadHTTPError,
    Store,
    TruncatedDownloadError,
    UnsafeArchiveError,
    verify_shipped,
)

BODY = bytes(range(256)) * 400  # 102,400 bytes


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_file(server, path: str, body: bytes = BODY, *, behaviour: str = "ok", name: str = "data.bin",
              size: bool = True, **kw) -> DataFile:
    server.routes[path] = (behaviour, body)
    return DataFile(name, f"sha256:{sha256(body)}", len(body) if size else None, urls=(server.url + path,), **kw)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(root=tmp_path / "cache", mirrors=[], retries=2, backoff=0.0, timeout=5,
                 allow_insecure_localhost=True)


def cache_files(store: Store) -> list[Path]:
    return sorted(p for p in store.root.rglob("*") if p.is_file() and p.suffix != ".lock")


def test_download_verifies_and_caches(http_server, store):
    f = make_file(http_server, "/a.bin")
    path = store.fetch(f)
    assert path.read_bytes() == BODY
    assert path == store.cache_path(f) and store.is_cached(f)
    assert store.fetch(f) == path
    assert http_server.count("/a.bin") == 1  # the second fetch came from the cache


def test_resumes_truncated_transfer_with_range(http_server, store):
    f = make_file(http_server, "/resume.bin", behaviour="truncate_once")
    assert store.fetch(f).read_bytes() == BODY
    ranges = [r for p, r in http_server.requests if p == "/resume.bin"]
    assert ranges[0] is None and ranges[1] == f"bytes={len(BODY) // 2}-"


def test_restarts_when_server_ignores_range(http_server, store):
    f = make_file(http_server, "/norange.bin", behaviour="norange")
    part = store.entry_dir(f) / f".{f.name}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"garbage!" * 10)  # a stale partial file must not end up in the result
    assert store.fetch(f).read_bytes() == BODY


def test_truncated_transfer_is_a_clear_error(http_server, store):
    f = make_file(http_server, "/cut.bin", behaviour="truncate")
    http_server.routes["/cut.bin"] = ("truncate", BODY)
    with pytest.raises(TruncatedDownloadError) as err:
        Store(root=store.root, mirrors=[], retries=0, backoff=0, allow_insecure_localhost=True).fetch(f)
    message = str(err.value)
    assert "data.bin" in message and "/cut.bin" in message and "BRAINMARK_DATA_MIRROR" in message
    assert not store.cache_path(f).exists()


def test_checksum_mismatch_discards_download_and_keeps_cache(http_server, store):
    good = make_file(http_server, "/good.bin", name="good.bin")
    store.fetch(good)
    before = {p: p.read_bytes() for p in cache_files(store)}
    bad = DataFile("bad.bin", f"sha256:{sha256(b'something else')}", None, urls=(http_server.url + "/good.bin",))
    with pytest.raises(ChecksumMismatchError) as err:
        store.fetch(bad)
    assert "bad.bin" in str(err.value) and "/good.bin" in str(err.value) and "BRAINMARK_DATA_MIRROR" in str(err.value)
    assert not store.cache_path(bad).exists()
    assert {p: p.read_bytes() for p in cache_files(store)} == before


@pytest.mark.parametrize("status", [404, 500])
def test_http_errors_name_file_url_and_mirror(http_server, store, status):
    f = make_file(http_server, f"/e{status}.bin", behaviour=str(status))
    with pytest.raises(DownloadHTTPError) as err:
        store.fetch(f)
    assert err.value.status == status
    message = str(err.value)
    assert f"HTTP {status}" in message and f"/e{status}.bin" in message and "BRAINMARK_DATA_MIRROR" in message
    assert not store.cache_path(f).exists()
    # 404 is permanent (one request); 500 is retried (retries + 1 requests)
    assert http_server.count(f"/e{status}.bin") == (1 if status == 404 else store.retries + 1)


def test_server_error_then_success_is_retried(http_server, store):
    f = make_file(http_server, "/flaky.bin", behaviour="500_once")
    assert store.fetch(f).read_bytes() == BODY
    assert http_server.count("/flaky.bin") == 2


def test_falls_back_to_second_url(http_server, store):
    http_server.routes["/gone.bin"] = ("404", b"")
    f = make_file(http_server, "/there.bin")
    f = DataFile(f.name, f.checksum, f.size, urls=(http_server.url + "/gone.bin", http_server.url + "/there.bin"))
    assert store.fetch(f).read_bytes() == BODY


def test_no_network_and_no_mirror(tmp_path, store):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    f = DataFile("offline.bin", f"sha256:{sha256(BODY)}", len(BODY), urls=(f"http://127.0.0.1:{port}/offline.bin",),
                 mirror_path="somewhere/offline.bin")
    with pytest.raises(DataUnavailableError) as err:
        store.fetch(f)
    message = str(err.value)
    assert "offline.bin" in message and f"127.0.0.1:{port}" in message
    assert "BRAINMARK_DATA_MIRROR" in message and "somewhere/offline.bin" in message


def test_file_without_url_or_mirror(store):
    f = DataFile("nowhere.bin", f"sha256:{sha256(BODY)}", mirror_path="x/nowhere.bin")
    with pytest.raises(DataUnavailableError, match="BRAINMARK_DATA_MIRROR"):
        store.fetch(f)


def test_plain_http_needs_the_explicit_localhost_option(http_server, tmp_path):
    f = make_file(http_server, "/insecure.bin")
    with pytest.raises(DataFetchError, match="only https"):
        Store(root=tmp_path / "c", mirrors=[]).fetch(f)
    remote = DataFile("r.bin", f.checksum, urls=("http://example.org/r.bin",))
    with pytest.raises(DataFetchError, match="only https"):
        Store(root=tmp_path / "c", mirrors=[], allow_insecure_localhost=True).fetch(remote)


def test_mirror_copy_is_verified_and_cached(tmp_path, http_server):
    mirror = tmp_path / "mirror"
    (mirror / "ds").mkdir(parents=True)
    (mirror / "ds" / "m.bin").write_bytes(BODY)
    f = make_file(http_server, "/m.bin", name="m.bin", mirror_path="ds/m.bin")
    store = Store(root=tmp_path / "cache", mirrors=[tmp_path / "empty", mirror], allow_insecure_localhost=True)
    assert store.mirror_copy(f) == mirror / "ds" / "m.bin"
    assert store.fetch(f).read_bytes() == BODY
    assert http_server.count("/m.bin") == 0  # the mirror was enough


def test_file_names_with_folders_from_mirror_and_download(tmp_path, http_server):
    mirror = tmp_path / "mirror"
    (mirror / "ds" / "sub").mkdir(parents=True)
    (mirror / "ds" / "sub" / "a.bin").write_bytes(BODY)
    from_mirror = make_file(http_server, "/sub/a.bin", name="stimuli/sub/a.bin", mirror_path="ds/sub/a.bin")
    downloaded = make_file(http_server, "/sub/b.bin", body=BODY[::-1], name="stimuli/sub/b.bin")
    store = Store(root=tmp_path / "cache", mirrors=[mirror], allow_insecure_localhost=True)
    assert store.fetch(from_mirror) == store.cache_path(from_mirror) and store.fetch(from_mirror).read_bytes() == BODY
    assert store.fetch(downloaded).read_bytes() == BODY[::-1]
    assert store.cache_path(downloaded).parent.name == "sub"
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.suffix in (".part", ".tmp")]


def test_bad_mirror_copy_falls_back_to_download(tmp_path, http_server):
    mirror = tmp_path / "mirror"
    (mirror / "ds").mkdir(parents=True)
    (mirror / "ds" / "m.bin").write_bytes(b"x" * len(BODY))  # right size, wrong content
    f = make_file(http_server, "/m2.bin", name="m.bin", mirror_path="ds/m.bin")
    store = Store(root=tmp_path / "cache", mirrors=[mirror], allow_insecure_localhost=True, backoff=0)
    assert store.fetch(f).read_bytes() == BODY
    assert http_server.count("/m2.bin") == 1


def test_mirror_env_var_is_colon_separated(tmp_path, monkeypatch):
    from brainmark.data.store import mirror_folders

    monkeypatch.setenv("BRAINMARK_DATA_MIRROR", f"{tmp_path / 'a'}::{tmp_path / 'b'}")
    assert mirror_folders() == [tmp_path / "a", tmp_path / "b"]


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_zip_is_extracted_once(http_server, store):
    data = zip_bytes({"images/a.png": b"A", "b.png": b"B"})
    f = make_file(http_server, "/ok.zip", data, name="ok.zip", archive=True)
    folder = store.extract(f)
    assert (folder / "images" / "a.png").read_bytes() == b"A" and (folder / "b.png").read_bytes() == b"B"
    assert store.extract(f) == folder


def test_corrupt_zip(http_server, store):
    data = zip_bytes({"a.png": b"A" * 1000})
    corrupt = data[:40] + bytes(b ^ 0xFF for b in data[40:60]) + data[60:]  # damage the member's bytes
    f = make_file(http_server, "/bad.zip", corrupt, name="bad.zip")
    with pytest.raises(CorruptArchiveError, match="bad.zip"):
        store.extract(f)
    assert not (store.entry_dir(f) / "extracted").exists()
    not_a_zip = make_file(http_server, "/nz.zip", b"this is not a zip file", name="nz.zip")
    with pytest.raises(CorruptArchiveError, match="nz.zip"):
        store.extract(not_a_zip)


@pytest.mark.parametrize("member", ["../escape.txt", "/abs/escape.txt", "ok/../../escape.txt"])
def test_zip_slip_is_rejected(http_server, store, tmp_path, member):
    data = zip_bytes({"fine.txt": b"ok", member: b"evil"})
    f = make_file(http_server, "/slip.zip", data, name="slip.zip")
    with pytest.raises(UnsafeArchiveError, match="outside"):
        store.extract(f)
    assert not (store.entry_dir(f) / "extracted").exists()
    assert not list(tmp_path.rglob("escape.txt"))
    assert store.cache_path(f).read_bytes() == data  # the verified archive stays in the cache


def test_two_processes_fetching_the_same_file_end_with_one_good_file(http_server, tmp_path):
    f = make_file(http_server, "/slow.bin", behaviour="slow", name="slow.bin")
    script = textwrap.dedent(f"""
        from pathlib import Path
        from brainmark.data.files import DataFile
        from brainmark.data.store import Store
        f = DataFile("slow.bin", {f.checksum!r}, {f.size}, urls=({f.urls[0]!r},))
        p = Store(root=Path({str(tmp_path / 'shared')!r}), mirrors=[], allow_insecure_localhost=True).fetch(f)
        print(p)
    """)
    env = {**os.environ, "BRAINMARK_PROGRESS": "0"}
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outputs[0] == outputs[1] and Path(outputs[0]).read_bytes() == BODY
    assert http_server.count("/slow.bin") == 1  # the second process waited for the lock and used the cache
    leftovers = [p for p in (tmp_path / "shared").rglob("*") if p.is_file() and p.suffix in (".part", ".tmp")]
    assert not leftovers


def test_shipped_file_is_verified(tmp_path, monkeypatch):
    monkeypatch.setattr(files_module, "PACKAGE_FILES", tmp_path)
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "x.csv").write_bytes(b"a,b\n1,2\n")
    good = DataFile("x.csv", f"sha256:{sha256(b'a,b' + bytes([10]) + b'1,2' + bytes([10]))}", 8, package_path="ds/x.csv")
    assert verify_shipped(good) == tmp_path / "ds" / "x.csv"
    (tmp_path / "ds" / "x.csv").write_bytes(b"a,b\n1,3\n")  # tampered (same size, new mtime)
    os.utime(tmp_path / "ds" / "x.csv", ns=(1, 1))
    with pytest.raises(ChecksumMismatchError, match="reinstall"):
        verify_shipped(good)


def test_data_file_validation():
    with pytest.raises(DataFileError):
        DataFile("a", "md5:abc")
    with pytest.raises(DataFileError):
        DataFile("a", "sha1:" + "0" * 64)
    with pytest.raises(DataFileError):
        DataFile("../a", "sha256:" + "0" * 64)


def test_zip_symlink_member_is_rejected(http_server, store):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        link = zipfile.ZipInfo("link.png")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "/etc/passwd")
    f = make_file(http_server, "/link.zip", buffer.getvalue(), name="link.zip")
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        store.extract(f)


def test_partial_file_larger_than_expected_is_discarded(http_server, store):
    f = make_file(http_server, "/big.bin")
    part = store.entry_dir(f) / f".{f.name}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"z" * (len(BODY) + 10))
    assert store.fetch(f).read_bytes() == BODY
    assert http_server.requests[-1] == ("/big.bin", None)  # started over, no Range


def test_verify_refetches_a_damaged_cache_entry(http_server, store):
    f = make_file(http_server, "/rot.bin")
    path = store.fetch(f)
    path.write_bytes(b"\0" * len(BODY))  # same size, damaged content
    assert store.fetch(f) == path  # a plain use checks the size only
    assert store.fetch(f, verify=True).read_bytes() == BODY
    assert http_server.count("/rot.bin") == 2
