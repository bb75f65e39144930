"""The live path with the real model on frames made from the shared photos. No timing is asserted here:
``python -m locator bench`` prints the figures."""

import json
import os

import numpy as np
import pytest

from locator import bench
from locator.cli import main
from locator.detector import MARGIN_EVERY, DetectorOptions, HandDetector, VideoHandDetector
from locator.evaluate import load_photo_labels
from locator.images import read_photo
from locator.live import LivePipeline, LiveResult, draw
from locator.photos import analyse_photo
from locator.synthetic_video import HandVideo, close_up

pytestmark = pytest.mark.model

PHOTO = "palm_left_07.jpg"  # a 640x480 webcam-like frame of an open palm
FRAME_MS = 33


@pytest.fixture(scope="module")
def photo_path(shared_hands):
    return shared_hands / "images" / PHOTO


@pytest.fixture(scope="module")
def image_mode(photo_path):
    """The photo pipeline's (IMAGE mode) answer for the same picture, as a mirrored camera sees it."""
    with HandDetector() as detector:
        return analyse_photo(photo_path, detector, mirrored=True)


@pytest.fixture(scope="module")
def video(photo_path, image_mode):
    photo = read_photo(photo_path)
    return HandVideo(photo.rgb, image_mode.hands[0].landmarks / photo.scale, (640, 480))


@pytest.fixture(scope="module")
def pipeline():
    with LivePipeline() as live:
        yield live


def test_finds_the_hand_and_its_points_match_the_photo_pipeline(photo_path, image_mode, pipeline):
    frame = read_photo(photo_path).rgb
    assert frame.shape == (480, 640, 3)
    expected = image_mode.hands[0]
    for k in range(15):
        result = pipeline.process(frame.copy(), 1000 + k * FRAME_MS)
    assert isinstance(result, LiveResult)
    assert len(result.hands) == 1
    hand = result.hands[0]
    assert (hand.handedness, hand.facing) == (expected.handedness, expected.facing)
    assert {p.code for p in hand.points} == {p.code for p in expected.points}
    for point in hand.points:
        # Within 0.05 hand sizes, or the point's own ring where that is wider: the wrist points hang on
        # the wrist landmark, which the photo pipeline's margin look places a little differently.
        gap = np.linalg.norm(point.xy - expected.point(point.code).xy)
        assert gap < max(0.05, point.acupoint.radius) * expected.size, point.code
    assert set(result.timings) >= {"detect", "smooth", "locate"}
    assert result.frame_size == (640, 480)


def test_two_hands_in_one_frame_are_both_tracked_and_kept_apart(video):
    with LivePipeline() as live:
        counts, sides = [], []
        for k in range(40):
            result = live.process(video.two_hands(k), k * FRAME_MS)
            counts.append(len(result.hands))
            if k >= 5 and len(result.hands) == 2:
                hands = sorted(result.hands, key=lambda h: h.landmarks[0, 0])
                assert {h.handedness for h in hands} == {"left", "right"}
                assert hands[0].landmarks[:, 0].max() < 320 < hands[1].landmarks[:, 0].min()
                sides.append(tuple(h.handedness for h in hands))
    assert sum(c == 2 for c in counts[5:]) >= 0.9 * len(counts[5:])
    assert len(set(sides)) == 1  # each hand keeps its identity


def test_a_second_hand_is_picked_up_soon_after_it_appears_and_dropped_when_it_leaves(video):
    n = 90  # one hand, then two, then one (thirds)
    with LivePipeline(VideoHandDetector(DetectorOptions(search_every=10))) as live:
        counts = [len(live.process(video.mixed(k, n), k * FRAME_MS).hands) for k in range(n)]
    appear, leave = n // 3, 2 * n // 3
    assert all(c == 1 for c in counts[3:appear])
    first_two = next(k for k in range(appear, n) if counts[k] == 2)
    assert first_two - appear <= 10 + 1
    assert all(c == 2 for c in counts[first_two:leave])
    assert all(c == 1 for c in counts[leave + 2:])


# 11K Hands photos of a hand cut by the frame's edge (different people, both hands) that MediaPipe's palm
# detector misses at 640x480: the test checks that it does, then that the live path finds them.
CLOSE_UPS = ("Hand_0001564.jpg", "Hand_0004336.jpg", "Hand_0009317.jpg", "Hand_0010058.jpg",
             "Hand_0010114.jpg", "Hand_0010719.jpg")


