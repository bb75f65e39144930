"""Knowledge about a point lives in its catalogue entry: a point added in one place reaches the JSON, the
picture (marker colour and legend) and the evaluation, with no other module touched."""

import json
from dataclasses import replace

import numpy as np
import pytest

from locator import catalogue
from locator.catalogue import BY_CODE, CATALOGUE
from locator.evaluate import evaluate, load_labels
from locator.geometry import Landmark as L
from locator.geometry import lerp
from locator.hands import DetectedHand, locate_hand
from locator.overlay import annotate_photo, short_label_legend

from .synthetic import right_palm_landmarks

NEW_POINT = replace(
    BY_CODE["PC8"], code="XT-1", pinyin="Ceshi", hanzi="测试", english="Test point",
    rule=lambda landmarks: lerp(landmarks[L.WRIST], landmarks[L.MIDDLE_MCP], 0.5),
    series="Test series", colour=(20, 240, 60), short_label="T", reachable_from_both_faces=True)
EXTENDED = CATALOGUE + (NEW_POINT,)


def located_hand():
    detected = DetectedHand(right_palm_landmarks(), np.zeros(21), "right", 0.95)
    return locate_hand(detected, catalogue=EXTENDED)


def test_a_new_entry_reaches_the_json():
    points = {p["code"]: p for p in located_hand().to_json()["points"]}
    expected = lerp(right_palm_landmarks()[L.WRIST], right_palm_landmarks()[L.MIDDLE_MCP], 0.5)
    assert (points["XT-1"]["x"], points["XT-1"]["y"]) == tuple(np.round(expected, 1))
    assert points["XT-1"]["name"] == "Ceshi" and points["XT-1"]["on_visible_face"]


def test_a_new_entry_reaches_the_picture_and_its_legend():
    hand = located_hand()
    assert "T: Test series" in short_label_legend([hand])
    picture = annotate_photo(np.full((480, 640, 3), 90, np.uint8), [hand])
    x, y = np.round(hand.point("XT-1").xy).astype(int)
    assert tuple(picture[y, x]) == NEW_POINT.colour


def test_a_new_entry_reaches_the_evaluation(tmp_path):
    hand = located_hand()
    marked = hand.point("XT-1").xy + (3.0, 4.0)  # 5 px from the rule on a hand of known size
    labels_file = tmp_path / "labels.json"
    labels_file.write_text(json.dumps({"images": [{"image": "a.jpg", "hands": [{
        "hand": "right", "facing": "palm", "scale": hand.size, "points": {
            "XT-1": marked.tolist(), "wrist": hand.landmarks[L.WRIST].tolist(),
            "mcp3": hand.landmarks[L.MIDDLE_MCP].tolist()}}]}]}))
    labels = load_labels(labels_file, EXTENDED)
    report = evaluate(labels, tmp_path, lambda path: [hand])
    assert report.errors["XT-1"] == [5.0 / hand.size]


def test_a_fitted_rule_that_no_longer_matches_its_family_is_named(monkeypatch):
    """A family or term renamed since the fit: the import says which point and what, not a bare
    StopIteration or KeyError."""

    shipped = catalogue._FITTED["PC8"]
    monkeypatch.setitem(catalogue._FITTED, "PC8", {**shipped, "family": "renamed"})
    with pytest.raises(LookupError, match="PC8's rule family 'renamed' is not among FAMILIES"):
        catalogue.fitted("PC8")
    monkeypatch.setitem(catalogue._FITTED, "PC8", {**shipped, "coefficients": {}})
    with pytest.raises(LookupError, match=f"PC8's rule family '{shipped['family']}' has no coefficient for"):
        catalogue.fitted("PC8")
    monkeypatch.setitem(catalogue._FITTED, "PC8", shipped)
    assert np.allclose(catalogue.fitted("PC8")["rule"](np.eye(21)), BY_CODE["PC8"].rule(np.eye(21)))
