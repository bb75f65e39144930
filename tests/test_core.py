"""The pure core: rules follow the hand, decisions are coupled, the catalogue is complete."""

import json
from dataclasses import replace

import numpy as np
import pytest

from locator.catalogue import BY_CODE, CATALOGUE, FAMILIES, FITTED_RULES
from locator.fitting import Sample, choose, fit, fit_point, fitted_weights, leave_one_group_out, same_constants
from locator.geometry import Landmark, chirality, hand_size
from locator.handface import FaceModel
from locator.hands import DetectedHand, decide_hand_and_face, locate_hand, locate_points, rule_weights
from locator.overlay import PointAnnotator
from locator.routine import PRESS_RADIUS
from locator.routine_files import PRESETS
from locator.steps import expand

from .synthetic import right_palm_landmarks

REQUIRED = ("LI4", "PC8", "EX-UE9-1", "EX-UE9-2", "EX-UE9-3", "EX-UE9-4")


def similarity(points: np.ndarray, angle: float, scale: float, shift, mirror: bool) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    matrix = scale * np.array([[c, -s], [s, c]])
    if mirror:
        matrix = matrix @ np.diag([-1.0, 1.0])
    return points @ matrix.T + np.asarray(shift, dtype=float)


def test_catalogue_has_the_required_points_with_their_data():
    assert [p.code for p in CATALOGUE][:6] == list(REQUIRED)
    for point in CATALOGUE:
        assert point.pinyin and point.hanzi and point.english and point.location and point.how_to_press
        assert point.face in ("palm", "back")
    assert any("pregnan" in caution for caution in BY_CODE["LI4"].cautions)
    assert BY_CODE["PC8"].face == "palm" and BY_CODE["LI4"].face == "back"


@pytest.mark.parametrize("angle", [0.0, 0.7, np.pi / 2, 2.5, -1.2])
@pytest.mark.parametrize("scale", [0.25, 1.0, 3.7])
@pytest.mark.parametrize("mirror", [False, True])
def test_rules_follow_rotation_scale_and_mirroring(angle, scale, mirror):
    landmarks = right_palm_landmarks()
    moved = similarity(landmarks, angle, scale, (1000, -40), mirror)
    for point in CATALOGUE:
        expected = similarity(point.rule(landmarks)[None], angle, scale, (1000, -40), mirror)[0]
        assert np.allclose(point.rule(moved), expected, atol=1e-6), point.code


def test_points_sit_where_the_anatomy_says():
    """Coarse anatomical sanity, in a hand frame: webs between their fingers and distal to the knuckles,
    Laogong between index and middle metacarpals near the knuckles, Hegu between thumb and index."""
    lm = right_palm_landmarks()
    along = (lm[Landmark.MIDDLE_MCP] - lm[Landmark.WRIST]) / hand_size(lm) ** 2

    def level(xy):  # 0 at the wrist, 1 at the middle knuckle
        return float(np.dot(xy - lm[Landmark.WRIST], along))

    points = {p.code: p.rule(lm) for p in CATALOGUE}
    for number, (a, b) in enumerate([(Landmark.INDEX_MCP, Landmark.MIDDLE_MCP),
                                     (Landmark.MIDDLE_MCP, Landmark.RING_MCP),
                                     (Landmark.RING_MCP, Landmark.PINKY_MCP)], start=2):
        web = points[f"EX-UE9-{number}"]
        assert min(lm[a][0], lm[b][0]) < web[0] < max(lm[a][0], lm[b][0])
        assert level(web) > max(level(lm[a]), level(lm[b]))  # beyond the knuckles, toward the fingers
    assert 0.7 < level(points["PC8"]) < level(lm[Landmark.MIDDLE_MCP])
    assert lm[Landmark.MIDDLE_MCP][0] < points["PC8"][0] < lm[Landmark.INDEX_MCP][0]
    assert 0.3 < level(points["LI4"]) < 1.0
    assert lm[Landmark.INDEX_MCP][0] < points["LI4"][0] < lm[Landmark.THUMB_MCP][0]


