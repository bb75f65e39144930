"""The real model on the real shared photos, through the photo pipeline and the command line."""

import csv
import json

import numpy as np
import pytest
from PIL import Image

from locator.catalogue import BY_CODE, CATALOGUE, FAMILIES, FITTED_RULES, fitted_cue
from locator.cli import main
from locator.detector import DetectorOptions, HandDetector
from locator.evaluate import labelled_hands, load_labels, sample
from locator.fitting import fit_point, summarise
from locator.image_cues import CUE_OPTIONS
from locator.images import WORKING_SIDE, find_images, read_photo
from locator.hands import OUTSIDE_PICTURE
from locator.photos import DETECTION_SIDE, analyse_photo, locate_in_photo, mirror_image, read_detection_photo

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def detector():
    with HandDetector() as detector:
        yield detector


@pytest.fixture(scope="module")
def manifest(shared_hands) -> dict[str, dict]:
    with open(shared_hands / "MANIFEST.tsv", newline="") as f:
        return {row["filename"]: row for row in csv.DictReader(f, delimiter="\t")}


def test_hands_found_on_palm_and_back_photos_and_none_on_empty_ones(shared_hands, manifest, detector):
    images = shared_hands / "images"
    palm_or_back = [name for name, row in manifest.items() if row["view"].split()[0] in ("palm", "back")]
    found = [name for name in palm_or_back if analyse_photo(images / name, detector).hands]
    assert len(palm_or_back) >= 10
    assert len(found) / len(palm_or_back) >= 0.95, sorted(set(palm_or_back) - set(found))
    for name in (n for n in manifest if n.startswith("nohand_")):
        assert analyse_photo(images / name, detector).hands == [], name


# Photos with several hands, and how many the manifest's notes say are in view (each counted by eye).
CROWDS = {"multi_unk_01.jpg": 6, "multi_both_03_gt.jpg": 2, "nh_011.jpg": 2, "nh_016.jpg": 2, "nh_058.jpg": 2}


def test_photos_with_several_hands_return_all_of_them_once(shared_hands, detector):
    for name, count in CROWDS.items():
        hands = analyse_photo(shared_hands / "images" / name, detector).hands
        assert len(hands) == count, name
        wrists = np.array([hand.landmarks[0] for hand in hands])
        gaps = np.linalg.norm(wrists[:, None] - wrists[None], axis=2) + np.eye(len(hands)) * 1e9
        assert gaps.min() > 0.3 * min(hand.size for hand in hands), name  # no hand twice


def test_max_hands_limits_the_photo_pipeline(shared_hands):
    with HandDetector(DetectorOptions(max_hands=3)) as three:
        assert len(analyse_photo(shared_hands / "images" / "multi_unk_01.jpg", three).hands) == 3


def test_hand_and_face_agree_with_the_manifest_where_it_is_sure(shared_hands, manifest, detector):
    """Rows judged with high confidence, one hand, view palm or back: both decisions must match."""
    checked = 0
    for name, row in manifest.items():
        if row["handedness_confidence"] != "high" or row["handedness"] not in ("left", "right") \
                or row["view"] not in ("palm", "back"):
            continue
        hands = analyse_photo(shared_hands / "images" / name, detector).hands
        assert hands, name
        assert (hands[0].handedness, hands[0].facing) == (row["handedness"], row["view"]), name
        checked += 1
    assert checked >= 5


def test_mirror_image_of_every_clear_photo_gives_the_same_decisions(shared_hands, manifest, detector):
    """Flip each photo that shows one palm or back, say it is mirrored: same real hand, same face. A view
    may be unsure (the page then asks to turn the hand); it must never say the opposite."""
    checked, unsure = 0, []
    for name, row in manifest.items():
        if row["view"] not in ("palm", "back"):
            continue
        photo = read_photo(shared_hands / "images" / name)
        plain = locate_in_photo(photo, detector)
        flipped = locate_in_photo(mirror_image(photo), detector, mirrored=True)
        if len(plain) != 1 or len(flipped) != 1:
            continue
        if not (plain[0].sure and flipped[0].sure):
            unsure.append(name)
            continue
        assert (plain[0].handedness, plain[0].facing) == (flipped[0].handedness, flipped[0].facing), name
        checked += 1
    assert checked >= 30 and len(unsure) <= 1, unsure


