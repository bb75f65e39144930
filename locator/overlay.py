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
TARGET_COLOUR: RGB = (255, 210, 0)   # the routine's target ring, waiting for a press
PRESSED_COLOUR: RGB = (40, 220, 90)  # the same ring while a fingertip is on the point
HAND_CONNECTIONS = ((0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (5, 9), (9, 10),
                    (10, 11), (11, 12), (9, 13), (13, 14), (14, 15), (15, 16), (13, 17), (0, 17),
                    (17, 18), (18, 19), (19, 20))
_BONES = np.array(HAND_CONNECTIONS)  # index array for the skeleton: built once, not per frame
# Text is this fraction of the picture's shorter side, whatever the hand's size: the page shows a 640x480
# video about 400-650 px wide (and a phone less), where text drawn a few pixels tall is a smudge after the
# video codec; 1/26 of 480 px is about 18 px, 11-17 px on the screen.
TEXT_SHARE = 1 / 26


def _px(xy: np.ndarray, scale: float) -> tuple[int, int]:
    return int(round(float(xy[0]) * scale)), int(round(float(xy[1]) * scale))


def marker_radius(hand: LocatedHand, scale: float, fraction: float) -> int:
    """A radius that grows with the hand, so markers look the same on a small and a large hand."""
    return max(3, int(round(hand.size * scale * fraction)))


def text_height(image: np.ndarray) -> float:
    """The height of the picture's text, in its pixels (see :data:`TEXT_SHARE`)."""
    return max(12.0, min(image.shape[:2]) * TEXT_SHARE)


def text_width(text: str, height: float) -> int:
    """How wide :func:`draw_text` writes ``text`` at ``height``, in pixels."""
    return cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, _font_scale(height), 1)[0][0]


def _font_scale(height: float) -> float:
    return max(0.35, height / 22)


