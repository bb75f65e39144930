"""``evaluate`` and ``fit`` measure the photo pipeline a user gets: the same detector settings as
``locate`` and the page's photo mode, hence the same landmarks."""

import json

import numpy as np
import pytest

from locator import cli, detector as detector_module
from locator.detector import PHOTO_MAX_HANDS, HandDetector
from locator.photos import analyse_photo

pytestmark = pytest.mark.model

# The labelled photos that show two hands.
PAIRS = ("back_left_01.jpg", "nh_011.jpg", "nh_016.jpg", "nh_058.jpg")


def test_evaluate_and_fit_use_the_photo_settings_of_locate_and_the_page(shared_hands, tmp_path, monkeypatch):
    built = []

    class Recording(HandDetector):
        def __init__(self, options):
            built.append(options)
            super().__init__(options)

    monkeypatch.setattr(detector_module, "HandDetector", Recording)
    labels = json.loads((shared_hands / "acupoints-dev.json").read_text())
    labels["images"] = [entry for entry in labels["images"] if entry["image"] in PAIRS]
    pairs = tmp_path / "labels.json"
    pairs.write_text(json.dumps(labels))
    common = ["--labels", str(pairs), "--images", str(shared_hands / "images")]
    assert cli.main(["evaluate", *common, "--negatives", "none"]) == 0
    cli.main(["fit", *common])   # fitted on 8 hands: not the shipped constants, exit code 1
    assert cli.main(["locate", str(shared_hands / "images" / "nh_058.jpg")]) == 0
    page_default = HandDetector.__init__.__defaults__[0]   # app.py builds HandDetector()
    assert len(built) == 3 and set(built) == {page_default}
    assert page_default.max_hands == PHOTO_MAX_HANDS


def test_two_hand_photos_get_the_landmarks_of_a_two_hand_look(shared_hands):
    """Looking for up to six hands (tiles and all) never replaces the landmarks a two-hand look finds."""
    with HandDetector() as photo, HandDetector(cli.DetectorOptions(max_hands=2)) as pair:
        for name in PAIRS:
            found = analyse_photo(shared_hands / "images" / name, photo).hands
            two = analyse_photo(shared_hands / "images" / name, pair).hands
            assert len(found) == len(two) == 2, name
            assert all(np.allclose(a.landmarks, b.landmarks) for a, b in zip(found, two)), name
