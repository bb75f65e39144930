"""The pure core: one detected hand in, which hand / which face and its acupoints out.

No I/O, no UI, no MediaPipe: the detector adapter produces :class:`DetectedHand`, everything downstream
(overlay, routine, command line, page) consumes :class:`LocatedHand`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Callable, Literal

import numpy as np

from .catalogue import CATALOGUE, Acupoint, Facing
from .geometry import Landmark, chirality, hand_size, palm_tilt
from .handface import face_features, shipped_model

Handedness = Literal["left", "right"]
# The face toward the camera as decided: "unsure" when the evidence is too weak to say palm or back
# (then no face-specific point is shown, and the person is asked to turn the hand or show more of it).
FacingDecision = Facing | Literal["unsure"]
UNSURE_PROMPT = "Hold your hand flat to the camera, all of it in view"
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
OUTSIDE_PICTURE = "outside the picture: show more of the hand and wrist"
_PLACEMENT_LANDMARKS = np.array([Landmark.INDEX_MCP, Landmark.PINKY_MCP, Landmark.THUMB_MCP,
                                 Landmark.THUMB_IP, Landmark.INDEX_PIP, Landmark.WRIST, Landmark.MIDDLE_MCP])


@dataclass(frozen=True)
class DetectedHand:
    """What the detector saw, in pixels of the oriented image, before any decision of ours.

    ``label`` is the detector's appearance-based guess of the hand as it looks in the picture
    ("right" means: looks like a right hand in this image, mirrored or not). ``world`` is MediaPipe's
    3D estimate in metres; ``knuckle_shade`` an appearance cue read from the frame
    (:func:`locator.handface.knuckle_shade`); both are optional evidence for palm or back.
    """

    landmarks: np.ndarray  # (21, 2) x, y in pixels
    depth: np.ndarray      # (21,) relative depth, same units as x (smaller = closer to the camera)
    label: Handedness
    label_score: float
    world: np.ndarray | None = None   # (21, 3) metres, z away from the camera
    knuckle_shade: float | None = None

    def scaled(self, factor: float) -> "DetectedHand":
        """The same hand in a picture ``factor`` times larger."""
        return replace(self, landmarks=self.landmarks * factor, depth=self.depth * factor)

    def shifted(self, offset: np.ndarray) -> "DetectedHand":
        """The same hand in a picture whose origin moved by ``-offset`` (a crop or a margin undone)."""
        return replace(self, landmarks=self.landmarks + offset)


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
    facing: FacingDecision
    facing_score: float
    landmarks: np.ndarray
    points: tuple[LocatedPoint, ...]
    # The image cues on the picture the hand was found in, ``refine(code, xy[, cues]) -> xy`` (None: no
    # picture seen): cross-validation re-applies them, or other cues, after each fold's rule
    # (:mod:`locator.image_cues`).
    refine: Callable[..., np.ndarray] | None = field(default=None, repr=False, compare=False)

    @property
    def sure(self) -> bool:
        """Whether the face (and so the hand) is known; if not, ask for :data:`UNSURE_PROMPT`."""
        return self.facing != "unsure"

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


def decide_hand_and_face(hand: DetectedHand, mirrored: bool) -> tuple[Handedness, float, FacingDecision, float]:
    """Which real hand this is and which face is toward the camera, each with a score in [0, 1].

    The two decisions are one: in 2D a left palm and a right back have the same outline (same
    :func:`chirality`), so the outline fixes the pair and the evidence picks which of the two it is:
    :mod:`locator.handface` gives a calibrated probability of "palm" from the detector's label, the
    thumb's lift out of the palm plane and the knuckles' shade. The outline then gives the hand; both
    share the score. Below the model's ``unsure_below`` the face is "unsure" (the hand is still the
    likelier one). A mirrored (selfie) view swaps left and right but not palm and back. A hand seen
    edge-on is "side", scored by how far past the tilt limit it is.
    """
    right_palm_outline = chirality(hand.landmarks) < 0  # unmirrored: a right palm or a left back
    model = shipped_model()
    palm_probability = model.palm_probability(face_features(
        hand.label, hand.label_score, right_palm_outline, hand.world, hand.knuckle_shade))
    palm = palm_probability > 0.5
    confidence = max(palm_probability, 1.0 - palm_probability)

    looks_right = palm == right_palm_outline
    real_hand: Handedness = "right" if looks_right != mirrored else "left"
    tilt = palm_tilt(np.column_stack([hand.landmarks, hand.depth]))
    if tilt < SIDE_TILT:
        return real_hand, confidence, "side", 1.0 - tilt / SIDE_TILT
    if confidence < model.unsure_below:
        return real_hand, confidence, "unsure", confidence
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


def locate_points(landmarks: np.ndarray, facing: FacingDecision, catalogue: tuple[Acupoint, ...] = CATALOGUE,
                  frame_size: tuple[int, int] | None = None) -> tuple[LocatedPoint, ...]:
    """Every catalogue point on a hand, flagged by whether it is on the face toward the camera (none is,
    on a hand whose face is unsure) and, when it cannot be placed on this hand, why. With ``frame_size``
    (width, height), a point that falls outside the picture (the forearm's PC6 on a hand cut off at the
    wrist) is not placed either."""
    positions = rule_weights(catalogue) @ landmarks  # every rule at once: they are affine
    doubts = unplaceable_points(landmarks)
    located = []
    for point, xy in zip(catalogue, positions):
        reason = doubts.get(point.code, doubts.get(None))
        if reason is None and frame_size is not None and not (0 <= xy[0] < frame_size[0]
                                                              and 0 <= xy[1] < frame_size[1]):
            reason = OUTSIDE_PICTURE
        located.append(LocatedPoint(point, xy, facing != "unsure" and point.visible_from(facing), reason))
    return tuple(located)


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


def locate_hand(hand: DetectedHand, mirrored: bool = False, catalogue: tuple[Acupoint, ...] = CATALOGUE,
                frame_size: tuple[int, int] | None = None) -> LocatedHand:
    """The whole core for one hand: decisions, then the points of ``catalogue`` (those outside a
    ``frame_size`` picture are not placed)."""
    handedness, handedness_score, facing, facing_score = decide_hand_and_face(hand, mirrored)
    return LocatedHand(handedness, handedness_score, facing, facing_score, hand.landmarks,
                       locate_points(hand.landmarks, facing, catalogue, frame_size))