def draw_text(image: np.ndarray, text: str, origin: tuple[int, int], height: float,
              colour: RGB = WHITE, outline: bool = True) -> None:
    """Text about ``height`` pixels tall; the dark outline keeps it legible on any background.

    OpenCV spaces letters of 1-pixel strokes more narrowly than thicker ones, so outlined text is drawn at
    least 2 pixels thick: the outline and the letters then line up.
    """
    font_scale = _font_scale(height)
    thickness = max(1, int(round(font_scale * 1.6)))
    if outline:
        thickness = max(2, thickness)
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
    """Each acupoint as a coloured disc inside a white ring with a dark edge, and a thin ring of the
    point's own radius (``Acupoint.radius``): the area where 80% of the development labels fall under
    cross-validation, drawn at that size in hand sizes on every hand.

    Points on the face away from the camera, or that cannot be placed on this hand, are drawn as a
    hollow ring (``hidden="hollow"``) or left out (``hidden="skip"``); on a hand whose face is unsure
    they are left out. Codes in ``dimmed`` are drawn
    small and grey (the routine's other points).
    """

    radius: float = 0.05          # fraction of the hand size
    hidden: str = "hollow"
    dimmed: frozenset[str] = field(default_factory=frozenset)

    def annotate(self, image: np.ndarray, hands: Iterable[LocatedHand], scale: float = 1.0) -> np.ndarray:
        for hand in hands:
            r = marker_radius(hand, scale, self.radius)
            for point in hand.points:
                shown = point.on_visible_face and point.placeable
                if not shown and (self.hidden == "skip" or not hand.sure):
                    continue
                centre = _px(point.xy, scale)
                if point.code in self.dimmed:
                    cv2.circle(image, centre, max(2, r // 2), (150, 150, 150), -1, cv2.LINE_AA)
                    continue
                if shown:
                    ring = int(round(hand.size * scale * point.acupoint.radius))
                    cv2.circle(image, centre, ring, point.acupoint.colour, 1, cv2.LINE_AA)
                cv2.circle(image, centre, r + 2, BLACK, -1 if shown else 2, cv2.LINE_AA)
                cv2.circle(image, centre, r + 1, WHITE, -1 if shown else 2, cv2.LINE_AA)
                if shown:
                    cv2.circle(image, centre, max(1, r - 1), point.acupoint.colour, -1, cv2.LINE_AA)
                else:
                    cv2.circle(image, centre, r, point.acupoint.colour, 2, cv2.LINE_AA)
        return image


@dataclass
class LabelAnnotator:
    """The label of each point on the visible face beside its marker ("LI4 Hegu"; webs by number), at the
    picture's text height (:func:`text_height`), outlined so it reads on skin and background alike."""

    radius: float = 0.05

    def annotate(self, image: np.ndarray, hands: Iterable[LocatedHand], scale: float = 1.0) -> np.ndarray:
        height = text_height(image)
        for hand in hands:
            r = marker_radius(hand, scale, self.radius)
            for point in hand.points:
                if point.on_visible_face and point.placeable:
                    x, y = _px(point.xy, scale)
                    draw_text(image, point.acupoint.label, (x + r + 4, y + int(height / 3)), height)
        return image


@dataclass
class LegendAnnotator:
    """A small box in a corner: which hand and which face was seen, and what the short labels on the
    picture mean (one line per numbered series of points, e.g. "1-4: EX-UE9 Baxie (finger webs)"). It
    goes in the corner that hides the fewest landmarks and points (the top-left one when that hides none).

    With several hands, each hand's line starts with a letter that is also drawn at that hand's wrist.
    ``short_labels``: whether the picture carries the short labels (not under the routine's quiet overlay
    or the Korean map's zone names), so whether to say what they mean.
    """

    short_labels: bool = True

    def annotate(self, image: np.ndarray, hands: Iterable[LocatedHand], scale: float = 1.0) -> np.ndarray:
        hands = list(hands)
        lines = [_hand_line(hand) for hand in hands]
        if len(hands) > 1:
            lines = [f"{_hand_tag(n)}: {line}" for n, line in enumerate(lines)]
            for n, hand in enumerate(hands):
                x, y = _px(hand.landmarks[0], scale)
                height = max(12.0, marker_radius(hand, scale, 0.12))
                draw_text(image, _hand_tag(n), (x - int(height / 3), y + int(height)), height)
        lines = (lines or ["no hand found"]) + (short_label_legend(hands) if self.short_labels else [])
        height = text_height(image) * 0.85
        row = int(height * 1.5)
        box_height = row * len(lines) + row // 2
        box_width = max(text_width(text, height) for text in lines) + int(height * 1.5)
        left, top = _quiet_corner(image, box_width, box_height, hands, scale)
        box = image[top: top + box_height, left: left + box_width]
        box >>= 1  # halve the brightness, so white text reads on any background
        for number, text in enumerate(lines, start=1):
            draw_text(image, text, (left + int(height / 2), top + number * row), height, outline=False)
        return image


def _quiet_corner(image: np.ndarray, width: int, height: int, hands: list[LocatedHand],
                  scale: float) -> tuple[int, int]:
    """The left and top of a ``width`` x ``height`` box in the corner that covers the fewest landmarks
    and points of ``hands`` (top-left, top-right, bottom-left, bottom-right: the first of equals)."""
    rows, columns = image.shape[:2]
    corners = [(0, 0), (max(0, columns - width), 0), (0, max(0, rows - height)),
               (max(0, columns - width), max(0, rows - height))]
    if not hands:
        return corners[0]
    marks = np.concatenate([np.vstack([hand.landmarks, *(p.xy[None] for p in hand.points)])
                            for hand in hands]) * scale

    def covered(corner: tuple[int, int]) -> int:
        left, top = corner
        inside = ((marks[:, 0] >= left) & (marks[:, 0] < left + width)
                  & (marks[:, 1] >= top) & (marks[:, 1] < top + height))
        return int(inside.sum())

    return min(corners, key=covered)


def _hand_line(hand: LocatedHand) -> str:
    if not hand.sure:
        return f"{hand.handedness} hand? {UNSURE_PROMPT}"
    return f"{hand.handedness} hand, {hand.facing} ({hand.handedness_score:.0%} sure)"


def _hand_tag(number: int) -> str:
    """A, B, C...: letters, so they are not taken for the finger webs' numbers 1-4."""
    return chr(ord("A") + number)


def short_label_legend(hands: Iterable[LocatedHand]) -> list[str]:
    """"first-last: series" for each numbered series whose visible points carry short labels."""
    labels: dict[str, list[str]] = {}
    for hand in hands:
        for point in hand.points:
            entry = point.acupoint
            if point.on_visible_face and entry.short_label and entry.series:
                shown = labels.setdefault(entry.series, [])
                if entry.short_label not in shown:
                    shown.append(entry.short_label)
    return [f"{shown[0]}-{shown[-1]}: {series}" if len(shown) > 1 else f"{shown[0]}: {series}"
            for series, shown in labels.items()]


@dataclass
class TargetAnnotator:
    """The routine's current point: a pulsing ring the size of the press zone, green while pressed.

    Built for each frame with what the routine says (``code`` on the ``handedness`` hand, whether a
    fingertip is on it, and a ``phase`` in seconds that drives the pulse). Not drawn while the point's
    face is turned away, or the point cannot be placed: the card then says what to do first ("Turn your
    hand over"), and a ring on the other face would invite a press that cannot count.
    """

    code: str
    handedness: str
    on_target: bool = False
    phase: float = 0.0
    radius: float = PRESS_RADIUS  # fraction of the hand size: the zone where a press counts

    def annotate(self, image: np.ndarray, hands: Iterable[LocatedHand], scale: float = 1.0) -> np.ndarray:
        for hand in hands:
            point = hand.point(self.code)
            if hand.handedness != self.handedness or not (point.on_visible_face and point.placeable):
                continue
            centre = _px(point.xy, scale)
            r = marker_radius(hand, scale, self.radius)
            pulse = 1.0 if self.on_target else 0.85 + 0.15 * np.sin(self.phase * 2 * np.pi * 1.2)
            colour = PRESSED_COLOUR if self.on_target else TARGET_COLOUR
            cv2.circle(image, centre, int(r * pulse) + 2, BLACK, 5, cv2.LINE_AA)
            cv2.circle(image, centre, int(r * pulse), colour, 3, cv2.LINE_AA)
        return image


@dataclass
class PickedAnnotator:
    """The point picked on the hand map: a steady white ring with a dark edge, on every hand whose face in
    view shows it. Unlike the routine's target it neither pulses nor turns yellow or green, so it never
    says "press here"."""

    code: str
    radius: float = PRESS_RADIUS  # fraction of the hand size

    def annotate(self, image: np.ndarray, hands: Iterable[LocatedHand], scale: float = 1.0) -> np.ndarray:
        for hand in hands:
            point = hand.point(self.code)
            if not (point.on_visible_face and point.placeable):
                continue
            centre = _px(point.xy, scale)
            r = marker_radius(hand, scale, self.radius)
            cv2.circle(image, centre, r, BLACK, 6, cv2.LINE_AA)
            cv2.circle(image, centre, r, WHITE, 3, cv2.LINE_AA)
        return image


@dataclass
class KoreanMapAnnotator:
    """Korean hand therapy's zones (:mod:`locator.korean_map`) as translucent bands and areas, each named.

    ``opacity`` of the colour laid over the picture; fingers are drawn as bands ``band`` hand sizes wide.
    """

    opacity: float = 0.35
    band: float = 0.16

    def annotate(self, image: np.ndarray, hands: Iterable[LocatedHand], scale: float = 1.0) -> np.ndarray:
        from .korean_map import place_zones

        hands = list(hands)
        if not hands:
            return image
        layer = image.copy()
        labels = []
        for hand in hands:
            width = max(2, int(round(hand.size * scale * self.band)))
            for placed in place_zones(hand.landmarks, hand.facing):
                points = np.rint(placed.points * scale).astype(np.int32)
                if placed.zone.closed:
                    cv2.fillPoly(layer, [points], placed.zone.colour, cv2.LINE_AA)
                else:
                    cv2.polylines(layer, [points], False, placed.zone.colour, width, cv2.LINE_AA)
                labels.append((placed.zone.body_part, _px(placed.label_at, scale)))
        cv2.addWeighted(layer, self.opacity, image, 1 - self.opacity, 0, dst=image)
        height = text_height(image)
        for text, (x, y) in labels:
            draw_text(image, text, (x - text_width(text, height) // 2, y), height)
        return image


def encode_png(rgb: np.ndarray) -> bytes:
    """PNG bytes of an RGB picture (for files and downloads)."""
    ok, buffer = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError("could not encode the picture as PNG")
    return buffer.tobytes()


def hand_map_annotators(picked: str | None, korean: bool) -> tuple[list, list]:
    """The hand map's annotators to draw before and after the usual markers: Korean hand therapy's zones
    underneath them (its zone names stand in for the point labels, which the photo then leaves out), the
    picked point's ring on top. The photo and the live video draw the same ones."""
    return [KoreanMapAnnotator()] if korean else [], [PickedAnnotator(picked)] if picked else []


def annotate_photo(rgb: np.ndarray, hands: list[LocatedHand], scale: float = 1.0, *,
                   picked: str | None = None, korean: bool = False) -> np.ndarray:
    """The photo command's picture: skeleton, points, labels and legend, on a copy of ``rgb``; with the
    hand map's ``picked`` point ringed and ``korean`` zones (:func:`hand_map_annotators`)."""
    image = rgb.copy()
    under, over = hand_map_annotators(picked, korean)
    markers = [SkeletonAnnotator(), PointAnnotator(), *([] if korean else [LabelAnnotator()]),
               LegendAnnotator(short_labels=not korean)]
    for annotator in (*under, *markers, *over):
        annotator.annotate(image, hands, scale)
    return image