def test_rules_and_rings_are_the_fitted_ones():
    """Each catalogue rule is its chosen family with the coefficients in fitted_rules.json, and its ring
    radius is the fit's; the routine's press zone is never smaller than a ring it targets."""
    shipped = json.loads(FITTED_RULES.read_text())["points"]
    assert set(shipped) == set(FAMILIES)
    for point in (point for point in CATALOGUE if point.code in FAMILIES):
        entry = shipped[point.code]
        family = next(f for f in FAMILIES[point.code] if f.name == entry["family"])
        weights = family.weights([entry["coefficients"][t.name] for t in family.terms])
        assert np.allclose(rule_weights((point,))[0], weights), point.code
        assert point.radius == entry["radius"] > 0, point.code
        targeted = any(step.target == point.code for entries in PRESETS.values() for step in expand(entries))
        assert not targeted or PRESS_RADIUS >= point.radius, point.code


def turn(a: np.ndarray, b: np.ndarray) -> float:
    """The z of the cross product of two 2D vectors: which side of ``a`` ``b`` points to."""
    return float(a[0] * b[1] - a[1] * b[0])


def test_points_placed_by_geometry_sit_on_their_landmarks_with_no_ring():
    """Fingertips, middle joints and nail corners need no labels: they are where the hand's own joints say."""
    lm = right_palm_landmarks()
    hand = locate_hand(detected(lm, "right", 0.93))
    at = {p.code: p.xy for p in hand.points}
    assert np.allclose(at["PC9"], lm[Landmark.MIDDLE_TIP])
    for number, joint in enumerate((Landmark.INDEX_PIP, Landmark.MIDDLE_PIP, Landmark.RING_PIP,
                                    Landmark.PINKY_PIP), start=1):
        assert np.allclose(at[f"EX-UE10-{number}"], lm[joint])
    for number, tip in enumerate((Landmark.THUMB_TIP, Landmark.INDEX_TIP, Landmark.MIDDLE_TIP, Landmark.RING_TIP,
                                  Landmark.PINKY_TIP), start=1):
        shixuan = at[f"EX-UE11-{number}"]  # on the last bone, just short of the tip
        assert 0 < np.linalg.norm(shixuan - lm[tip]) < 0.2 * np.linalg.norm(lm[tip] - lm[tip - 1])
    # The nail-corner points lie beside the last bone, on the side away from the neighbouring finger.
    index_side = np.sign(turn(lm[Landmark.INDEX_TIP] - lm[Landmark.INDEX_DIP], at["LI1"] - lm[Landmark.INDEX_DIP]))
    middle_side = np.sign(turn(lm[Landmark.INDEX_TIP] - lm[Landmark.INDEX_DIP],
                                   lm[Landmark.MIDDLE_DIP] - lm[Landmark.INDEX_DIP]))
    assert index_side == -middle_side
    thumb_side = np.sign(turn(lm[Landmark.THUMB_TIP] - lm[Landmark.THUMB_IP], at["LU11"] - lm[Landmark.THUMB_IP]))
    toward_index = np.sign(turn(lm[Landmark.THUMB_TIP] - lm[Landmark.THUMB_IP],
                                    lm[Landmark.INDEX_MCP] - lm[Landmark.THUMB_IP]))
    assert thumb_side == -toward_index
    assert all(BY_CODE[code].radius == 0 for code in at if code not in FAMILIES)


def test_a_point_outside_the_picture_is_not_placed():
    lm = right_palm_landmarks()
    inside = locate_hand(detected(lm, "right", 0.93), frame_size=(640, 480))
    assert inside.point("PC8").placeable
    pc6 = inside.point("PC6")  # up the forearm: below the wrist, which sits at y = 400
    cut = locate_hand(detected(lm, "right", 0.93), frame_size=(640, int(pc6.xy[1]) - 5))
    assert not cut.point("PC6").placeable and "outside the picture" in cut.point("PC6").unplaceable
    assert cut.point("PC8").placeable


