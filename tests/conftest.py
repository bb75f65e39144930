"""Fixtures shared by the test modules, and the markers that sort the tests by what they need.

Markers (``pytest -m unit`` runs the fast ones alone; the README's test command runs everything):

* ``model``: the real hand model on real photos (a module says so with ``pytestmark``);
* ``browser``: headless Chromium with a fake camera (everything under ``tests/e2e``);
* ``download``: fetches from a package registry (the byte-for-byte model rebuild);
* ``unit``: everything else, given automatically: no model, no browser, no network.
"""

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SHARED_HANDS = SHARED / "hands"
SHARED_HANDS11K = SHARED / "hands11k"
KINDS = ("model", "browser", "download")


def pytest_configure(config):
    config.addinivalue_line("markers", "model: uses the real hand model on real photos")
    config.addinivalue_line("markers", "browser: drives the page in headless Chromium")
    config.addinivalue_line("markers", "download: fetches from a package registry")
    config.addinivalue_line("markers", "unit: no model, no browser, no network (given automatically)")


def pytest_collection_modifyitems(items):
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.browser)
        if not any(item.get_closest_marker(kind) for kind in KINDS):
            item.add_marker(pytest.mark.unit)


def shared_folder(path: Path) -> Path:
    """A folder of shared data, which lives outside the repository: CI must have it, a laptop may not."""
    if not path.is_dir():
        message = f"shared data not found at {path}"
        if "CI" in os.environ:
            pytest.fail(f"{message} (CI is set, so it is required)")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def shared_hands() -> Path:
    return shared_folder(SHARED_HANDS)


@pytest.fixture(scope="session")
def shared_hands11k() -> Path:
    """The 11K Hands development photos with their labels (``labels.csv``, ``images/``)."""
    return shared_folder(SHARED_HANDS11K)
