"""The package installs like a library: a wheel, installed non-editable in a fresh environment, carries the
model and the sample manifest and locates a photo from any folder, as the checkout does."""

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.model

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed (not editable); its ``bin`` folder.

    The environment sees this one's third-party packages through a .pth line (so mediapipe is not
    installed twice); a .pth line adds a plain folder, whose own .pth files (the checkout's editable hook
    among them) are not run, so ``locator`` can come only from the wheel.
    """
    root = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(root / "dist"), str(REPO)], check=True, capture_output=True, timeout=300)
    wheel = next((root / "dist").glob("*.whl"))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = Path(subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
                    "--no-deps", str(wheel)], check=True, capture_output=True, timeout=300)
    return venv / "bin"


def test_installed_wheel_locates_a_photo_from_any_folder_like_the_checkout(installed, shared_hands, tmp_path):
    photo = shared_hands / "images" / "palm_right_03_gt.jpg"
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOCATOR_")}
    env.pop("PYTHONPATH", None)
    where = subprocess.run([installed / "python", "-c", "import locator, locator.detector as d; "
                            "print(locator.__file__); print(d.shipped_model())"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    module, model = where.stdout.split()
    assert not module.startswith(str(REPO)) and not model.startswith(str(REPO))
    from_wheel = subprocess.run([installed / "locator", "locate", str(photo), "--json", "-"], cwd=tmp_path,
                                env=env, capture_output=True, text=True, timeout=300)
    from_checkout = subprocess.run([sys.executable, "-m", "locator", "locate", str(photo), "--json", "-"],
                                   cwd=REPO, capture_output=True, text=True, timeout=300)
    assert from_wheel.returncode == 0, from_wheel.stderr
    assert json.loads(from_wheel.stdout) == json.loads(from_checkout.stdout)
    assert json.loads(from_wheel.stdout)["hands"]


def test_installed_sample_manifest_is_read_from_the_package(installed, tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOCATOR_")}
    listed = subprocess.run([installed / "python", "-c", "from locator import samples; "
                             "print(samples.DEFAULT_MANIFEST); print(len(samples.load_manifest()))"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    path, count = listed.stdout.split()
    assert not path.startswith(str(REPO)) and int(count) > 0
