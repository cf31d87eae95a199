"""The files shipped inside the package: every one is listed in its checked manifest and verifies."""
from __future__ import annotations

import pytest

from brainmark.data.files import PACKAGE_FILES, matches
from brainmark.datasets._manifest_hashes import MANIFEST_SHA256
from brainmark.datasets._shipped import shipped_files

FOLDERS = sorted(MANIFEST_SHA256)


@pytest.mark.parametrize("folder", FOLDERS)
def test_manifest_lists_every_file_and_all_verify(folder):
    files = shipped_files(folder)
    assert len(files) > 1, "manifest missing or its sha256 differs from _manifest_hashes.py"
    listed = {f.name for f in files}
    present = {p.relative_to(PACKAGE_FILES / folder).as_posix() for p in (PACKAGE_FILES / folder).rglob("*") if p.is_file()}
    assert present == listed
    for f in files[1:]:
        assert matches(f.package_file, f), f.name


@pytest.mark.parametrize("folder", FOLDERS)
def test_license_ships_beside_the_data(folder):
    assert any("LICENSE" in p.name for p in (PACKAGE_FILES / folder).iterdir())


def test_package_stays_small():
    total = sum(p.stat().st_size for p in PACKAGE_FILES.rglob("*") if p.is_file())
    assert total < 10_000_000
