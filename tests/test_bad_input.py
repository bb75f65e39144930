"""Bad input: one clear line (or an empty result), a non-zero exit, never a traceback; nothing lost."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from locator.cli import main
from locator.detector import HandDetector
from locator.errors import UserError
from locator.images import read_photo
from locator.photos import analyse_photo

pytestmark = pytest.mark.model


def run_locate(*args: str) -> tuple[int, list[dict], str]:
    """The command line as a user runs it, in its own process."""
    result = subprocess.run([sys.executable, "-m", "locator", "locate", *args, "--json", "-"],
                            capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, [json.loads(line) for line in result.stdout.splitlines()], result.stderr


@pytest.fixture(scope="module")
def detector():
    with HandDetector() as detector:
        yield detector


@pytest.fixture
def hand_photo(shared_hands) -> Path:
    return shared_hands / "images" / "palm_right_03_gt.jpg"


def test_batch_goes_on_past_bad_files_and_exits_non_zero(tmp_path, hand_photo):
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "notes.jpg").write_text("this is not a picture")
    truncated = hand_photo.read_bytes()
    (tmp_path / "truncated.jpg").write_bytes(truncated[: len(truncated) // 2])
    code, records, stderr = run_locate(str(tmp_path / "missing.jpg"), str(tmp_path / "empty.jpg"),
                                       str(tmp_path / "notes.jpg"), str(tmp_path / "truncated.jpg"),
                                       str(hand_photo))
    assert code == 1
    errors = {Path(r["image"]).name: r["error"] for r in records}
    assert errors == {"missing.jpg": "no such file", "empty.jpg": "empty file (0 bytes)",
                      "notes.jpg": "not an image, or a format this tool cannot read",
                      "truncated.jpg": errors["truncated.jpg"], hand_photo.name: None}
    assert errors["truncated.jpg"].startswith("truncated or corrupt image")
    assert all(r["hands"] == [] for r in records if r["error"])
    assert records[-1]["hands"], "the good photo after the bad ones is still processed"
    assert "4 of 5 inputs failed" in stderr


def test_folder_without_images_and_missing_model_are_one_line(tmp_path, hand_photo):
    (tmp_path / "readme.txt").write_text("no pictures here")
    code, records, stderr = run_locate(str(tmp_path))
    assert code == 1 and records == []
    assert "folder has no images" in stderr
    code, _, stderr = run_locate(str(hand_photo), "--model", str(tmp_path / "none.task"))
    assert code == 2 and stderr.strip().splitlines()[-1].startswith("locator: error: hand model not found")


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_max_hands_must_be_a_positive_number(hand_photo, value):
    code, records, stderr = run_locate(str(hand_photo), "--max-hands", value)
    assert code == 2 and records == []
    assert stderr.strip().splitlines()[-1].endswith(f"expected a whole number of at least 1, got {value!r}")


@pytest.mark.parametrize("mode", ["L", "I;16", "RGBA", "P", "LA"])
def test_image_modes_become_rgb_and_hands_are_still_found(tmp_path, shared_hands, detector, mode):
    rgb = Image.open(shared_hands / "images" / "palm_left_07.jpg").convert("RGB")
    if mode == "I;16":
        gray16 = (np.asarray(rgb.convert("L"), dtype=np.uint16) * 257)
        image = Image.fromarray(gray16)
        assert image.mode == "I;16"
    elif mode == "RGBA":
        image = rgb.convert("RGBA")
        image.putalpha(255)
    elif mode == "P":  # an 8-bit PNG as image editors save it
        image = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=256)
    else:
        image = rgb.convert(mode)
    path = tmp_path / f"hand_{mode.replace(';', '')}.png"
    image.save(path)
    photo = read_photo(path)
    assert photo.rgb.dtype == np.uint8 and photo.rgb.shape == (rgb.height, rgb.width, 3)
    if mode in ("I;16", "L"):  # 16-bit must not be clipped to white
        assert 50 < photo.rgb.mean() < 250
    result = analyse_photo(path, detector)
    assert result.error is None and result.hands, mode


def test_transparent_background_is_laid_on_white(tmp_path):
    path = tmp_path / "clear.png"
    Image.new("RGBA", (20, 10), (0, 0, 0, 0)).save(path)
    assert (read_photo(path).rgb == 255).all()


def test_huge_image_is_downscaled_but_coordinates_stay_in_the_original_frame(tmp_path, hand_photo, detector):
    small = Image.open(hand_photo).convert("RGB")
    huge = small.resize((12000, 9000), Image.Resampling.BILINEAR)  # stretched, but still a hand
    path = tmp_path / "huge.jpg"
    huge.save(path, quality=80)
    del huge
    result = analyse_photo(path, detector)
    assert (result.width, result.height) == (12000, 9000)
    assert max(result.photo.rgb.shape) <= 4096  # decoded at a reduced size
    reference = analyse_photo(hand_photo, detector).hands[0]
    hand = result.hands[0]
    expected = reference.point("PC8").xy * (12000 / small.width, 9000 / small.height)
    assert np.linalg.norm(hand.point("PC8").xy - expected) < 0.1 * hand.size


def test_image_with_no_hand_is_an_empty_result_not_an_error(tmp_path, detector):
    path = tmp_path / "wall.png"
    Image.new("RGB", (640, 480), (120, 130, 140)).save(path)
    result = analyse_photo(path, detector)
    assert result.error is None and result.hands == []


def test_outputs_never_overwrite_inputs_or_existing_files(tmp_path, hand_photo, capsys):
    out = tmp_path / "out"
    assert main(["locate", str(hand_photo), "--out", str(out)]) == 0
    written = out / "palm_right_03_gt.annotated.png"
    before = written.read_bytes()
    written.write_bytes(b"the user's own edit")
    assert main(["locate", str(hand_photo), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert written.read_bytes() == b"the user's own edit"
    assert main(["locate", str(hand_photo), "--out", str(out), "--overwrite"]) == 0
    assert written.read_bytes() == before
    # An input that sits where the output would go is never written over.
    assert main(["locate", str(written), "--out", str(out), "--overwrite"]) in (0, 1)
    inputs_own = out / "palm_right_03_gt.annotated.annotated.png"
    assert inputs_own.exists() and written.read_bytes() == before
    json_file = tmp_path / "points.jsonl"
    json_file.write_text("keep me")
    assert main(["locate", str(hand_photo), "--json", str(json_file)]) == 2
    assert json_file.read_text() == "keep me"


def test_same_file_name_in_two_folders_keeps_both(tmp_path, hand_photo):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "hand.jpg").write_bytes(hand_photo.read_bytes())
    assert main(["locate", str(tmp_path / "a" / "hand.jpg"), str(tmp_path / "b" / "hand.jpg"),
                 "--out", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["hand-2.annotated.png",
                                                                     "hand.annotated.png"]


def test_read_photo_errors_are_single_lines(tmp_path):
    with pytest.raises(UserError, match="is a folder"):
        read_photo(tmp_path)


def test_a_bad_model_leaves_an_earlier_json_file_as_it_was(tmp_path, hand_photo):
    """The model loads before any output is opened, and outputs replace files only when complete."""
    earlier = tmp_path / "points.jsonl"
    earlier.write_text('{"kept": true}\n')
    broken = tmp_path / "broken.task"
    broken.write_bytes(b"not a model")
    for extra in ([], ["--overwrite"]):
        result = subprocess.run([sys.executable, "-m", "locator", "locate", str(hand_photo), "--json",
                                 str(earlier), "--model", str(broken), *extra],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert earlier.read_text() == '{"kept": true}\n'
    fresh = tmp_path / "new.jsonl"
    result = subprocess.run([sys.executable, "-m", "locator", "locate", str(hand_photo), "--json", str(fresh),
                             "--model", str(broken)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and not fresh.exists()  # no empty file to block the next run
    assert not list(tmp_path.glob(".*.part"))


def test_huge_png_is_refused_from_its_header_without_a_process_wide_change(tmp_path):
    """A PNG cannot be decoded at a reduced size: past the memory bound it is refused before decoding."""
    before = Image.MAX_IMAGE_PIXELS
    huge = tmp_path / "huge.png"
    Image.new("RGB", (12000, 9000)).save(huge, compress_level=1)  # 324 MB decoded, a few hundred kB on disk
    with pytest.raises(UserError, match="image too large to read as PNG: 12000x9000"):
        read_photo(huge)
    assert Image.MAX_IMAGE_PIXELS == before


def test_bad_label_files_name_the_entry_and_the_problem(tmp_path, shared_hands, capsys):
    entry = {"image": "palm_right_03_gt.jpg", "hands": [
        {"hand": "right", "facing": "palm", "scale": 150.0, "points": {"PC8": [10, 20], "XX99": [1, 2]}}]}
    cases = {
        "unknown.json": ({"images": [entry]}, "entry 1 (palm_right_03_gt.jpg): hand 1: unknown point code 'XX99'"),
        "no-scale.json": ({"images": [{**entry, "hands": [{**entry["hands"][0], "scale": "big"}]}]},
                          "hand 1: 'scale' must be a positive number"),
        "no-hands.json": ({"images": [{"image": "a.jpg"}]}, "entry 1 (a.jpg): no 'hands' list"),
        "no-name.json": ({"images": [{**entry, "image": ""}]}, "no-name.json: entry 1: no 'image' file name"),
        "true-scale.json": ({"images": [{**entry, "hands": [{**entry["hands"][0], "scale": True}]}]},
                            "hand 1: 'scale' must be a positive number"),
        "nan-point.json": ('{"images": [{"image": "a.jpg", "hands": [{"hand": "left", "facing": "palm", "scale": 9, '
                           '"points": {"wrist": [1, 2], "mcp3": [NaN, 4]}}]}]}', "hand 1: point mcp3 must be [x, y]"),
        "no-references.json": ({"images": [{**entry, "hands": [{**entry["hands"][0], "points": {"PC8": [1, 2]}}]}]},
                               "entry 1 (palm_right_03_gt.jpg): hand 1: no 'wrist' or 'mcp3' point (marked on "
                               "every hand, to match it to a found hand)"),
        "no-mcp3.json": ({"images": [{**entry, "hands": [{**entry["hands"][0],
                                                          "points": {"PC8": [1, 2], "wrist": [3, 4]}}]}]},
                         "hand 1: no 'mcp3' point"),
        "not-json.json": ("{", "not a labels file"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        code = main(["evaluate", "--labels", str(path), "--images", str(shared_hands / "images")])
        err = capsys.readouterr().err
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, (name, err)


def test_labels_without_hands_are_nothing_to_evaluate_or_fit(tmp_path, shared_hands, shared_hands11k, capsys):
    """Not a table of nan and 0/0 with exit 0, nor constants fitted on no hands."""
    header = (shared_hands11k / "labels.csv").read_text().splitlines()[0]
    files = {"empty.json": json.dumps({"images": []}),
             "handless.json": json.dumps({"images": [{"image": "nohand_01.jpg", "hands": []}]}),
             "header-only.csv": header + "\n"}
    for name, content in files.items():
        path = tmp_path / name
        path.write_text(content)
        for command in ("evaluate", "fit")[:1 if name.endswith(".csv") else 2]:
            code = main([command, "--labels", str(path), "--images", str(shared_hands / "images")])
            err = capsys.readouterr().err
            assert code == 2 and err == f"locator: error: {path}: no labelled hands, nothing to {command}\n", \
                (name, command, err)


def test_bad_csv_rows_name_the_line_and_the_value(tmp_path, shared_hands11k, capsys):
    """A row that cannot be scored is refused, not counted as the locator's mistake."""
    header, good = (shared_hands11k / "labels.csv").read_text().splitlines()[:2]
    assert header.split(",")[:4] == ["image", "subject", "hand", "facing"]
    image = good.split(",")[0]
    cases = {
        good.replace(",right,", ",lft,").replace(",left,", ",lft,"): f"line 3 ({image}): 'hand' must be "
                                                                     f"left/right, got 'lft'",
        ",".join(good.split(",")[:3]): f"line 3 ({image}): 'facing' must be palm/back/side, got nothing",
        good.replace(image, "", 1): "line 3: no image file name",
        ",".join(good.split(",")[:-1]): f"line 3 ({image}): fewer fields than the header has columns",
        good + ",1": f"line 3 ({image}): more fields than the header has columns",
    }
    for number, (row, message) in enumerate(cases.items()):
        path = tmp_path / f"labels-{number}.csv"
        path.write_text(f"{header}\n{good}\n{row}\n")
        code = main(["evaluate", "--labels", str(path), "--images", str(shared_hands11k / "images")])
        err = capsys.readouterr().err
        assert code == 2 and err == f"locator: error: {path}: {message}\n", (row, err)


