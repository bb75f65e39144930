"""The shipped hand model: its checksum matches the record, it loads, and it can be rebuilt."""

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from locator.detector import DetectorOptions, HandDetector, Landmarker, resolve_model_path, shipped_model
from locator.errors import ModelError

pytestmark = pytest.mark.model

MODELS = Path(__file__).resolve().parents[1] / "models"


def recorded_sha256() -> str:
    match = re.search(r"^SHA-256: `([0-9a-f]{64})`", (MODELS / "README.md").read_text(), re.MULTILINE)
    assert match, "models/README.md must record the model's SHA-256"
    return match.group(1)


def test_shipped_model_matches_recorded_checksum():
    assert shipped_model().resolve() == (MODELS / "hand_landmarker.task").resolve()
    assert hashlib.sha256(shipped_model().read_bytes()).hexdigest() == recorded_sha256()


def test_shipped_model_loads_in_image_and_video_mode():
    for video in (False, True):
        with Landmarker(video=video) as landmarker:
            assert landmarker.model_path == shipped_model()


def test_model_path_option_and_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCATOR_MODEL", str(tmp_path / "elsewhere.task"))
    with pytest.raises(ModelError, match="hand model not found"):
        resolve_model_path()
    assert resolve_model_path(shipped_model()) == shipped_model()
    broken = tmp_path / "broken.task"
    broken.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="cannot load hand model"):
        HandDetector(DetectorOptions(model=broken))


@pytest.mark.download
def test_model_rebuilds_byte_for_byte_from_the_registry_wheel():
    """Runs the build script end to end (it downloads the mediapipe 0.10.21 wheel with pip)."""
    result = subprocess.run([sys.executable, str(MODELS / "build_model.py"), "--check"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert recorded_sha256() in result.stdout
