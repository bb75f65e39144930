"""Korean hand therapy's zones follow the hand, show the face in view, and are drawn where they are."""

import numpy as np

from locator.geometry import Landmark as L
from locator.hands import DetectedHand, locate_hand
from locator.korean_map import CAPTION, place_zones
from locator.overlay import KoreanMapAnnotator

from .synthetic import right_palm_landmarks


def test_zones_of_the_face_in_view_and_the_fingers():
    landmarks = right_palm_landmarks()
    palm = {placed.zone.body_part for placed in place_zones(landmarks, "palm")}
    back = {placed.zone.body_part for placed in place_zones(landmarks, "back")}
    side = {placed.zone.body_part for placed in place_zones(landmarks, "side")}
    assert palm == {"head and neck", "arm", "leg", "front of the body"}
    assert back == {"head and neck", "arm", "leg", "back and spine"}
    assert side == {"head and neck", "arm", "leg"}
    assert "not anatomy" in CAPTION


def test_zones_move_with_the_hand():
    landmarks = right_palm_landmarks()
    moved = landmarks * 1.5 + (40.0, -25.0)
    for a, b in zip(place_zones(landmarks, "palm"), place_zones(moved, "palm")):
        assert np.allclose(b.points, a.points * 1.5 + (40.0, -25.0))
        assert np.allclose(b.label_at, a.label_at * 1.5 + (40.0, -25.0))
    head = next(p for p in place_zones(landmarks, "palm") if p.zone.body_part == "head and neck")
    assert np.allclose(head.points[-1], landmarks[L.MIDDLE_TIP])


def test_drawing_tints_the_middle_finger_and_leaves_the_background():
    hand = locate_hand(DetectedHand(right_palm_landmarks(), np.zeros(21), "right", 0.95))
    image = np.full((480, 640, 3), 100, np.uint8)
    KoreanMapAnnotator().annotate(image, [hand])
    on_finger = np.round((hand.landmarks[L.MIDDLE_PIP] + hand.landmarks[L.MIDDLE_MCP]) / 2).astype(int)
    assert tuple(image[on_finger[1], on_finger[0]]) != (100, 100, 100)
    assert tuple(image[5, 630]) == (100, 100, 100)