def test_bench_images_given_a_file_says_it_is_a_file(hand_photo, capsys):
    """``bench --images`` takes a folder: its photos make the test video and are timed through the photo
    pipeline (a single photo would time one read)."""
    assert main(["bench", "--images", str(hand_photo), "--frames", "30"]) == 2
    assert capsys.readouterr().err == f"locator: error: {hand_photo}: is a file, not a folder of hand photos\n"


@pytest.mark.parametrize("pattern", ["", "/tmp/nohand_*"])
def test_negatives_pattern_that_glob_refuses_is_one_line(shared_hands, pattern, capsys):
    assert main(["evaluate", "--labels", str(shared_hands / "acupoints-dev.json"),
                 "--images", str(shared_hands / "images"), "--negatives", pattern]) == 2
    assert capsys.readouterr().err == (f"locator: error: --negatives {pattern!r}: expected a file name pattern "
                                       f"inside --images, e.g. nohand_*\n")


@pytest.mark.parametrize("minutes", ["-1", "nan", "inf"])
def test_bench_long_must_be_minutes_and_is_checked_before_the_bench(shared_hands, minutes, capsys):
    assert main(["bench", "--images", str(shared_hands / "images"), "--frames", "30", "--long", minutes]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"locator: error: --long {minutes}: expected a number of minutes, 0 or more\n"


def test_outputs_that_cannot_be_written_are_refused_before_any_work(tmp_path, shared_hands, hand_photo, capsys):
    """A path through a file is one line and exit 2 before the model loads, for every command that
    writes: no traceback at the end of a long run, no batch of per-photo failures."""
    a_file = tmp_path / "a-file"
    a_file.write_text("the user's")
    labels = shared_hands / "acupoints-dev.json"
    commands = {
        "locate --out": ["locate", str(hand_photo), "--out", str(a_file / "out")],
        "locate --json": ["locate", str(hand_photo), "--json", str(a_file / "points.jsonl")],
        "evaluate --json": ["evaluate", "--labels", str(labels), "--images", str(shared_hands / "images"),
                            "--json", str(a_file / "report.json")],
        "bench --json": ["bench", "--images", str(shared_hands / "images"), "--frames", "30",
                         "--json", str(a_file / "bench.json")],
        "samples --to": ["samples", "--to", str(a_file / "photos"), "--from", str(shared_hands / "images")],
        "locate --out, a file": ["locate", str(hand_photo), "--out", str(a_file)],
        "samples --to, a file": ["samples", "--to", str(a_file), "--from", str(shared_hands / "images")],
    }
    for name, argv in commands.items():
        assert main(argv) == 2, name
        out, err = capsys.readouterr()
        assert err.strip().splitlines() == [err.strip()] and f"{a_file} is not a folder" in err, (name, err)
        assert a_file.read_text() == "the user's"


def test_evaluate_and_bench_keep_an_existing_json_file_unless_overwrite(tmp_path, shared_hands, capsys):
    earlier = tmp_path / "figures.json"
    earlier.write_text('{"kept": true}\n')
    images = str(shared_hands / "images")
    for argv in (["evaluate", "--labels", str(shared_hands / "acupoints-dev.json"), "--images", images],
                 ["bench", "--images", images, "--frames", "30"]):
        assert main([*argv, "--json", str(earlier)]) == 2, argv
        assert "already exists (use --overwrite to replace it)" in capsys.readouterr().err
        assert earlier.read_text() == '{"kept": true}\n'


def test_a_folder_given_for_a_file_is_named_as_a_folder(tmp_path, hand_photo, capsys):
    folder = tmp_path / "my-routine.toml"
    folder.mkdir()
    assert main(["routine", str(folder)]) == 1
    assert capsys.readouterr().err.splitlines()[0] == f"locator: error: {folder}: is a folder, not a routine file"
    assert main(["locate", str(hand_photo), "--model", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (f"locator: error: hand model {tmp_path}: is a folder, not a .task "
                                               f"file (give --model PATH or set LOCATOR_MODEL)")


def test_fit_write_where_the_constants_cannot_go_is_refused_before_fitting(tmp_path, shared_hands, monkeypatch,
                                                                            capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    monkeypatch.setattr("locator.catalogue.FITTED_RULES", a_file / "fitted_rules.json")
    assert main(["fit", "--labels", str(shared_hands / "acupoints-dev.json"),
                 "--images", str(shared_hands / "images"), "--write"]) == 2
    assert capsys.readouterr().err.strip() == (f"locator: error: --write {a_file / 'fitted_rules.json'}: "
                                               f"{a_file} is not a folder")
