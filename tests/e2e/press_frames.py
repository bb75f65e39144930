"""Camera pictures for the routine's browser test, made from the shared photos: a target hand, and a
second hand cut out of another photo whose index fingertip presses a given point of the target.

Every picture is checked with the real live pipeline before a test uses it (:func:`check`): both hands
found, the target with the routine's handedness and face, the presser's fingertip on the point.
Pictures are composed as the person sees them on the page (the selfie view, a mirror); the camera sends
the mirror image of that (:func:`as_camera`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np

from locator.synthetic_video import background
from locator.detector import HandDetector
from locator.geometry import Landmark as L
from locator.geometry import hand_size
from locator.hands import LocatedHand
from locator.images import read_photo
from locator.live import LivePipeline

SIZE = (640, 480)
TARGET_PX = 120         # target hand size on the picture (wrist to middle knuckle)
FINGERS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))
PALM = (0, 1, 2, 5, 9, 13, 17)


@dataclass(frozen=True)
class Photo:
    """A hand photo (flipped or not) and the detector's landmarks for its one hand."""

    rgb: np.ndarray
    landmarks: np.ndarray


def load(images: Path, name: str, flip: bool, detector: HandDetector) -> Photo:
    rgb = read_photo(images / name).rgb
    if flip:
        rgb = np.ascontiguousarray(rgb[:, ::-1])
    hands = detector.detect(rgb)
    if len(hands) != 1:
        raise ValueError(f"{name}: expected one hand, found {len(hands)}")
    return Photo(rgb, hands[0].landmarks)