def test_mirrored_photo_gives_the_same_real_hand(shared_hands, detector, tmp_path):
    original = shared_hands / "images" / "palm_right_03_gt.jpg"
    flipped = tmp_path / "selfie.png"
    Image.open(original).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(flipped)
    plain = analyse_photo(original, detector).hands[0]
    selfie = analyse_photo(flipped, detector, mirrored=True).hands[0]
    assert (plain.handedness, plain.facing) == (selfie.handedness, selfie.facing) == ("right", "palm")
    width = Image.open(original).width
    assert np.allclose(selfie.point("PC8").xy, [width - plain.point("PC8").xy[0], plain.point("PC8").xy[1]],
                       atol=0.05 * plain.size)


def test_exif_orientation_is_applied(shared_hands, detector, tmp_path):
    """A photo stored on its side with an EXIF 'rotate' tag gives the same points as the upright one."""
    original = shared_hands / "images" / "palm_left_07.jpg"
    upright = Image.open(original)
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # what a phone held sideways stores
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    rotated = tmp_path / "sideways.jpg"
    stored.save(rotated, exif=exif, quality=95)
    assert read_photo(rotated).full_size == upright.size
    a, b = analyse_photo(original, detector).hands[0], analyse_photo(rotated, detector).hands[0]
    assert np.linalg.norm(a.point("PC8").xy - b.point("PC8").xy) < 0.05 * a.size


@pytest.fixture(scope="module")
def large_jpegs(shared_hands):
    """The shared photos that JPEG's draft mode decodes at half size or less for the detector."""
    large = []
    for path in find_images(shared_hands / "images"):
        with Image.open(path) as image:
            if image.format == "JPEG" and max(image.size) >= 2 * DETECTION_SIDE:
                large.append(path)
    assert len(large) >= 5, "the shared photos should hold several large JPEGs"
    return large


def test_reduced_decode_finds_the_hands_of_the_full_decode(large_jpegs, detector):
    """The detector's picture read straight at its size gives the hands, sides and faces of the full
    decode shrunk to that size, with landmarks a small fraction of a hand apart."""
    for path in large_jpegs:
        photo, full = read_detection_photo(path), read_photo(path)
        assert max(photo.rgb.shape[:2]) == DETECTION_SIDE and photo.full_size == full.full_size, path.name
        reduced_hands, full_hands = locate_in_photo(photo, detector), locate_in_photo(full, detector)
        assert ([(h.handedness, h.facing) for h in reduced_hands]
                == [(h.handedness, h.facing) for h in full_hands]), path.name
        for a, b in zip(reduced_hands, full_hands):
            assert np.abs(a.landmarks - b.landmarks).max() < 0.03 * b.size, path.name


def test_the_picture_to_draw_on_is_read_only_when_asked_for(large_jpegs, detector):
    path = large_jpegs[0]
    drawn = analyse_photo(path, detector)
    undrawn = analyse_photo(path, detector, picture_side=DETECTION_SIDE)
    assert max(undrawn.photo.rgb.shape[:2]) == DETECTION_SIDE
    assert max(drawn.photo.rgb.shape[:2]) == min(WORKING_SIDE, max(drawn.width, drawn.height))
    assert [h.to_json() for h in drawn.hands] == [h.to_json() for h in undrawn.hands]


def test_locate_folder_writes_annotated_images_and_json_lines(shared_hands, tmp_path, capsys):
    images = shared_hands / "images"
    out = tmp_path / "out"
    code = main(["locate", str(images), "--out", str(out), "--json", "-"])
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert code == 0, captured.err
    assert len(records) == len(list(images.iterdir()))
    assert len(list(out.rglob("*.annotated.png"))) == len(records)
    record = next(r for r in records if r["image"].endswith("palm_right_01.jpg"))
    assert (record["width"], record["height"], record["error"]) == (1600, 1200, None)
    hand = record["hands"][0]
    assert hand["handedness"] == "right" and hand["facing"] == "palm"
    assert len(hand["landmarks"]) == 21
    pc8 = next(p for p in hand["points"] if p["code"] == "PC8")
    assert pc8["on_visible_face"] and 0 <= pc8["x"] < 1600 and 0 <= pc8["y"] < 1200
    assert next(p for p in hand["points"] if p["code"] == "LI4")["on_visible_face"] is False
    assert "Traceback" not in captured.err


