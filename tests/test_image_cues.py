"""The seam for image cues: the photo and live paths apply them after the rules, and cross-validation
scores each fold's rule with them."""

from dataclasses import replace

import numpy as np
import pytest

from locator.catalogue import FAMILIES
from locator.fitting import (Sample, choose_option, errors, fit_point, fitted_weights, leave_one_group_out,
                             one_standard_error, same_constants, to_json)
from locator.geometry import hand_size
from locator.hands import DetectedHand, locate_hand
from locator.image_cues import CUE_OPTIONS, CUES, LIVE_CUES, ImageCue, apply_cues, fitted_cues, refiner
from locator.live import LivePipeline

from .synthetic import right_palm_landmarks


def toward_red(view, code, xy):
    """A toy cue: the point moves to the first pure red pixel in its row (picture pixels), if any."""
    row = view.picture[int(round(xy[1]))]
    red = np.flatnonzero((row == (255, 0, 0)).all(axis=1))
    return np.array([red[0], xy[1]], dtype=float) if red.size else xy


TOY = (ImageCue("toy", frozenset({"LI4"}), toward_red),)


def located():
    return locate_hand(DetectedHand(right_palm_landmarks(), np.zeros(21), "right", 0.95))


def test_a_cue_moves_only_its_points_and_in_the_hand_coordinates():
    hand = located()
    picture = np.zeros((300, 300, 3), np.uint8)  # half the hand's pixels: scale 0.5
    row = int(round(hand.point("LI4").xy[1] * 0.5))
    picture[row, 37] = (255, 0, 0)
    moved = apply_cues(picture, hand, 0.5, TOY)
    assert np.allclose(moved.point("LI4").xy, (74.0, hand.point("LI4").xy[1]))
    assert all(np.array_equal(a.xy, b.xy) for a, b in zip(hand.points, moved.points) if a.code != "LI4")
    assert np.allclose(moved.refine("LI4", hand.point("LI4").xy), moved.point("LI4").xy)
    assert np.array_equal(moved.refine("PC8", hand.point("PC8").xy), hand.point("PC8").xy)


def test_no_cue_or_no_clear_picture_leaves_the_rules_points():
    hand = located()
    blank = np.zeros((600, 600, 3), np.uint8)
    for cues in ((), TOY):
        same = apply_cues(blank, hand, 1.0, cues)
        assert all(np.array_equal(a.xy, b.xy) for a, b in zip(hand.points, same.points))


class OneHand:
    """A detector that always sees the synthetic hand."""

    max_hands, last_source = 1, "test"

    def detect(self, rgb, timestamp_ms):
        return [DetectedHand(right_palm_landmarks(), np.zeros(21), "right", 0.95)]

    def close(self):
        pass


def test_the_live_path_applies_the_cues(monkeypatch):
    import locator.live as live

    monkeypatch.setattr(live, "LIVE_CUES", TOY)
    frame = np.zeros((480, 640, 3), np.uint8)
    hand = located()
    frame[int(round(hand.point("LI4").xy[1])), 5] = (255, 0, 0)
    result = LivePipeline(OneHand(), mirrored=False, smoothing=False).process(frame, 0)
    assert result.hands[0].point("LI4").xy[0] == 5.0 and result.hands[0].refine is not None


def labelled_hands(people=12, per_person=2):
    """Hands labelled near a known LI4 rule (label noise), with an option "exact" that finds the label and
    an option "astray" that moves the point off by a fixed amount."""
    family, samples = FAMILIES["LI4"][0], []
    rng = np.random.default_rng(3)
    moves = {"exact": lambda xy, target: target, "astray": lambda xy, target: xy + (40.0, 0.0)}
    for number in range(people * per_person):
        landmarks = right_palm_landmarks() + rng.normal(0, 5, (21, 2))
        target = family.weights([0.3, 0.8]) @ landmarks + rng.normal(0, 6, 2)
        samples.append(Sample(landmarks, hand_size(landmarks), f"person {number // per_person}", {"LI4": target},
                              refine=lambda code, xy, option, t=target: moves[option](xy, t)))
    return family, samples