def test_ring_is_drawn_at_the_fitted_radius():
    large = similarity(right_palm_landmarks(), 0, 4, (-480, -200), mirror=False)  # hand size about 420 px
    hand = locate_hand(detected(large, "right", 0.93), catalogue=(BY_CODE["PC8"],))  # nothing else drawn
    pc8 = hand.point("PC8")
    image = np.zeros((1600, 1600, 3), np.uint8)
    PointAnnotator().annotate(image, [hand])
    ring, disc = pc8.acupoint.radius * hand.size, 0.05 * hand.size + 2
    assert ring > disc + 3
    x, y = np.rint(pc8.xy).astype(int)
    lit = np.flatnonzero(image[y:, x].any(axis=1))  # lit pixels straight below the marker's centre
    assert set(lit[lit > disc + 1]) <= set(range(int(ring) - 1, int(ring) + 3)) and any(lit > disc + 1)


def hand_facts(synthetic) -> dict:
    return {p.code: p.unplaceable for p in locate_points(synthetic, "palm")}


def test_placeable_flag_fires_on_a_compressed_hand_and_a_pressed_thumb_only():
    clear = right_palm_landmarks()
    assert all(reason is None for reason in hand_facts(clear).values())
    foreshortened = clear.copy()  # the hand points at the camera: its length shrinks to a third
    foreshortened[:, 1] = 400 + (clear[:, 1] - 400) / 3
    assert all("foreshortened" in reason for reason in hand_facts(foreshortened).values())
    pressed = clear.copy()  # the thumb laid along the index finger
    pressed[[Landmark.THUMB_MCP, Landmark.THUMB_IP, Landmark.THUMB_TIP]] = \
        clear[[Landmark.INDEX_MCP, Landmark.INDEX_PIP, Landmark.INDEX_DIP]] + (25, 15)
    reasons = hand_facts(pressed)
    assert "thumb pressed" in reasons["EX-UE9-1"]
    assert all(reason is None for code, reason in reasons.items() if code != "EX-UE9-1")


def test_a_rule_that_would_not_follow_the_hand_is_refused():
    drifting = replace(BY_CODE["PC8"], rule=lambda landmarks: 1.1 * landmarks[Landmark.WRIST])
    with pytest.raises(ValueError, match="PC8"):
        rule_weights((BY_CODE["LI4"], drifting))


def detected(landmarks, label, score=0.99, depth=None) -> DetectedHand:
    return DetectedHand(landmarks, np.zeros(21) if depth is None else depth, label, score)


def test_hand_and_face_are_one_decision():
    palm = right_palm_landmarks()
    assert chirality(palm) < 0
    mirrored_outline = similarity(palm, 0, 1, (0, 0), mirror=True)
    # Same outline, other label: a right palm and a left back look alike; the label decides.
    assert decide_hand_and_face(detected(palm, "right"), mirrored=False)[::2] == ("right", "palm")
    assert decide_hand_and_face(detected(palm, "left"), mirrored=False)[::2] == ("left", "back")
    assert decide_hand_and_face(detected(mirrored_outline, "left"), mirrored=False)[::2] == ("left", "palm")
    assert decide_hand_and_face(detected(mirrored_outline, "right"), mirrored=False)[::2] == ("right", "back")
    # A selfie view: the picture of a real right palm shows a left-looking palm.
    assert decide_hand_and_face(detected(mirrored_outline, "left"), mirrored=True)[::2] == ("right", "palm")


def world_with_thumb(lift: float) -> np.ndarray:
    """World landmarks (metres, z away from the camera) of the flat synthetic hand, the thumb lifted
    ``lift`` hand sizes toward the camera (negative: away)."""
    landmarks = right_palm_landmarks()
    world = np.column_stack([landmarks / 1000.0, np.zeros(21)])
    world[[Landmark.THUMB_IP, Landmark.THUMB_TIP], 2] = -lift * hand_size(landmarks) / 1000.0
    return world


def palm_probability(hand: DetectedHand) -> float:
    handedness, score, facing, _ = decide_hand_and_face(hand, mirrored=False)
    return score if handedness == "right" else 1 - score  # right palm outline: right = palm