def test_annotated_image_has_markers_where_the_json_says(shared_hands, tmp_path, capsys):
    photo = shared_hands / "images" / "back_right_01.jpg"
    assert main(["locate", str(photo), "--out", str(tmp_path), "--json", "-"]) == 0
    record = json.loads(capsys.readouterr().out)
    annotated = np.asarray(Image.open(tmp_path / "back_right_01.annotated.png").convert("RGB")).astype(int)
    original = np.asarray(Image.open(photo).convert("RGB")).astype(int)
    assert annotated.shape == original.shape
    points = [p for p in record["hands"][0]["points"] if p["on_visible_face"] and p["placeable"]]
    assert "LI4" in {p["code"] for p in points}
    height = annotated.shape[0]

    def alone(p) -> bool:  # no other marker, nor the legend in the top-left corner, covers its centre
        return p["y"] > height / 3 and all(np.hypot(p["x"] - q["x"], p["y"] - q["y"]) > 40 for q in points if q is not p)

    checked = [p for p in points if alone(p)]
    assert len(checked) >= 3
    for point in checked:
        x, y, colour = round(point["x"]), round(point["y"]), BY_CODE[point["code"]].colour
        assert np.abs(annotated[y, x] - colour).sum() < 60, point["code"]  # the marker's disc centre
        assert np.abs(original[y, x] - colour).sum() > 60, point["code"]


@pytest.fixture(scope="module")
def evaluation(shared_hands, tmp_path_factory) -> str:
    report = tmp_path_factory.mktemp("evaluation") / "report.json"
    code = main(["evaluate", "--labels", str(shared_hands / "acupoints-dev.json"),
                 "--images", str(shared_hands / "images"), "--json", str(report)])
    assert code == 0
    return report.read_text()


WEBS = "EX-UE9 Baxie (finger webs) (all 4)"


def test_evaluation_on_development_labels_cross_validated_by_person(evaluation):
    """The issue's targets, cross-validated by person (README, "Accuracy"). Met: PC8, the three finger
    webs' PCK@0.10, the webs' median (0.023 of 0.025, with the web margin cue) and LI4 (8 of 9 hands, whose
    errors all sit near 0.10: one hand either way moves it by 0.11; PCK@0.20 is 1). Not met, asserted at
    today's level so it cannot slip: the thumb web (0.85 over all labels, of 0.90; 0.92 over the points
    placed)."""
    figures = json.loads(evaluation)
    cv, placed, in_sample = figures["cross_validated"], figures["cross_validated_placed"], figures["points"]
    assert cv["PC8"]["pck@0.10"] >= 0.92
    for web in ("EX-UE9-2", "EX-UE9-3", "EX-UE9-4"):
        assert cv[web]["pck@0.10"] >= 0.90, web
    assert placed["EX-UE9-1"]["pck@0.10"] >= 0.90 and cv["EX-UE9-1"]["pck@0.10"] >= 0.85
    assert cv[WEBS]["median"] <= 0.025
    assert cv["LI4"]["pck@0.10"] >= 0.80 and cv["LI4"]["pck@0.20"] == 1.0
    for code in ("LI4", "PC8", "EX-UE9-1", "EX-UE9-2", "EX-UE9-3", "EX-UE9-4"):  # no over-fit
        assert in_sample[code]["pck@0.10"] - cv[code]["pck@0.10"] <= 0.05, code
    assert {code: cv[code]["n"] for code in cv} == {WEBS: 160, "EX-UE9-1": 40, "EX-UE9-2": 40,
                                                    "EX-UE9-3": 40, "EX-UE9-4": 40, "LI4": 9, "PC8": 30}
    assert figures["placeable"]["unplaceable"] <= 5
    assert figures["hands_found"] == figures["hands_labelled"] == 40
    assert figures["handedness_agree"] == figures["facing_agree"] == 40
    assert figures["negative_images"] == 6 and figures["hands_on_negatives"] == 0


def test_the_web_cue_cross_validated_is_what_evaluate_prints(shared_hands, evaluation, detector):
    """``evaluate``'s cross-validated web figures are each fold's rule followed by the web margin cue (or
    none) chosen on that fold's training people; recomputed here from the photo pipeline's hands they are
    the same, and not the rule's alone. In sample, every web shown is the shipped rule's point moved by
    the shipped cue (the one the fit chooses on all hands)."""
    figures = json.loads(evaluation)["cross_validated"]
    found = list(labelled_hands(load_labels(shared_hands / "acupoints-dev.json"), shared_hands / "images",
                                lambda path: analyse_photo(path, detector, picture_side=DETECTION_SIDE).hands))
    samples = [sample(group, label, hand) for _, group, label, hand in found]
    moved = 0
    for code in CUE_OPTIONS:
        with_cue = fit_point(code, FAMILIES[code], samples, CUE_OPTIONS[code])
        assert summarise(with_cue.cross_validated) == {k: v for k, v in figures[code].items() if k != "radius"}
        assert not np.allclose(with_cue.cross_validated, fit_point(code, FAMILIES[code], samples).cross_validated)
        assert with_cue.option is not None and fitted_cue(code) == with_cue.option.name, code
        for _, _, _, hand in found:
            rule_point = BY_CODE[code].rule(hand.landmarks)
            assert np.allclose(hand.point(code).xy, hand.refine(code, rule_point)), code
            moved += not np.allclose(hand.point(code).xy, rule_point)
    assert moved >= 40   # of 160 webs: the cue is not idle


