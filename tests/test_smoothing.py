"""The One Euro filter and hand identity between frames (pure: no model, no photos)."""

import numpy as np
import pytest

from locator.hands import DetectedHand
from locator.smoothing import HandSmoother, OneEuroFilter

FPS = 30.0


def _hand(wrist_xy, label="right", size=100.0, rng=None, noise=0.0) -> DetectedHand:
    """A made-up 21-landmark hand: wrist at ``wrist_xy``, middle knuckle ``size`` pixels above it."""
    offsets = np.stack([np.linspace(-0.5, 0.5, 21), -np.linspace(0, 1.8, 21)], axis=1) * size
    offsets[0], offsets[9] = (0.0, 0.0), (0.0, -size)
    landmarks = np.asarray(wrist_xy, dtype=float) + offsets
    if rng is not None:
        landmarks = landmarks + rng.normal(0, noise, landmarks.shape)
    return DetectedHand(landmarks, np.zeros(21), label, 0.9)


def test_filter_reduces_jitter_on_a_noisy_constant():
    rng = np.random.default_rng(0)
    truth = rng.uniform(100, 500, (21, 2))
    filt = OneEuroFilter()
    raw, out = [], []
    for k in range(300):
        noisy = truth + rng.normal(0, 1.0, truth.shape)
        raw.append(noisy)
        out.append(filt(noisy, k / FPS, scale=1.0))
    raw, out = np.array(raw[50:]), np.array(out[50:])
    assert out.std(axis=0).mean() < raw.std(axis=0).mean() / 3
    assert np.abs(out.mean(axis=0) - truth).max() < 0.5  # no bias


def test_filter_follows_a_ramp_with_bounded_lag():
    speed = 4.0  # px per frame, on a hand of 100 px: 1.2 hand sizes per second
    filt = OneEuroFilter()
    lags = []
    for k in range(120):
        x = np.full((21, 2), 50.0 + speed * k)
        y = filt(x, k / FPS, scale=1.0)
        if k >= 40:
            lags.append((x - y).mean() / speed)
    assert 0 <= np.median(lags) <= 2.0


def test_filter_keeps_shape_copies_and_ignores_repeated_timestamps():
    filt = OneEuroFilter()
    first = np.ones((21, 2))
    out = filt(first, 0.0)
    out[:] = 99  # the caller may write to what it got
    again = filt(np.full((21, 2), 5.0), 0.0)  # same timestamp: no new information
    assert again.shape == (21, 2) and np.allclose(again, 1.0)
    moved = filt(np.full((21, 2), 5.0), 1 / FPS)
    assert np.all((moved > 1.0) & (moved < 5.0))


def test_identity_matching_keeps_two_hands_apart():
    rng = np.random.default_rng(1)
    smoother = HandSmoother()
    for k in range(60):
        left = _hand((150 + k, 300), "left", rng=rng, noise=1.0)
        right = _hand((450 - k, 300), "right", rng=rng, noise=1.0)
        hands = [left, right] if k % 2 else [right, left]  # the detector's order is not stable
        out = smoother(hands, k / FPS)
        assert [h.label for h in out] == [h.label for h in hands]  # same order as given
        for given, smoothed in zip(hands, out):
            assert np.linalg.norm(smoothed.landmarks[0] - given.landmarks[0]) < 10  # never the other hand
    assert smoother.track_count == 2


def test_two_hands_with_the_same_label_are_matched_by_nearest_wrist():
    smoother = HandSmoother()
    a, b = (100, 300), (500, 300)
    for k in range(30):
        hands = [_hand(a, "right"), _hand(b, "right")]
        out = smoother(hands[::-1] if k % 2 else hands, k / FPS)
        for given, smoothed in zip(hands[::-1] if k % 2 else hands, out):
            assert np.allclose(smoothed.landmarks, given.landmarks, atol=1e-6)


def test_a_hand_that_disappears_drops_its_filter_and_a_new_one_starts_fresh():
    smoother = HandSmoother()
    for k in range(20):
        smoother([_hand((100, 300)), _hand((500, 300), "left")], k / FPS)
    smoother([_hand((100, 300))], 20 / FPS)
    assert smoother.track_count == 1
    newcomer = _hand((480, 320), "left")
    out = smoother([_hand((100, 300)), newcomer], 21 / FPS)
    assert np.allclose(out[1].landmarks, newcomer.landmarks)  # fresh filter: no pull from the old hand
    jumped = _hand((400, 300))  # far jump (> max_jump hand sizes) of the right hand: a new hand
    out = smoother([jumped, newcomer], 22 / FPS)
    assert np.allclose(out[0].landmarks, jumped.landmarks)


@pytest.mark.parametrize("size", [40.0, 400.0])
def test_speed_is_measured_in_hand_sizes_so_small_and_large_hands_behave_alike(size):
    smoother = HandSmoother()
    lags = []
    for k in range(90):
        hand = _hand((100 + 0.03 * size * k, 300), size=size)  # 0.9 hand sizes per second
        out = smoother([hand], k / FPS)[0]
        if k > 30:
            lags.append((hand.landmarks[0, 0] - out.landmarks[0, 0]) / (0.03 * size))
    assert 0 <= np.median(lags) <= 2.0
