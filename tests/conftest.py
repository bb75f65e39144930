"""Fixtures shared by the test modules."""

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SHARED_HANDS = SHARED / "hands"
SHARED_HANDS11K = SHARED / "hands11k"


def _required(folder: Path, what: str) -> Path:
    """Shared data lives outside the repository: CI must have it, a laptop may not."""
    if not folder.is_dir():
        message = f"{what} not found at {folder}"
        if "CI" in os.environ:
            pytest.fail(f"{message} (CI is set, so they are required)")
        pytest.skip(message)
    return folder


@pytest.fixture(scope="session")
def shared_hands() -> Path:
    """The shared hand photos (``../shared/hands``)."""
    return _required(SHARED_HANDS, "shared hand photos")


@pytest.fixture(scope="session")
def shared_hands11k() -> Path:
    """The 11K Hands development photos with their labels (``../shared/hands11k``)."""
    return _required(SHARED_HANDS11K, "11K Hands development photos")
