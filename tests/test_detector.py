"""The detector seam without the model: MediaPipe's result as hands, copies merged, stderr restored."""

import os
import threading
from types import SimpleNamespace

import numpy as np

from locator.detector import hands_from_result, merge_copies, native_stderr_silenced
from locator.hands import DetectedHand
from locator.matching import gap, pair_nearest
from tests.synthetic import right_palm_landmarks


def mediapipe_like_result(hands: list[tuple[str, float, np.ndarray]]):
    """An object shaped like MediaPipe's HandLandmarkerResult: normalised x, y and z per landmark."""
    return SimpleNamespace(
        handedness=[[SimpleNamespace(category_name=label, score=score)] for label, score, _ in hands],
        hand_landmarks=[[SimpleNamespace(x=x, y=y, z=z) for x, y, z in xyz] for _, _, xyz in hands],
    )


def test_result_becomes_hands_in_pixels():
    xyz = np.column_stack([np.linspace(0.1, 0.9, 21), np.linspace(0.2, 0.6, 21), np.linspace(-0.05, 0.05, 21)])
    hands = hands_from_result(mediapipe_like_result([("Left", 0.93, xyz)]), width=640, height=480)
    assert len(hands) == 1
    hand = hands[0]
    assert hand.label == "left" and hand.label_score == 0.93
    assert np.allclose(hand.landmarks, xyz[:, :2] * (640, 480))
    assert np.allclose(hand.depth, xyz[:, 2] * 640)  # MediaPipe's z is on the scale of x
    assert hands_from_result(mediapipe_like_result([]), 640, 480) == []


def test_copies_of_one_hand_are_merged_keeping_the_first_landmarks_and_the_surer_label():
    landmarks = right_palm_landmarks()
    hand = DetectedHand(landmarks, np.zeros(21), "left", 0.7)
    nudged = DetectedHand(landmarks + 3.0, np.zeros(21), "right", 0.9, world=np.ones((21, 3)))
    elsewhere = DetectedHand(landmarks + 1000.0, np.zeros(21), "right", 0.8)
    merged = merge_copies([hand], [nudged, elsewhere])
    assert merged[1:] == [elsewhere]
    assert np.array_equal(merged[0].landmarks, landmarks)
    assert (merged[0].label, merged[0].label_score) == ("right", 0.9)
    assert np.array_equal(merged[0].world, nudged.world)
    assert merge_copies([nudged], [hand]) == [nudged]   # the first copy is the surer: kept whole
    assert merge_copies([], [hand]) == [hand]
    assert merge_copies([hand], []) == [hand]


def test_pairs_are_nearest_first_one_to_one_and_within_the_limit():
    costs = np.array([[0.1, 0.05], [0.2, 0.9], [5.0, 5.0]])
    assert sorted(pair_nearest(costs, limit=0.5)) == [(0, 1), (1, 0)]
    assert pair_nearest(np.zeros((0, 3)), 1.0) == []
    assert gap(np.array([[0, 0], [3, 4]]), np.array([[0, 0], [0, 0]]), size=5.0) == 0.5


def test_overlapping_silencers_leave_stderr_where_it_was():
    """Two sessions loading models at once: A in, B in, A out, B out. A per-call save/restore would have
    B restore the /dev/null that A had put there, and later tracebacks would vanish for good."""
    original = os.fstat(2)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def session_a():
        with native_stderr_silenced():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def session_b():
        a_in.wait(5)
        with native_stderr_silenced():
            b_in.set()
            a_out.wait(5)

    threads = [threading.Thread(target=session_a), threading.Thread(target=session_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    now = os.fstat(2)
    assert (now.st_dev, now.st_ino) == (original.st_dev, original.st_ino)
