"""The overlay's text, legend and hand-map marks, on synthetic hands (no model needed)."""

import numpy as np

from locator.hands import LocatedHand, locate_points
from locator.overlay import (TARGET_COLOUR, WHITE, LabelAnnotator, LegendAnnotator, PickedAnnotator, TargetAnnotator,
                             annotate_photo, marker_radius, text_height)
from locator.routine import PRESS_RADIUS

from .synthetic import right_palm_landmarks


def palm(shift=(0.0, 0.0), scale: float = 1.0) -> LocatedHand:
    landmarks = right_palm_landmarks() * scale + np.asarray(shift)
    return LocatedHand("right", 0.9, "palm", 0.9, landmarks, locate_points(landmarks, "palm"))


def test_labels_are_as_tall_on_a_small_hand_as_on_a_large_one(monkeypatch):
    """Text height follows the picture, not the hand: a far-away hand's labels stay readable."""
    heights = []
    monkeypatch.setattr("locator.overlay.draw_text", lambda image, text, origin, height, **k: heights.append(height))
    picture = np.zeros((480, 640, 3), np.uint8)
    LabelAnnotator().annotate(picture, [palm(scale=0.3)])
    LabelAnnotator().annotate(picture, [palm()])
    assert heights and set(heights) == {text_height(picture)}
    assert text_height(picture) >= 480 / 30
    assert text_height(np.zeros((960, 1280, 3), np.uint8)) == 2 * text_height(picture)


def dimmed(before: np.ndarray, after: np.ndarray, corner: tuple[slice, slice]) -> bool:
    """Whether the legend's box (which halves the brightness) lies over this corner."""
    return bool((after[corner] < before[corner]).mean() > 0.5)


def test_the_legend_moves_off_a_hand_in_the_top_left_corner():
    top_left, top_right = (slice(0, 20), slice(0, 40)), (slice(0, 20), slice(600, 640))
    grey = np.full((480, 640, 3), 200, np.uint8)
    away = palm(shift=(150, 60))  # lower right of the picture: the legend stays top left
    drawn = LegendAnnotator().annotate(grey.copy(), [away])
    assert dimmed(grey, drawn, top_left) and not dimmed(grey, drawn, top_right)
    near = palm(shift=(-260, -190))  # the hand in the top-left corner
    assert min(near.landmarks[:, 1]) < 60 and max(near.landmarks[:, 0]) < 300
    drawn = LegendAnnotator().annotate(grey.copy(), [near])
    assert not dimmed(grey, drawn, top_left)


def test_the_legend_says_what_the_short_labels_mean_only_where_the_picture_carries_them(monkeypatch):
    written = []
    monkeypatch.setattr("locator.overlay.draw_text", lambda image, text, *a, **k: written.append(text))
    picture = np.zeros((480, 640, 3), np.uint8)
    LegendAnnotator().annotate(picture, [palm()])
    assert "right hand, palm (90% sure)" in written and any(": EX-UE9 Baxie" in text for text in written)
    written.clear()
    LegendAnnotator(short_labels=False).annotate(picture, [palm()])  # the routine's overlay, the Korean map
    assert written == ["right hand, palm (90% sure)"]


def test_a_picked_point_is_ringed_in_white_only_where_its_face_is_in_view():
    hand = palm()
    picture = np.zeros((480, 640, 3), np.uint8)
    PickedAnnotator("PC8").annotate(picture, [hand])
    x, y = hand.point("PC8").xy
    r = marker_radius(hand, 1.0, PRESS_RADIUS)
    assert (picture[int(round(y)), int(round(x + r))] == WHITE).all()
    assert not PickedAnnotator("LI4").annotate(np.zeros_like(picture), [hand]).any()  # LI4: the back


def test_the_routines_target_ring_is_drawn_only_on_the_face_that_shows_its_point():
    """Laogong on a palm in view: the yellow ring. Hegu, on the back of that hand: no ring (the card says
    to turn the hand over; a ring on the palm would invite a press that cannot count)."""
    hand = palm()
    picture = TargetAnnotator("PC8", "right").annotate(np.zeros((480, 640, 3), np.uint8), [hand])
    x, y = hand.point("PC8").xy
    r = int(0.85 * marker_radius(hand, 1.0, PRESS_RADIUS))  # the pulse's smallest ring
    assert (np.abs(picture[int(y) - 3:int(y) + 4, int(x) + r - 3:int(x) + r + 4].astype(int) - TARGET_COLOUR)
            .sum(axis=-1) < 60).any()
    assert not TargetAnnotator("LI4", "right").annotate(np.zeros_like(picture), [hand]).any()


def test_the_korean_map_goes_under_the_markers_and_takes_the_place_of_the_labels(monkeypatch):
    hand = palm()
    written = []
    monkeypatch.setattr("locator.overlay.draw_text", lambda image, text, *a, **k: written.append(text))
    plain = np.full((480, 640, 3), 90, np.uint8)
    annotate_photo(plain, [hand])
    assert "PC8 Laogong" in written and "head and neck" not in written
    written.clear()
    korean = annotate_photo(plain, [hand], korean=True)
    assert "head and neck" in written and "PC8 Laogong" not in written
    x, y = np.round(hand.point("PC8").xy).astype(int)
    # The marker is drawn over the zone: its colour, not tinted (EX-UE8's hollow ring next to it blurs it
    # by a few levels).
    assert np.abs(korean[y, x].astype(int) - hand.point("PC8").acupoint.colour).max() <= 8
