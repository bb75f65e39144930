"""The pure core: one detected hand in, which hand / which face and its acupoints out.

No I/O, no UI, no MediaPipe: the detector adapter produces :class:`DetectedHand`, everything downstream
(overlay, routine, command line, page) consumes :class:`LocatedHand`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from .catalogue import CATALOGUE, Acupoint, Facing
from .geometry import Landmark, chirality, hand_size, palm_tilt, thumb_lift

Handedness = Literal["left", "right"]

# Log-odds for "palm toward the camera" per hand size of thumb lift (see thumb_lift): a thumb 0.2 hand
# sizes out of the palm plane weighs like a 0.88 label score; the cue is capped so a wild depth estimate
# cannot outvote a sure label. Measured on the shared photos, the lift is positive on palms and negative on
# backs wherever the label was sure, and it corrects the label where it was unsure (a palm scored 0.54).
THUMB_LIFT_WEIGHT = 10.0
THUMB_LIFT_CAP = 3.0
# Below this |cos| between palm normal and the camera axis (about 73 degrees of tilt) the hand is seen
# edge-on: neither the palm nor the back is really toward the camera.
SIDE_TILT = 0.3

# When the landmarks' geometry is compressed the rules, fitted on flat hands, put points in the wrong
# place; such a hand gets ``placeable: false`` with a reason instead of confident markers. The limits lie
# just outside what the 40 labelled development hands show (all clear, flat hands):
# - foreshortened or curled: the palm's width (index to little knuckle) is more than this many hand sizes
#   (the hand's length, wrist to middle knuckle, shrinks when the hand points at the camera or the
#   fingers curl over); at most 0.85 on the development hands, 0.89 and 3.2 on the gripping hands of
#   back_right_06_gt and back_right_05_gt.
FORESHORTENED_WIDTH = 0.87
# - a thumb pressed to the index finger: the thumb's and the index finger's proximal phalanges within
#   this many degrees of parallel; the thumb-index web is then folded shut and its margin is not where
#   the rule puts it (development hands under 6 degrees: the three with the largest thumb-web errors).
THUMB_PRESSED_DEGREES = 6.0
THUMB_PRESSED_COSINE = math.cos(math.radians(THUMB_PRESSED_DEGREES))
THUMB_WEB = "EX-UE9-1"
_PLACEMENT_LANDMARKS = np.array([Landmark.INDEX_MCP, Landmark.PINKY_MCP, Landmark.THUMB_MCP,
                                 Landmark.THUMB_IP, Landmark.INDEX_PIP, Landmark.WRIST, Landmark.MIDDLE_MCP])


@dataclass(frozen=True)
class DetectedHand:
    """What the detector saw, in pixels of the oriented image, before any decision of ours.

    ``label`` is the detector's appearance-based guess of the hand as it looks in the picture
    ("right" means: looks like a right hand in this image, mirrored or not).
    """

    landmarks: np.ndarray  # (21, 2) x, y in pixels
    depth: np.ndarray      # (21,) relative depth, same units as x (smaller = closer to the camera)
    label: Handedness
    label_score: float

    def scaled(self, factor: float) -> "DetectedHand":
        """The same hand in a picture ``factor`` times larger."""
        return DetectedHand(self.landmarks * factor, self.depth * factor, self.label, self.label_score)


@dataclass(frozen=True)
class LocatedPoint:
    """One acupoint placed on one hand."""

    acupoint: Acupoint
    xy: np.ndarray
    on_visible_face: bool
    unplaceable: str | None = None  # why the point cannot be placed on this hand; None when it can

    @property
    def placeable(self) -> bool:
        return self.unplaceable is None

    @property
    def code(self) -> str:
        return self.acupoint.code

    def to_json(self) -> dict:
        return {"code": self.code, "name": self.acupoint.name, "x": round(float(self.xy[0]), 1),
                "y": round(float(self.xy[1]), 1), "face": self.acupoint.face,
                "on_visible_face": self.on_visible_face, "radius": self.acupoint.radius,
                "placeable": self.placeable, "reason": self.unplaceable}


@dataclass(frozen=True)
class LocatedHand:
    """A hand with its decisions (the person's real hand, the face toward the camera) and points."""

    handedness: Handedness
    handedness_score: float
    facing: Facing
    facing_score: float
    landmarks: np.ndarray
    points: tuple[LocatedPoint, ...]

    @property
    def size(self) -> float:
        """Wrist to middle knuckle, in pixels: the scale for tolerances (press radius, jitter)."""
        return hand_size(self.landmarks)

    def point(self, code: str) -> LocatedPoint:
        return next(p for p in self.points if p.code == code)

    def to_json(self) -> dict:
        return {
            "handedness": self.handedness, "handedness_score": round(self.handedness_score, 3),
            "facing": self.facing, "facing_score": round(self.facing_score, 3),
            "landmarks": [[round(float(x), 1), round(float(y), 1)] for x, y in self.landmarks],
            "points": [p.to_json() for p in self.points],
        }


def decide_hand_and_face(hand: DetectedHand, mirrored: bool) -> tuple[Handedness, float, Facing, float]:
    """Which real hand this is and which face is toward the camera, each with a score in [0, 1].

    The two decisions are one: in 2D a left palm and a right back have the same outline (same
    :func:`chirality`), so the outline fixes the pair and the evidence picks which of the two it is.
    Two pieces of evidence, added as log-odds for "palm toward the camera": the detector's left/right
    label (appearance) read through the outline, and the thumb's lift out of the palm plane (depth).
    Their sum decides the face, then the outline gives the hand; both share its score. A mirrored
    (selfie) view swaps left and right but not palm and back. A hand seen edge-on is "side", scored by
    how far past the tilt limit it is.
    """
    points3d = np.column_stack([hand.landmarks, hand.depth])
    right_palm_outline = chirality(hand.landmarks) < 0  # unmirrored: a right palm or a left back
    label_says_palm = (hand.label == "right") == right_palm_outline
    score = min(max(hand.label_score, 1e-6), 1 - 1e-6)
    label_evidence = np.log(score / (1 - score)) * (1 if label_says_palm else -1)
    thumb_evidence = np.clip(THUMB_LIFT_WEIGHT * thumb_lift(points3d), -THUMB_LIFT_CAP, THUMB_LIFT_CAP)
    evidence = label_evidence + thumb_evidence
    palm = evidence > 0
    confidence = float(1 / (1 + np.exp(-abs(evidence))))

    looks_right = palm == right_palm_outline
    real_hand: Handedness = "right" if looks_right != mirrored else "left"
    tilt = palm_tilt(points3d)
    if tilt < SIDE_TILT:
        return real_hand, confidence, "side", 1.0 - tilt / SIDE_TILT
    return real_hand, confidence, "palm" if palm else "back", confidence


def unplaceable_points(landmarks: np.ndarray) -> dict[str | None, str]:
    """Why points cannot be placed on this hand: code -> reason (None as the code: every point).

    On plain floats, like :func:`hand_size`: it runs for every hand of every frame."""
    (ix, iy), (px, py), (mx, my), (tx, ty), (jx, jy), (wx, wy), (kx, ky) = \
        landmarks[_PLACEMENT_LANDMARKS].tolist()
    size = math.hypot(kx - wx, ky - wy)  # hand_size
    if size == 0 or math.hypot(ix - px, iy - py) > FORESHORTENED_WIDTH * size:
        return {None: "hand foreshortened or curled: its landmarks are too compressed to place points"}
    thumb, index = (tx - mx, ty - my), (jx - ix, jy - iy)
    lengths = math.hypot(*thumb) * math.hypot(*index)
    if lengths > 0 and (thumb[0] * index[0] + thumb[1] * index[1]) / lengths > THUMB_PRESSED_COSINE:
        return {THUMB_WEB: "thumb pressed to the index finger: the web between them is folded shut"}
    return {}


def locate_points(landmarks: np.ndarray, facing: Facing,
                  catalogue: tuple[Acupoint, ...] = CATALOGUE) -> tuple[LocatedPoint, ...]:
    """Every catalogue point on a hand, flagged by whether it is on the face toward the camera and, when
    it cannot be placed on this hand, why."""
    positions = rule_weights(catalogue) @ landmarks  # every rule at once: they are affine
    doubts = unplaceable_points(landmarks)
    return tuple(LocatedPoint(point, xy, point.visible_from(facing), doubts.get(point.code, doubts.get(None)))
                 for point, xy in zip(catalogue, positions))


@lru_cache(maxsize=8)
def rule_weights(catalogue: tuple[Acupoint, ...]) -> np.ndarray:
    """The ``(points, 21)`` matrix W with ``W @ landmarks`` = every rule's point.

    Each rule is an affine combination of landmarks, so applying it to the identity matrix (21 landmarks
    with 21 "coordinates") reads off its weights; one matrix product then places all points in a few
    microseconds, which matters on the live path. Weights that do not sum to one would mean a rule that
    does not follow the hand: refused here.
    """
    weights = np.array([point.rule(np.eye(21)) for point in catalogue])
    sums = weights.sum(axis=1)
    if not np.allclose(sums, 1.0):
        bad = [point.code for point, total in zip(catalogue, sums) if not np.isclose(total, 1.0)]
        raise ValueError(f"rules that are not affine combinations of landmarks: {bad}")
    return weights


def locate_hand(hand: DetectedHand, mirrored: bool = False,
                catalogue: tuple[Acupoint, ...] = CATALOGUE) -> LocatedHand:
    """The whole core for one hand: decisions, then the points of ``catalogue``."""
    handedness, handedness_score, facing, facing_score = decide_hand_and_face(hand, mirrored)
    return LocatedHand(handedness, handedness_score, facing, facing_score, hand.landmarks,
                       locate_points(hand.landmarks, facing, catalogue))
