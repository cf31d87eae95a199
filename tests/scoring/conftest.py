"""Every test here can score the tiny seeded network registered as ``tinynet-test`` (see tests/conftest.py)."""
import pytest


@pytest.fixture(autouse=True)
def _tinynet_registered(tiny_registered: str) -> str:
    return tiny_registered