def test_a_close_up_hand_cut_by_the_frame_edge_is_found_and_followed(shared_hands11k):
    """Without the margin look (``margin_every=0``) the live path sees no hand in these close-ups; with
    it, the hand is found within ``MARGIN_EVERY`` frames and kept, with its real side and face."""
    labels = {row["image"]: row for row in load_photo_labels(shared_hands11k / "labels.csv")}
    for name in CLOSE_UPS:
        photo = read_photo(shared_hands11k / "images" / name).rgb
        frames = [close_up(photo, (640, 480), k) for k in range(30)]
        with LivePipeline(VideoHandDetector(DetectorOptions(margin_every=0)), mirrored=False) as before:
            assert not any(before.process(frame, k * FRAME_MS).hands for k, frame in enumerate(frames)), name
        with LivePipeline(mirrored=False) as live:
            results = [live.process(frame, k * FRAME_MS) for k, frame in enumerate(frames)]
        assert results[MARGIN_EVERY].hands, name
        assert all(len(r.hands) == 1 for r in results[MARGIN_EVERY:]), (name, [len(r.hands) for r in results])
        hand = results[-1].hands[0]
        assert (hand.handedness, hand.facing) == (labels[name]["hand"], labels[name]["facing"]), name
        assert any("edge" in r.detector for r in results), name


def test_draw_changes_pixels_at_the_markers(photo_path, pipeline):
    frame = read_photo(photo_path).rgb
    result = pipeline.process(frame.copy(), 5000)
    canvas = frame.copy()
    out = draw(canvas, result)
    assert out is canvas  # in place
    assert "overlay" in result.timings
    visible = [p for hand in result.hands for p in hand.points if p.on_visible_face and p.placeable]
    assert visible
    for point in visible:
        x, y = (int(round(v)) for v in point.xy)
        assert np.any(canvas[y, x] != frame[y, x]), point.code
    # the method on the pipeline is the same helper
    again = frame.copy()
    pipeline.draw(again, result, labels=False, legend=False)
    assert np.any(again != frame)


def test_a_frame_without_hands_gives_an_empty_result(pipeline):
    result = pipeline.process(np.full((480, 640, 3), 80, np.uint8), 9000)
    assert result.hands == [] and result.raw == []
    draw(np.zeros((480, 640, 3), np.uint8), result)  # draws the legend only, no error


def test_timestamps_that_do_not_increase_are_accepted(photo_path):
    frame = read_photo(photo_path).rgb
    with LivePipeline() as live:
        first = live.process(frame, 100)
        second = live.process(frame, 100)  # MediaPipe would refuse a repeated timestamp
        assert second.timestamp_ms > first.timestamp_ms


def test_bench_prints_the_figures_and_writes_json(tmp_path, shared_hands, capsys):
    images = tmp_path / "images"
    images.mkdir()
    for name in (PHOTO, "palm_right_01.jpg", "nohand_03.jpg"):
        os.symlink(shared_hands / "images" / name, images / name)
    out_json = tmp_path / "bench.json"
    assert main(["bench", "--frames", "60", "--images", str(images), "--json", str(out_json)]) == 0
    printed = capsys.readouterr().out
    for text in ("detect (VIDEO mode)", "whole live path", "bare VIDEO, num_hands=2", "photos/s",
                 "bare IMAGE-mode landmarker", "ratio pipeline / bare", "steadiness", "lag", "memory: peak"):
        assert text in printed
    figures = json.loads(out_json.read_text())
    assert {"live", "bare_video", "ratio_live_to_bare2", "own_work_pct_of_detector", "photo_pipeline",
            "steadiness", "peak_memory_mb", "agreement_with_bare2_mixed"} <= set(figures)
    for name in ("one_hand", "two_hands"):
        assert {"convert", "detect", "locate", "smooth", "overlay", "whole", "fps"} <= set(figures["live"][name])
    assert figures["live"]["one_hand"]["hands_found"] == {"1": 40}
    assert figures["live"]["two_hands"]["hands_found"].get("2", 0) >= 36
    steady = figures["steadiness"]
    assert steady["smoothed_spread_pct"]["max"] < steady["raw_spread_pct"]["max"]
    assert figures["live"]["no_hand"]["hands_found"] == {"0": 40}
    photos = figures["photo_pipeline"]
    assert photos["photos"] == 3
    assert photos["bare_image_photos_per_s"] > 0
    assert photos["ratio_to_bare_image"] == pytest.approx(
        photos["photos_per_s"] / photos["bare_image_photos_per_s"], rel=0.01)


def test_bench_refuses_bad_arguments(capsys):
    assert main(["bench", "--size", "big"]) == 2
    assert "--size" in capsys.readouterr().err


def test_memory_stays_flat_over_a_few_hundred_frames(video):
    frames = [video.mixed(k, 60) for k in range(60)]
    with LivePipeline() as live:
        for k in range(100):  # warm-up: allocator pools, MediaPipe's buffers
            rgb = frames[k % 60].copy()
            draw(rgb, live.process(rgb, k * FRAME_MS))
        before = bench.rss_mb()
        for k in range(100, 500):
            rgb = frames[k % 60].copy()
            draw(rgb, live.process(rgb, k * FRAME_MS))
        after = bench.rss_mb()
    assert after - before < 40, f"resident memory grew {after - before:.1f} MB over 400 frames"
