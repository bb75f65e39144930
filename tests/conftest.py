"""Fixtures shared by the test modules."""

import os
from pathlib import Path

import pytest

SHARED_HANDS = Path(__file__).resolve().parents[1].parent / "shared" / "hands"


@pytest.fixture(scope="session")
def shared_hands() -> Path:
    """The shared hand photos live outside the repository: CI must have them, a laptop may not."""
    if not SHARED_HANDS.is_dir():
        message = f"shared hand photos not found at {SHARED_HANDS}"
        if "CI" in os.environ:
            pytest.fail(f"{message} (CI is set, so they are required)")
        pytest.skip(message)
    return SHARED_HANDS
