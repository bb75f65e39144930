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
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import numpy as np

from .errors import UserError
from .geometry import Landmark, hand_size
from .handface import knuckle_shade
from .hands import DetectedHand

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "hand_landmarker.task"
MODEL_ENV = "LOCATOR_MODEL"

# A third look for photos where the whole frame shows no hand or a crowd: four overlapping tiles, each two
# thirds of the frame, so a hand that is small or low in contrast covers more of the detector's input.
TILE_FRACTION = 2 / 3
# MediaPipe's palm detector finds few hands in grayscale pictures; the same picture tinted toward a skin
# tone (a gray level becomes a warm colour of the same lightness) is found far more often.
SKIN_TINT = np.array([1.0, 0.82, 0.7])
# Two detections whose knuckle centres are closer than this many hand sizes are the same hand.
SAME_HAND = 0.5
# A second look for hands cut by the frame's edge (close to the camera): the picture with this fraction of
# its width and height repeated as a border on each side. The palm detector then sees the whole palm and
# its context; on the 11K Hands photos it found 99.7% instead of 95%, and its left/right label was right
# more often. A hand well inside the frame keeps the plain look's landmarks (finer: the hand is larger).
MARGIN = 0.25
# A hand with a landmark closer than this many hand sizes to the border is cut by it (or nearly).
EDGE = 0.1
# How many hands to look for by default: photos may show a crowd; the live page follows two.
PHOTO_MAX_HANDS = 6
VIDEO_MAX_HANDS = 2


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
                 max_hands: int | None = None, min_confidence: float = 0.5):
        # Imported here so that the pure core and the command line's --help do not pay for it.
        from mediapipe.tasks.python import BaseOptions, vision

        self.model_path = resolve_model_path(model)
        self.video = video
        self.max_hands = max_hands or (VIDEO_MAX_HANDS if video else PHOTO_MAX_HANDS)
        options = vision.HandLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
            num_hands=self.max_hands,
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
        """Hands in one photo (IMAGE mode): the picture as it is and with a margin (see ``MARGIN``),
        merged; then overlapping tiles if that found no hand, or two or more (a crowd may hold more
        hands, each small in the whole frame).

        A grayscale picture is tinted toward skin colour first (see ``SKIN_TINT``).
        """
        if _is_grayscale(rgb):
            rgb = (rgb * SKIN_TINT).astype(np.uint8)
        plain = self._run(rgb)
        hands: list[DetectedHand] = []
        for hand in self._detect_with_margin(rgb):
            twin = _same_hand(plain, hand)
            if twin is not None and not _at_edge(twin, rgb.shape):
                # Seen both ways, well inside the frame: the plain look's finer landmarks, the margin
                # look's label and 3D (on 11K: its label right on 99.7% of hands against 97%).
                hand = replace(twin, label=hand.label, label_score=hand.label_score, world=hand.world)
            hands = _merge(hands, hand)
        for hand in plain:
            hands = _merge(hands, hand)
        if len(hands) != 1 and len(hands) < self.max_hands:
            for hand in self._detect_in_tiles(rgb):
                hands = _merge(hands, hand)
        return hands[: self.max_hands]

    def _detect_with_margin(self, rgb: np.ndarray) -> list[DetectedHand]:
        """Hands in the picture with its border repeated around it, in the picture's own pixels."""
        height, width = rgb.shape[:2]
        top, left = round(height * MARGIN), round(width * MARGIN)
        padded = np.pad(rgb, ((top, top), (left, left), (0, 0)), mode="edge")
        return [hand.shifted(np.array([-left, -top])) for hand in self._run(padded)]

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
        for categories, landmarks, world in zip(result.handedness, result.hand_landmarks,
                                                result.hand_world_landmarks):
            xyz = np.array([(p.x, p.y, p.z) for p in landmarks], dtype=float)
            pixels = xyz[:, :2] * (width, height)
            hands.append(DetectedHand(
                landmarks=pixels,
                depth=xyz[:, 2] * width,  # MediaPipe's z is on the scale of x
                label=categories[0].category_name.lower(),
                label_score=float(categories[0].score),
                world=np.array([(p.x, p.y, p.z) for p in world], dtype=float),
                knuckle_shade=knuckle_shade(rgb, pixels),
            ))
        return hands

    def _detect_in_tiles(self, rgb: np.ndarray) -> list[DetectedHand]:
        height, width = rgb.shape[:2]
        tile_h, tile_w = round(height * TILE_FRACTION), round(width * TILE_FRACTION)
        found: list[DetectedHand] = []
        for top in (0, height - tile_h):
            for left in (0, width - tile_w):
                for hand in self._run(rgb[top:top + tile_h, left:left + tile_w]):
                    found = _merge(found, hand.shifted(np.array([left, top])))
        return found


def _at_edge(hand: DetectedHand, shape: tuple[int, ...]) -> bool:
    """Whether a landmark lies within ``EDGE`` hand sizes of the frame's border (or beyond it)."""
    height, width = shape[:2]
    x, y = hand.landmarks[:, 0], hand.landmarks[:, 1]
    gap = min(x.min(), y.min(), width - x.max(), height - y.max())
    return bool(gap < EDGE * hand_size(hand.landmarks))


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


def _same_hand(hands: list[DetectedHand], new: DetectedHand) -> DetectedHand | None:
    """The hand in ``hands`` that ``new`` is another detection of, if any."""
    for hand in hands:
        if np.linalg.norm(_knuckle_centre(hand) - _knuckle_centre(new)) < SAME_HAND * hand_size(hand.landmarks):
            return hand
    return None


def _merge(hands: list[DetectedHand], new: DetectedHand) -> list[DetectedHand]:
    """Add ``new`` unless it is a hand already in the list (then the one in the list stays)."""
    return hands if _same_hand(hands, new) is not None else hands + [new]


def _knuckle_centre(hand: DetectedHand) -> np.ndarray:
    knuckles = [Landmark.INDEX_MCP, Landmark.MIDDLE_MCP, Landmark.RING_MCP, Landmark.PINKY_MCP]
    return hand.landmarks[knuckles].mean(axis=0)