HAND_MAP = {"PC7": 27, "HT7": 26, "LU9": 27, "PC6": 12, "LU10": 30, "HT8": 31, "EX-UE8": 9, "TE3": 9,
            "EX-UE7-1": 7, "EX-UE7-2": 7, "SI3": 40}
BELOW_TARGET = {"HT7": 0.60, "PC6": 0.50}  # PCK@0.10 short of 0.70: asserted at today's level (README)


def test_hand_map_points_cross_validated_by_person(shared_hands, tmp_path):
    """Every hand-map point with at least 8 labels: PCK@0.20 >= 0.90 and PCK@0.10 >= 0.70, cross-validated
    by person; HT7 and PC6 fall short of the second (the wrist landmark's own scatter; PC6's annotators
    disagree by 0.09-0.17) and are held at today's level so they cannot slip."""
    report = tmp_path / "report.json"
    assert main(["evaluate", "--labels", str(shared_hands / "acupoints-dev.json"),
                 str(shared_hands / "acupoints-extended-dev.json"), "--images", str(shared_hands / "images"),
                 "--json", str(report)]) == 0
    cv = json.loads(report.read_text())["cross_validated"]
    assert {code: cv[code]["n"] for code in HAND_MAP} == HAND_MAP
    for code, n in HAND_MAP.items():
        if n >= 8:
            assert cv[code]["pck@0.20"] >= 0.90, code
            assert cv[code]["pck@0.10"] >= BELOW_TARGET.get(code, 0.70), code


def test_fit_from_the_labels_reproduces_the_shipped_constants(shared_hands, capsys):
    """``python -m locator fit`` re-run on the labels gives exactly locator/fitted_rules.json: rules,
    rings (the radius comes from this fit) and figures."""
    code = main(["fit", "--labels", str(shared_hands / "acupoints-dev.json"),
                 str(shared_hands / "acupoints-extended-dev.json"), "--images", str(shared_hands / "images")])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "fitted_rules.json: the same constants" in printed
    shipped = json.loads(FITTED_RULES.read_text())["points"]
    for code, point in shipped.items():  # each point's line names its image cue, if the fit chose one
        line = next(line for line in printed.splitlines() if line.startswith(f"{code}: "))
        cue = point.get("image_cue")
        assert (f"; image cue {cue};" in line if cue else "; image cue " not in line), line
    assert {point.code: point.radius for point in CATALOGUE if point.code in shipped} == {
        code: point["radius"] for code, point in shipped.items()}


def test_placeable_flag_fires_on_compressed_hands_not_on_clear_ones(shared_hands, detector):
    """Gripping hands seen foreshortened get no point; the 40 labelled (flat, clear) hands keep all of
    theirs, but for the thumb web where the thumb is pressed to the index finger (3 hands)."""
    images = shared_hands / "images"
    for name in ("back_right_05_gt.jpg", "back_right_06_gt.jpg"):
        hands = analyse_photo(images / name, detector).hands
        assert hands and all(not p.placeable and "foreshortened" in p.unplaceable
                             for hand in hands for p in hand.points), name
    labels = load_labels(shared_hands / "acupoints-dev.json")
    withheld = []
    for name, _, _, hand in labelled_hands(labels, images, lambda path: analyse_photo(path, detector).hands):
        withheld += [(name, p.code) for p in hand.points if not p.placeable and p.unplaceable != OUTSIDE_PICTURE]
        for point in (p for p in hand.points if p.unplaceable == OUTSIDE_PICTURE):  # e.g. PC6 up the forearm
            width, height = Image.open(images / name.split("#")[0]).size
            assert not (0 <= point.xy[0] < width and 0 <= point.xy[1] < height), (name, point.code)
    assert {code for _, code in withheld} == {"EX-UE9-1"} and len(withheld) == 3, withheld