def test_each_cue_pushes_the_shipped_model_the_way_it_should():
    palm = right_palm_landmarks()
    # The label read through the outline: "right" on a right-palm outline says palm, and surer with its score.
    assert palm_probability(detected(palm, "right", 0.95)) > palm_probability(detected(palm, "right", 0.7)) \
        > palm_probability(detected(palm, "left", 0.7)) > palm_probability(detected(palm, "left", 0.95))
    # The thumb toward the camera says palm; away from it, back.
    unsure_label = detected(palm, "left", 0.6)
    assert palm_probability(replace(unsure_label, world=world_with_thumb(0.3))) \
        > palm_probability(unsure_label) > palm_probability(replace(unsure_label, world=world_with_thumb(-0.3)))
    # Knuckles as light as the finger segments: palm (the back's knuckles are wrinkled and darker).
    assert palm_probability(replace(unsure_label, knuckle_shade=-0.03)) \
        > palm_probability(replace(unsure_label, knuckle_shade=-0.16))


def test_missing_cues_push_neither_way(monkeypatch):
    model = FaceModel(np.array([1.0, 4.0, 10.0]), bias=0.5, neutral=np.array([0.0, 0.1, -0.05]),
                      unsure_below=0.8)
    monkeypatch.setattr("locator.hands.shipped_model", lambda: model)
    hand = detected(right_palm_landmarks(), "right", 0.9)
    without = palm_probability(hand)
    with_neutral = palm_probability(replace(hand, world=world_with_thumb(0.1), knuckle_shade=-0.05))
    assert without == pytest.approx(with_neutral, abs=0.02)


def test_a_weak_decision_is_unsure_and_shows_no_face_specific_point(monkeypatch):
    model = FaceModel(np.array([1.0, 0.0, 0.0]), bias=0.0, neutral=np.zeros(3), unsure_below=0.8)
    monkeypatch.setattr("locator.hands.shipped_model", lambda: model)
    weak = locate_hand(detected(right_palm_landmarks(), "right", 0.7))  # P(palm) = 0.7
    assert weak.facing == "unsure" and not weak.sure and weak.handedness == "right"
    assert weak.facing_score == pytest.approx(0.7)
    assert not any(p.on_visible_face for p in weak.points)
    assert weak.to_json()["facing"] == "unsure"
    strong = locate_hand(detected(right_palm_landmarks(), "right", 0.9))
    assert strong.sure and (strong.handedness, strong.facing) == ("right", "palm")
    assert strong.handedness_score == strong.facing_score == pytest.approx(0.9)


def test_edge_on_hand_is_side_and_shows_only_the_webs():
    lm = right_palm_landmarks()
    # Squash the hand across its width and put the thumb side far behind: the palm plane is edge-on.
    edge_on = lm.copy()
    edge_on[:, 0] = 320 + (lm[:, 0] - 320) * 0.05
    depth = (lm[:, 0] - 320) * 2.0
    hand = locate_hand(detected(edge_on, "right", depth=depth))
    assert hand.facing == "side"
    visible = {p.code for p in hand.points if p.on_visible_face}
    assert visible == {p.code for p in CATALOGUE if p.reachable_from_both_faces}
    assert {"EX-UE9-1", "EX-UE9-2", "EX-UE9-3", "EX-UE9-4", "SI3"} <= visible and "PC8" not in visible


def test_visible_face_decides_which_points_are_shown():
    lm = right_palm_landmarks()
    palm = {p.code: p.on_visible_face for p in locate_points(lm, "palm")}
    back = {p.code: p.on_visible_face for p in locate_points(lm, "back")}
    assert palm["PC8"] and not palm["LI4"] and back["LI4"] and not back["PC8"]
    assert all(palm[f"EX-UE9-{n}"] and back[f"EX-UE9-{n}"] for n in range(1, 5))


def test_json_lists_every_point():
    hand = locate_hand(detected(right_palm_landmarks(), "right", 0.93)).to_json()
    assert hand["handedness"] == "right" and hand["facing"] == "palm"
    assert len(hand["landmarks"]) == 21 and all(len(pair) == 2 for pair in hand["landmarks"])
    assert [p["code"] for p in hand["points"]] == [p.code for p in CATALOGUE]
    assert set(hand["points"][0]) == {"code", "name", "x", "y", "face", "on_visible_face", "radius",
                                      "placeable", "reason"}
    assert hand["points"][0]["radius"] == CATALOGUE[0].radius and hand["points"][0]["placeable"]


