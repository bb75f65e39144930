"""The one adapter over MediaPipe's HandLandmarker; nothing else in the product imports mediapipe.

It turns RGB frames into :class:`~locator.hands.DetectedHand` objects in pixel coordinates. IMAGE mode
serves photos (with a second look when the first finds nothing); VIDEO mode serves the live page, where
MediaPipe tracks hands from frame to frame instead of searching the whole frame each time.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

import numpy as np

from .errors import UserError
from .geometry import Landmark, hand_size
from .hands import DetectedHand

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "hand_landmarker.task"
MODEL_ENV = "LOCATOR_MODEL"

# A second look for photos where the whole frame shows nothing: four overlapping tiles, each two thirds of
# the frame, so a hand that is small or low in contrast covers more of the detector's input.
TILE_FRACTION = 2 / 3
# MediaPipe's palm detector finds few hands in grayscale pictures; the same picture tinted toward a skin
# tone (a gray level becomes a warm colour of the same lightness) is found far more often.
SKIN_TINT = np.array([1.0, 0.82, 0.7])
# Two detections whose knuckle centres are closer than this many hand sizes are the same hand.
SAME_HAND = 0.5


def add_model_option(parser: argparse.ArgumentParser) -> None:
    """The ``--model`` option of every command that detects hands (see :func:`resolve_model_path`)."""
    parser.add_argument("--model", metavar="PATH",
                        help=f"hand model .task file (default: ${MODEL_ENV}, else models/{DEFAULT_MODEL.name})")


def resolve_model_path(model: str | os.PathLike | None = None) -> Path:
    """The model to use: the given path, else ``$LOCATOR_MODEL``, else the one shipped in ``models/``."""
    path = Path(model or os.environ.get(MODEL_ENV) or DEFAULT_MODEL).expanduser()
    if not path.is_file():
        raise UserError(f"hand model not found: {path} (give --model PATH or set {MODEL_ENV})")
    return path


class HandDetector:
    """MediaPipe HandLandmarker in IMAGE or VIDEO mode, returning hands in pixels.

    >>> with HandDetector() as detector:            # doctest: +SKIP
    ...     hands = detector.detect(rgb_image)
    """

    def __init__(self, model: str | os.PathLike | None = None, *, video: bool = False,
                 max_hands: int = 2, min_confidence: float = 0.5):
        # Imported here so that the pure core and the command line's --help do not pay for it.
        from mediapipe.tasks.python import BaseOptions, vision

        self.model_path = resolve_model_path(model)
        self.video = video
        self.max_hands = max_hands
        options = vision.HandLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
            num_hands=max_hands,
            min_hand_detection_confidence=min_confidence,
            min_hand_presence_confidence=min_confidence,
            min_tracking_confidence=min_confidence,
        )
        self._warmed_up = False
        try:
            with _native_stderr_silenced():
                self._landmarker = vision.HandLandmarker.create_from_options(options)
        except (RuntimeError, ValueError, OSError) as error:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise UserError(f"cannot load hand model {self.model_path}: {first_line}") from None

    def __enter__(self) -> "HandDetector":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._landmarker.close()

    def detect(self, rgb: np.ndarray) -> list[DetectedHand]:
        """Hands in one photo (IMAGE mode); if none, a second look at overlapping tiles.

        A grayscale picture is tinted toward skin colour first (see ``SKIN_TINT``).
        """
        if _is_grayscale(rgb):
            rgb = (rgb * SKIN_TINT).astype(np.uint8)
        hands = self._run(rgb)
        if not hands:
            hands = self._detect_in_tiles(rgb)
        return hands

    def detect_video(self, rgb: np.ndarray, timestamp_ms: int) -> list[DetectedHand]:
        """Hands in one video frame (VIDEO mode); timestamps must increase."""
        return self._run(rgb, timestamp_ms)

    def _run(self, rgb: np.ndarray, timestamp_ms: int | None = None) -> list[DetectedHand]:
        import mediapipe as mp

        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        with _native_stderr_silenced() if not self._warmed_up else nullcontext():
            if timestamp_ms is None:
                result = self._landmarker.detect(image)
            else:
                result = self._landmarker.detect_for_video(image, timestamp_ms)
        self._warmed_up = True
        height, width = rgb.shape[:2]
        hands = []
        for categories, landmarks in zip(result.handedness, result.hand_landmarks):
            xyz = np.array([(p.x, p.y, p.z) for p in landmarks], dtype=float)
            hands.append(DetectedHand(
                landmarks=xyz[:, :2] * (width, height),
                depth=xyz[:, 2] * width,  # MediaPipe's z is on the scale of x
                label=categories[0].category_name.lower(),
                label_score=float(categories[0].score),
            ))
        return hands

    def _detect_in_tiles(self, rgb: np.ndarray) -> list[DetectedHand]:
        height, width = rgb.shape[:2]
        tile_h, tile_w = round(height * TILE_FRACTION), round(width * TILE_FRACTION)
        found: list[DetectedHand] = []
        for top in (0, height - tile_h):
            for left in (0, width - tile_w):
                for hand in self._run(rgb[top:top + tile_h, left:left + tile_w]):
                    shifted = DetectedHand(hand.landmarks + (left, top), hand.depth, hand.label,
                                           hand.label_score)
                    found = _merge(found, shifted)
        return sorted(found, key=lambda h: -h.label_score)[: self.max_hands]


def _is_grayscale(rgb: np.ndarray) -> bool:
    sample = rgb[::7, ::7].astype(np.int16)
    return bool(np.abs(sample[..., 0] - sample[..., 1]).max() <= 2
                and np.abs(sample[..., 1] - sample[..., 2]).max() <= 2)


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Hide what MediaPipe's C++ start-up writes straight to file descriptor 2 (set-up chatter that no
    environment variable turns off); Python exceptions still propagate."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _merge(hands: list[DetectedHand], new: DetectedHand) -> list[DetectedHand]:
    """Add ``new`` unless it is a hand already in the list; of two copies keep the surer one."""
    for i, hand in enumerate(hands):
        gap = np.linalg.norm(_knuckle_centre(hand) - _knuckle_centre(new))
        if gap < SAME_HAND * hand_size(hand.landmarks):
            if new.label_score > hand.label_score:
                hands[i] = new
            return hands
    return hands + [new]


def _knuckle_centre(hand: DetectedHand) -> np.ndarray:
    knuckles = [Landmark.INDEX_MCP, Landmark.MIDDLE_MCP, Landmark.RING_MCP, Landmark.PINKY_MCP]
    return hand.landmarks[knuckles].mean(axis=0)
