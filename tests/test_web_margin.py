"""The web margin cue on drawn pictures: a hand-coloured picture with a gap between two fingers."""

import numpy as np
import pytest

from locator.geometry import Landmark as L
from locator.geometry import hand_size
from locator.image_cues import HandPicture
from locator.web_margin import OPTIONS, WEBS, along_fingers, move_to_margin, options

from .synthetic import right_palm_landmarks


LIGHT, DARK = (225, 172, 150), (72, 46, 34)
WALL, NIGHT = (205, 205, 200), (20, 22, 25)
SETTINGS = OPTIONS[0]
CODE = "EX-UE9-2"


def margin_of(landmarks: np.ndarray) -> np.ndarray:
    """Where the drawn web ends: a quarter of the way from the knuckles to the middle joints."""
    knuckles = (landmarks[L.INDEX_MCP] + landmarks[L.MIDDLE_MCP]) / 2
    joints = (landmarks[L.INDEX_PIP] + landmarks[L.MIDDLE_PIP]) / 2
    return knuckles + 0.25 * (joints - knuckles)


def drawn_hand(landmarks: np.ndarray, skin, background, gap: bool = True, crease_at: float | None = None,
               shape=(480, 640)) -> np.ndarray:
    """Skin everywhere (with a little noise), and distal of the web's margin a gap 0.06 hand sizes wide
    between the index and middle fingers; or, with ``crease_at``, only a thin darker line across."""
    size, along = hand_size(landmarks), along_fingers(landmarks, CODE)
    across = np.array([-along[1], along[0]])
    ys, xs = np.mgrid[:shape[0], :shape[1]]
    offset = np.stack([xs, ys], axis=-1) - margin_of(landmarks)
    a, c = offset @ along / size, offset @ across / size
    rng = np.random.default_rng(5)
    picture = np.clip(np.array(skin, float) + rng.normal(0, 2, shape + (3,)), 0, 255)
    if gap:
        picture[(a > 0) & (np.abs(c) < 0.03)] = background
    if crease_at is not None:
        picture[(np.abs(a - crease_at) < 0.006) & (np.abs(c) < 0.1)] *= 0.6
    return picture.astype(np.uint8)


def shift_along(landmarks, moved, rule_point):
    size, along = hand_size(landmarks), along_fingers(landmarks, CODE)
    across = np.array([-along[1], along[0]])
    return (moved - rule_point) @ along / size, (moved - rule_point) @ across / size


@pytest.mark.parametrize("skin, background", [(LIGHT, WALL), (DARK, WALL), (LIGHT, NIGHT), (DARK, NIGHT)])
@pytest.mark.parametrize("start", [-0.06, 0.05])
def test_the_point_moves_along_the_fingers_to_the_last_skin_before_the_gap(skin, background, start):
    landmarks = right_palm_landmarks()
    size, along = hand_size(landmarks), along_fingers(landmarks, CODE)
    across = np.array([-along[1], along[0]])
    rule_point = margin_of(landmarks) + size * (start * along + 0.01 * across)
    view = HandPicture(drawn_hand(landmarks, skin, background), landmarks, "palm")
    moved = move_to_margin(view, CODE, rule_point, SETTINGS)
    moved_along, moved_across = shift_along(landmarks, moved, rule_point)
    assert moved_along == pytest.approx(-start, abs=0.008)   # within two samples of the margin
    assert moved_across == pytest.approx(0.0, abs=1e-9)        # the rule's position across is kept


@pytest.mark.parametrize("settings", OPTIONS)
def test_no_gap_or_a_crease_leaves_the_point_where_the_rule_put_it(settings):
    landmarks = right_palm_landmarks()
    rule_point = margin_of(landmarks)
    for picture in (drawn_hand(landmarks, LIGHT, WALL, gap=False),
                    drawn_hand(landmarks, DARK, WALL, gap=False, crease_at=0.03)):
        view = HandPicture(picture, landmarks, "palm")
        assert np.array_equal(move_to_margin(view, CODE, rule_point, settings), rule_point)


def test_a_band_leaving_the_picture_leaves_the_point():
    landmarks = right_palm_landmarks() - (300, 0)   # the hand half out of the picture on the left
    rule_point = margin_of(landmarks)
    view = HandPicture(drawn_hand(right_palm_landmarks(), LIGHT, WALL), landmarks, "palm")
    assert np.array_equal(move_to_margin(view, CODE, rule_point, SETTINGS), rule_point)


@pytest.mark.parametrize("turn", ["mirror", "upside down", "quarter"])
def test_the_cue_follows_the_hand_mirrored_or_turned(turn):
    landmarks = right_palm_landmarks()
    size, along = hand_size(landmarks), along_fingers(landmarks, CODE)
    rule_point = margin_of(landmarks) - 0.05 * size * along
    picture = drawn_hand(landmarks, DARK, WALL)
    height, width = picture.shape[:2]
    if turn == "mirror":
        turned, move = picture[:, ::-1], lambda p: np.column_stack([width - 1 - p[..., 0], p[..., 1]])
    elif turn == "upside down":
        turned, move = picture[::-1, ::-1], lambda p: np.column_stack([width - 1 - p[..., 0], height - 1 - p[..., 1]])
    else:  # a quarter turn clockwise: (x, y) -> (height - 1 - y, x)
        turned, move = np.rot90(picture, -1), lambda p: np.column_stack([height - 1 - p[..., 1], p[..., 0]])
    upright = move_to_margin(HandPicture(picture, landmarks, "palm"), CODE, rule_point, SETTINGS)
    assert np.linalg.norm(upright - rule_point) > 0.04 * size   # the cue moved the point
    expected = move(upright[None])[0]
    found = move_to_margin(HandPicture(np.ascontiguousarray(turned), move(landmarks), "palm"), CODE,
                           move(rule_point[None])[0], SETTINGS)
    assert np.linalg.norm(found - expected) <= 0.006 * size   # pixel rounding, at most a sample


def test_only_the_thumb_web_may_read_a_longer_band_that_reaches_a_margin_the_shorter_misses():
    """A rule's point 0.12 hand sizes short of the margin: the band 0.10 either side sees skin only and
    leaves it; the thumb web's longer band (0.15) reaches the gap and moves the point to the margin."""
    longer = [settings for settings in options("EX-UE9-1") if settings.reach > SETTINGS.reach]
    assert longer and all(options(code) == OPTIONS for code in WEBS[1:])
    assert len({settings.name for settings in options("EX-UE9-1")}) == len(options("EX-UE9-1"))  # the fit names them
    landmarks = right_palm_landmarks()
    size, along = hand_size(landmarks), along_fingers(landmarks, CODE)
    rule_point = margin_of(landmarks) - 0.12 * size * along
    view = HandPicture(drawn_hand(landmarks, DARK, WALL), landmarks, "palm")
    assert np.array_equal(move_to_margin(view, CODE, rule_point, SETTINGS), rule_point)
    moved_along, _ = shift_along(landmarks, move_to_margin(view, CODE, rule_point, longer[0]), rule_point)
    assert moved_along == pytest.approx(0.12, abs=0.008)