def synthetic_samples(coefficients, noise=0.0, family_number=0, hands_per_person=3) -> list[Sample]:
    """Hands moved, scaled and mirrored at random, each labelled where a known rule puts its point."""
    family = FAMILIES["LI4"][family_number]
    weights, rng = family.weights(coefficients), np.random.default_rng(7)
    samples = []
    for number in range(12):
        lm = similarity(right_palm_landmarks() + rng.normal(0, 4, (21, 2)), rng.uniform(-3, 3),
                        rng.uniform(0.5, 3), rng.uniform(-200, 200, 2), mirror=bool(number % 2))
        target = weights @ lm + rng.normal(0, noise, 2)
        samples.append(Sample(lm, hand_size(lm), f"person {number // hands_per_person}", {"LI4": target}))
    return samples


def test_fit_recovers_the_coefficients_of_a_known_rule_and_stays_affine():
    family = FAMILIES["LI4"][0]
    coefficients = fit(family, synthetic_samples([0.3, 0.8]), "LI4")
    assert np.allclose(coefficients, [0.3, 0.8])
    assert np.isclose(family.weights(coefficients).sum(), 1.0)


def test_cross_validation_never_trains_on_the_held_out_person():
    samples = synthetic_samples([0.3, 0.8], noise=2.0)
    seen = []

    def procedure(training):
        seen.append({s.group for s in training})
        return fitted_weights(FAMILIES["LI4"][0], training, "LI4"), None

    held_out = leave_one_group_out(samples, "LI4", procedure)
    assert [sorted({s.group for s in samples} - groups) for groups in seen] == [[f"person {n}"] for n in range(4)]
    assert held_out.shape == (12,) and np.all(held_out > 0)
    fitted_point = fit_point("LI4", FAMILIES["LI4"], samples)
    assert np.all(fitted_point.cross_validated >= 0) and np.mean(fitted_point.cross_validated) > np.mean(
        fitted_point.in_sample)


def test_family_is_chosen_only_among_enough_people():
    """Labels made by LI4's third family: twelve people are enough to find it, four are not (the first
    family is kept: a comparison over a handful of people is noise)."""
    families = FAMILIES["LI4"]
    assert choose(families, synthetic_samples([0.4, 0.3], family_number=2, hands_per_person=1), "LI4") is families[2]
    assert choose(families, synthetic_samples([0.4, 0.3], family_number=2, hands_per_person=3), "LI4") is families[0]


def test_shipped_constants_compare_by_rule_not_by_last_digit():
    shipped = json.loads(FITTED_RULES.read_text())["points"]
    nudged = json.loads(json.dumps(shipped))
    nudged["PC8"]["coefficients"] = {k: v + 0.001 for k, v in shipped["PC8"]["coefficients"].items()}
    assert same_constants(shipped, nudged)
    nudged["PC8"]["radius"] += 0.01
    assert not same_constants(shipped, nudged)
    other_family = json.loads(json.dumps(shipped))
    other_family["LI4"]["family"] = "something else"
    assert not same_constants(shipped, other_family)


def test_an_unsure_hand_gets_no_markers_and_the_legend_asks_to_show_it(monkeypatch):
    from locator.hands import UNSURE_PROMPT
    from locator.overlay import LegendAnnotator

    model = FaceModel(np.array([1.0, 0.0, 0.0]), bias=0.0, neutral=np.zeros(3), unsure_below=0.8)
    monkeypatch.setattr("locator.hands.shipped_model", lambda: model)
    unsure = locate_hand(detected(right_palm_landmarks(), "right", 0.6))
    blank = np.zeros((480, 640, 3), np.uint8)
    assert not PointAnnotator(hidden="hollow").annotate(blank.copy(), [unsure]).any()
    drawn = []
    monkeypatch.setattr("locator.overlay.draw_text", lambda image, text, *a, **k: drawn.append(text))
    LegendAnnotator().annotate(blank.copy(), [unsure, locate_hand(detected(right_palm_landmarks(), "right"))])
    assert drawn[:2] == ["A", "B"]  # each hand lettered at its wrist
    assert drawn[2].startswith("A: right hand?") and UNSURE_PROMPT in drawn[2]
    assert drawn[3].startswith("B: right hand, palm")