def hand_mask(landmarks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The hand's outline as a mask: the palm's hull and a thick stroke along each finger."""
    size = float(hand_size(landmarks))
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(landmarks[list(PALM)].astype(np.int32)), 255)
    for finger in FINGERS:
        chain = landmarks[[0 if finger[0] == 1 else finger[0]] + list(finger)].astype(np.int32)
        cv2.polylines(mask, [chain], False, 255, max(3, int(0.22 * size)), cv2.LINE_AA)
    return cv2.dilate(mask, np.ones((5, 5), np.uint8))


def _affine(source: np.ndarray, destination: np.ndarray) -> np.ndarray:
    """The similarity transform taking two source points to two destination points."""
    (a, b), (c, d) = source, destination
    vs, vd = b - a, d - c
    scale = np.linalg.norm(vd) / np.linalg.norm(vs)
    angle = np.arctan2(vd[1], vd[0]) - np.arctan2(vs[1], vs[0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return np.hstack([rot, (c - rot @ a)[:, None]])


def paste(canvas: np.ndarray, photo: Photo, matrix: np.ndarray, cut_out: bool) -> np.ndarray:
    """Warp ``photo`` onto ``canvas`` (in place); only the hand itself when ``cut_out``. Returns the
    photo's landmarks in canvas pixels."""
    w, h = canvas.shape[1], canvas.shape[0]
    warped = cv2.warpAffine(photo.rgb, matrix, (w, h), flags=cv2.INTER_LINEAR)
    if cut_out:
        mask = hand_mask(photo.landmarks, photo.rgb.shape[:2])
    else:  # the photo's own rectangle around the hand, background and all
        mask = np.zeros(photo.rgb.shape[:2], np.uint8)
        lo = photo.landmarks.min(axis=0) - 0.6 * hand_size(photo.landmarks)
        hi = photo.landmarks.max(axis=0) + 0.6 * hand_size(photo.landmarks)
        mask[max(0, int(lo[1])):int(hi[1]), max(0, int(lo[0])):int(hi[0])] = 255
    inside = cv2.warpAffine(mask, matrix, (w, h), flags=cv2.INTER_LINEAR) > 127
    canvas[inside] = warped[inside]
    return photo.landmarks @ matrix[:, :2].T + matrix[:, 2]


@dataclass(frozen=True)
class Scene:
    """Where the target hand sits on the picture."""

    target: Photo
    centre: tuple[float, float] = (250, 250)   # where the target's knuckle centre goes
    pointing: float = 180.0                     # the target's wrist -> middle knuckle direction, degrees

    @cached_property
    def matrix(self) -> np.ndarray:
        lm = self.target.landmarks
        direction = np.array([np.cos(np.radians(self.pointing)), np.sin(np.radians(self.pointing))])
        knuckle = np.asarray(self.centre, float)
        return _affine(np.array([lm[L.WRIST], lm[L.MIDDLE_MCP]]),
                       np.array([knuckle - TARGET_PX * direction, knuckle]))

    def picture(self, presser: Photo | None = None, tip_at=None, approach: float = 0.0) -> np.ndarray:
        """The scene, with ``presser``'s index fingertip at ``tip_at`` (canvas pixels), its finger
        coming from ``approach`` degrees (0: from the right, 90: from below)."""
        canvas = background(*SIZE)
        paste(canvas, self.target, self.matrix, cut_out=False)
        if presser is not None:
            lm = presser.landmarks
            toward = -np.array([np.cos(np.radians(approach)), np.sin(np.radians(approach))])
            tip = np.asarray(tip_at, float)
            length = np.linalg.norm(lm[L.INDEX_TIP] - lm[L.INDEX_MCP]) / hand_size(lm) * TARGET_PX
            matrix = _affine(np.array([lm[L.INDEX_MCP], lm[L.INDEX_TIP]]),
                             np.array([tip - length * toward, tip]))
            paste(canvas, presser, matrix, cut_out=True)
        return canvas


def as_camera(picture: np.ndarray) -> np.ndarray:
    """What the camera sends for a picture the person sees in the selfie view."""
    return np.ascontiguousarray(picture[:, ::-1])


def located(picture: np.ndarray, frames: int = 20) -> list[LocatedHand]:
    """The live pipeline's hands after ``frames`` frames of the same picture (selfie view)."""
    with LivePipeline(mirrored=True) as pipeline:
        for k in range(frames):
            result = pipeline.process(picture.copy(), 1000 + 33 * k)
    return result.hands


def target_point(scene: Scene, code: str, handedness: str) -> np.ndarray:
    """Where the live pipeline puts ``code`` on the scene's target hand, with no presser."""
    hands = [hand for hand in located(scene.picture()) if hand.handedness == handedness]
    if len(hands) != 1:
        raise AssertionError(f"target {handedness} hand not found alone: {len(hands)}")
    return hands[0].point(code).xy


@dataclass(frozen=True)
class Press:
    """How one step's pictures are made: the target photo, the presser photo and the finger's approach."""

    target: tuple[str, bool]   # photo name, flipped
    face: str                  # the face the target shows
    presser: tuple[str, bool]
    approach: float            # degrees, see Scene.picture


# Found by trying placements against the real pipeline (see `press_pictures`, which checks them again).
PRESSES = {
    "left": Press(("palm_left_07.jpg", True), "palm", ("palm_left_07.jpg", False), 270),
    "right": Press(("palm_left_07.jpg", False), "palm", ("back_right_01.jpg", False), 90),
}
BACK_PRESSES = {
    "left": Press(("back_right_01.jpg", False), "back", ("back_right_01.jpg", True), 0),
    "right": Press(("back_right_01.jpg", True), "back", ("back_right_01.jpg", False), 0),
}
# The presser's index tip goes along the target's index finger and back: a finger being worked.
STROKE = (L.INDEX_MCP, L.INDEX_PIP, L.INDEX_DIP, L.INDEX_TIP, L.INDEX_DIP, L.INDEX_PIP)


class Pictures:
    """The rescue routine's camera pictures, composed from the shared photos and checked."""

    def __init__(self, images: Path):
        self.images = images
        self._photos: dict[tuple[str, bool], Photo] = {}
        self._detector = HandDetector()

    def close(self) -> None:
        self._detector.close()

    def photo(self, key: tuple[str, bool]) -> Photo:
        if key not in self._photos:
            self._photos[key] = load(self.images, *key, self._detector)
        return self._photos[key]

    def scene(self, press: Press) -> Scene:
        return Scene(self.photo(press.target))

    def alone(self, hand: str, face: str) -> np.ndarray:
        """The target hand and nothing else."""
        return self.scene((PRESSES if face == "palm" else BACK_PRESSES)[hand]).picture()

    def pressing(self, code: str, hand: str) -> np.ndarray:
        """The other hand's index fingertip on ``code`` of ``hand`` (checked with the live pipeline)."""
        press = (PRESSES if code == "PC8" else BACK_PRESSES)[hand]
        scene = self.scene(press)
        point = target_point(scene, code, hand)
        tip = point.copy()
        for _ in range(5):  # nudge the presser until its detected fingertip lands on the point
            picture = scene.picture(self.photo(press.presser), tip, press.approach)
            target, other = _two_hands(located(picture), hand, press.face)
            gap = target.point(code).xy - other.landmarks[L.INDEX_TIP]
            if np.linalg.norm(gap) < 0.05 * target.size:
                return picture
            tip = tip + gap / 2  # half steps: a full one can cover the target hand's knuckles
        raise AssertionError(f"could not place a fingertip on {code} of the {hand} hand (gap {gap})")

    def stroking(self, hand: str) -> list[np.ndarray]:
        """Pictures of the other hand's fingertip going along this hand's index finger and back."""
        press = PRESSES[hand]
        scene = self.scene(press)
        (target,) = [h for h in located(scene.picture()) if h.handedness == hand]
        return [scene.picture(self.photo(press.presser), target.landmarks[joint], press.approach)
                for joint in STROKE]


def _two_hands(hands: list[LocatedHand], hand: str, face: str) -> tuple[LocatedHand, LocatedHand]:
    targets = [h for h in hands if h.handedness == hand and h.facing == face]
    others = [h for h in hands if h.handedness != hand]
    if not (targets and others):
        raise AssertionError(f"wanted the {hand} {face} and the other hand, found "
                             f"{[(h.handedness, h.facing) for h in hands]}")
    return targets[0], others[0]
