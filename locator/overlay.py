"""Drawing located hands on RGB pictures with OpenCV, one small annotator per concern.

Each annotator is configured once and has one verb, ``annotate(image, hands, scale=1.0)``, which draws in
place and returns the image; ``scale`` maps hand coordinates to the image's pixels (photos are drawn on a
working copy that may be smaller than the frame the coordinates are in). The photo command and the live
page use the same annotators with different settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import cv2
import numpy as np

from .hands import UNSURE_PROMPT, LocatedHand
from .routine import PRESS_RADIUS

RGB = tuple[int, int, int]
WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)
# One colour per kind of point, chosen to stand out from skin tones and from each other.
POINT_COLOURS: dict[str, RGB] = {"LI4": (255, 140, 0), "PC8": (0, 200, 255), "EX-UE9": (230, 40, 200)}
HAND_CONNECTIONS = ((0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (5, 9), (9, 10),
                    (10, 11), (11, 12), (9, 13), (13, 14), (14, 15), (15, 16), (13, 17), (0, 17),
                    (17, 18), (18, 19), (19, 20))
_BONES = np.array(HAND_CONNECTIONS)  # index array for the skeleton: built once, not per frame


def point_colour(code: str) -> RGB:
    return POINT_COLOURS.get(code, POINT_COLOURS.get(code.rsplit("-", 1)[0], (255, 220, 0)))


def _px(xy: np.ndarray, scale: float) -> tuple[int, int]:
    return int(round(float(xy[0]) * scale)), int(round(float(xy[1]) * scale))


def marker_radius(hand: LocatedHand, scale: float, fraction: float) -> int:
    """A radius that grows with the hand, so markers look the same on a small and a large hand."""
    return max(3, int(round(hand.size * scale * fraction)))


def draw_text(image: np.ndarray, text: str, origin: tuple[int, int], height: float,
              colour: RGB = WHITE, outline: bool = True) -> None:
    """Text about ``height`` pixels tall; the dark outline keeps it legible on any background."""
    font_scale = max(0.35, height / 22)
    thickness = max(1, int(round(font_scale * 1.6)))
    if outline:
        cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, font_scale, BLACK, thickness + 2,
                    cv2.LINE_AA)
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, font_scale, colour, thickness, cv2.LINE_AA)


@dataclass
class SkeletonAnnotator:
    """Thin bones between landmarks, so the user sees what the detector found."""

    colour: RGB = (200, 200, 200)
    thickness: int = 1

    def annotate(self, image: np.ndarray, hands: Iterable[LocatedHand], scale: float = 1.0) -> np.ndarray:
        for hand in hands:
            bones = np.rint(hand.landmarks[_BONES] * scale).astype(np.int32)
            cv2.polylines(image, list(bones), False, self.colour, self.thickness, cv2.LINE_AA)
        return image


@dataclass
class PointAnnotator:
    """Each acupoint as a coloured disc inside a white ring with a dark edge.

    Points on the face away from the camera are drawn as a hollow ring (``hidden="hollow"``) or left
    out (``hidden="skip"``); on a hand whose face is unsure they are left out. Codes in ``dimmed`` are
    drawn small and grey (the routine's other points).
    """

    radius: float = 0.05          # fraction of the hand size
    hidden: str = "hollow"
    dimmed: frozenset[str] = field(default_factory=frozenset)

    def annotate(self, image: np.ndarray, hands: Iterable[LocatedHand], scale: float = 1.0) -> np.ndarray:
        for hand in hands:
            r = marker_radius(hand, scale, self.radius)
            for point in hand.points:
                if not point.on_visible_face and (self.hidden == "skip" or not hand.sure):
                    continue
                centre = _px(point.xy, scale)
                if point.code in self.dimmed:
                    cv2.circle(image, centre, max(2, r // 2), (150, 150, 150), -1, cv2.LINE_AA)
                    continue
                cv2.circle(image, centre, r + 2, BLACK, -1 if point.on_visible_face else 2, cv2.LINE_AA)
                cv2.circle(image, centre, r + 1, WHITE, -1 if point.on_visible_face else 2, cv2.LINE_AA)
                if point.on_visible_face:
                    cv2.circle(image, centre, max(1, r - 1), point_colour(point.code), -1, cv2.LINE_AA)
                else:
                    cv2.circle(image, centre, r, point_colour(point.code), 2, cv2.LINE_AA)
        return image


@dataclass
class LabelAnnotator:
    """The label of each point on the visible face beside its marker ("LI4 Hegu"; webs by number)."""

    radius: float = 0.05

    def annotate(self, image: np.ndarray, hands: Iterable[LocatedHand], scale: float = 1.0) -> np.ndarray:
        for hand in hands:
            r = marker_radius(hand, scale, self.radius)
            height = max(10.0, r * 1.2)
            for point in hand.points:
                if point.on_visible_face:
                    x, y = _px(point.xy, scale)
                    draw_text(image, point.acupoint.label, (x + r + 4, y + int(height / 3)), height)
        return image


@dataclass
class LegendAnnotator:
    """A small box in the top-left corner: which hand and which face was seen, and what 1-4 mean.

    With several hands, each line starts with a letter that is also drawn at that hand's wrist.
    """

    def annotate(self, image: np.ndarray, hands: Iterable[LocatedHand], scale: float = 1.0) -> np.ndarray:
        hands = list(hands)
        lines = [_hand_line(hand) for hand in hands]
        if len(hands) > 1:
            lines = [f"{_hand_tag(n)}: {line}" for n, line in enumerate(lines)]
            for n, hand in enumerate(hands):
                x, y = _px(hand.landmarks[0], scale)
                height = max(12.0, marker_radius(hand, scale, 0.12))
                draw_text(image, _hand_tag(n), (x - int(height / 3), y + int(height)), height)
        lines = lines or ["no hand found"]
        if hands:
            lines.append("1-4: EX-UE9 Baxie (finger webs)")
        height = max(12.0, min(image.shape[:2]) / 32)
        row = int(height * 1.5)
        width = max(cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, max(0.35, height / 22), 1)[0][0]
                    for text in lines)
        box = image[: row * len(lines) + row // 2, : width + int(height * 1.5)]
        box >>= 1  # halve the brightness, so white text reads on any background
        for number, text in enumerate(lines, start=1):
            draw_text(image, text, (int(height / 2), number * row), height, outline=False)
        return image


def _hand_line(hand: LocatedHand) -> str:
    if not hand.sure:
        return f"{hand.handedness} hand? {UNSURE_PROMPT}"
    return f"{hand.handedness} hand, {hand.facing} ({hand.handedness_score:.0%})"


def _hand_tag(number: int) -> str:
    """A, B, C...: letters, so they are not taken for the finger webs' numbers 1-4."""
    return chr(ord("A") + number)


@dataclass
class TargetAnnotator:
    """The routine's current point: a pulsing ring the size of the press zone, green while pressed.

    Built for each frame with what the routine says (``code`` on the ``handedness`` hand, whether a
    fingertip is on it, and a ``phase`` in seconds that drives the pulse).
    """

    code: str
    handedness: str
    on_target: bool = False
    phase: float = 0.0
    radius: float = PRESS_RADIUS  # fraction of the hand size: the zone where a press counts

    def annotate(self, image: np.ndarray, hands: Iterable[LocatedHand], scale: float = 1.0) -> np.ndarray:
        for hand in hands:
            if hand.handedness != self.handedness:
                continue
            centre = _px(hand.point(self.code).xy, scale)
            r = marker_radius(hand, scale, self.radius)
            pulse = 1.0 if self.on_target else 0.85 + 0.15 * np.sin(self.phase * 2 * np.pi * 1.2)
            colour = (40, 220, 90) if self.on_target else (255, 210, 0)
            cv2.circle(image, centre, int(r * pulse) + 2, BLACK, 5, cv2.LINE_AA)
            cv2.circle(image, centre, int(r * pulse), colour, 3, cv2.LINE_AA)
        return image


def encode_png(rgb: np.ndarray) -> bytes:
    """PNG bytes of an RGB picture (for files and downloads)."""
    ok, buffer = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError("could not encode the picture as PNG")
    return buffer.tobytes()


def annotate_photo(rgb: np.ndarray, hands: list[LocatedHand], scale: float = 1.0) -> np.ndarray:
    """The photo command's picture: skeleton, points, labels and legend, on a copy of ``rgb``."""
    image = rgb.copy()
    for annotator in (SkeletonAnnotator(), PointAnnotator(), LabelAnnotator(), LegendAnnotator()):
        annotator.annotate(image, hands, scale)
    return image