def test_cross_validation_scores_each_folds_rule_after_the_option_chosen_on_its_training_people():
    family, samples = labelled_hands()
    seen = []

    def procedure(training, option="exact"):
        seen.append({s.group for s in training})
        return fitted_weights(family, training, "LI4"), option

    assert np.allclose(leave_one_group_out(samples, "LI4", procedure), 0.0)
    assert all(len(groups) == 11 for groups in seen) and len(seen) == 12
    no_option = leave_one_group_out(samples, "LI4", lambda training: procedure(training, None))
    assert np.all(no_option > 0)   # no option: the rule's point
    # the least squares stay on the landmarks: an option never changes the fitted rule
    plain = [replace(s, refine=None) for s in samples]
    assert np.allclose(fitted_weights(family, samples, "LI4"), fitted_weights(family, plain, "LI4"))
    assert np.allclose(errors(fitted_weights(family, samples, "LI4"), samples, "LI4", "exact"), 0.0)


def test_an_option_is_used_only_when_it_beats_the_rule_alone():
    family, samples = labelled_hands()
    assert choose_option((None, "exact"), family, samples, "LI4") == "exact"
    assert choose_option((None, "astray"), family, samples, "LI4") is None
    assert choose_option((None, "exact"), family, samples[:8], "LI4") is None   # 4 people: no comparison
    plain = [replace(s, refine=None) for s in samples]
    assert choose_option((None, "exact"), family, plain, "LI4") is None          # no picture seen
    fitted = fit_point("LI4", (family,), samples, (None, "astray", "exact"))
    assert fitted.option == "exact" and np.allclose(fitted.cross_validated, 0.0)
    assert fit_point("LI4", (family,), samples).option is None


def test_an_option_is_compared_with_none_hand_by_hand():
    """A cue that moves few hands, each a little closer, on hands whose errors spread widely: its gain is
    far below the spread of the errors across hands (the plain rule keeps no cue) but clear against the
    noise of the hand-by-hand differences (the paired rule takes it); a cue that helps some hands as much
    as it hurts others is not taken either way."""
    none = np.linspace(0.01, 0.30, 20)
    helps = none - np.where(np.arange(20) < 5, 0.008, 0.0)
    assert one_standard_error([none, helps]) == 0
    assert one_standard_error([none, helps], paired=True) == 1
    mixed = none + np.where(np.arange(20) % 2, 0.05, -0.05) - 0.004
    assert one_standard_error([none, mixed], paired=True) == 0


def test_the_chosen_cue_is_written_beside_the_rule_and_a_changed_cue_is_not_the_same_constants():
    """``fit`` says "the same constants" only when the shipped file names the cue the fit chooses."""
    family, samples = labelled_hands()
    exact = ImageCue("exact", frozenset({"LI4"}), toward_red)
    named = [replace(s, refine=lambda code, xy, option, r=s.refine: r(code, xy, option.name)) for s in samples]
    written = to_json(fit_point("LI4", (family,), named, (None, exact)))
    assert written["image_cue"] == "exact" and "image_cue" not in to_json(fit_point("LI4", (family,), named))
    assert same_constants({"LI4": written}, {"LI4": dict(written)})
    assert not same_constants({"LI4": written}, {"LI4": {**written, "image_cue": "other"}})
    assert not same_constants({"LI4": written}, {"LI4": {k: v for k, v in written.items() if k != "image_cue"}})


def test_refiner_is_the_identity_without_cues():
    hand = located()
    refine = refiner(np.zeros((10, 10, 3), np.uint8), hand, 2.0, ())
    assert np.allclose(refine("EX-UE9-1", np.array([3.0, 4.0])), (3.0, 4.0))



def test_the_shipped_cues_are_the_fits_choices_and_photo_only_ones_stay_off_the_live_path():
    """The web margin cues ship for photos (fitted_rules.json) and are not live (their reading flickers on
    video), so the live path applies none and leaves the hand without ``refine``."""
    assert CUES and all(cue in CUE_OPTIONS[code] for cue in CUES for code in cue.codes)
    assert not any(cue.live for cue in CUES) and LIVE_CUES == ()
    frame = np.zeros((480, 640, 3), np.uint8)
    result = LivePipeline(OneHand(), mirrored=False, smoothing=False).process(frame, 0)
    assert result.hands[0].refine is None
    assert all(np.array_equal(a.xy, b.xy) for a, b in zip(result.hands[0].points, located().points))


def test_a_fitted_cue_no_option_has_is_named():
    options = {"LI4": (None, *TOY)}
    assert fitted_cues(options, lambda code: "toy") == TOY
    assert fitted_cues(options, lambda code: None) == ()
    with pytest.raises(LookupError, match="LI4's image cue 'renamed' is not among"):
        fitted_cues(options, lambda code: "renamed")
