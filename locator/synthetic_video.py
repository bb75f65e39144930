"""Test videos made from a hand photo, for the benchmark and the tests: no camera, no recording.

The clearest one-hand photo is cut around its hand (:func:`hand_sprite`) and moved over a dim 640x480
backdrop: one hand wandering, two hands (the hand and its mirror image), none, a still hand, a hand
sliding at a steady speed, and a mix in which a second hand comes and goes. A photo of a hand cut by the
frame's edge becomes a close-up video (:func:`close_up`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import UserError

HAND_PX = 0.25         # the hand's size (wrist to middle knuckle) as a fraction of the canvas height


def background(width: int, height: int) -> np.ndarray:
    """A dim room-like backdrop: a soft gradient with a little texture (not a flat colour)."""
    rng = np.random.default_rng(7)
    y = np.linspace(0, 1, height)[:, None, None]
    x = np.linspace(0, 1, width)[None, :, None]
    base = 70 + 40 * y + 20 * x + rng.normal(0, 4, (height, width, 1))
    tint = np.array([1.0, 0.95, 0.9])
    return np.clip(base * tint, 0, 255).astype(np.uint8)


def hand_sprite(rgb: np.ndarray, landmarks: np.ndarray, hand_px: float) -> np.ndarray:
    """The photo cut around the hand (with a margin) and scaled so the hand is ``hand_px`` pixels in
    size."""
    from PIL import Image

    from .geometry import hand_size

    size = float(hand_size(landmarks))
    lo, hi = landmarks.min(axis=0), landmarks.max(axis=0)
    centre, half = (lo + hi) / 2, (hi - lo).max() / 2 + 0.45 * size
    h, w = rgb.shape[:2]
    x0, y0 = int(max(0, centre[0] - half)), int(max(0, centre[1] - half))
    x1, y1 = int(min(w, centre[0] + half)), int(min(h, centre[1] + half))
    factor = hand_px / size
    crop = Image.fromarray(rgb[y0:y1, x0:x1])
    out_size = (max(1, round((x1 - x0) * factor)), max(1, round((y1 - y0) * factor)))
    return np.asarray(crop.resize(out_size, Image.Resampling.BILINEAR))


def place(canvas: np.ndarray, sprite: np.ndarray, x: float, y: float) -> None:
    """Paste ``sprite`` with its top-left corner at (x, y), clipped to the canvas."""
    H, W = canvas.shape[:2]
    h, w = sprite.shape[:2]
    x, y = int(round(x)), int(round(y))
    cx0, cy0, cx1, cy1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if cx0 < cx1 and cy0 < cy1:
        canvas[cy0:cy1, cx0:cx1] = sprite[cy0 - y:cy1 - y, cx0 - x:cx1 - x]


class HandVideo:
    """Frames made from one hand photo: one hand moving, two hands (the hand and its mirror image)."""

    def __init__(self, rgb: np.ndarray, landmarks: np.ndarray, size: tuple[int, int]):
        self.width, self.height = size
        self.hand_px = HAND_PX * self.height
        self.sprite = hand_sprite(rgb, landmarks, self.hand_px)
        self.mirror = np.ascontiguousarray(self.sprite[:, ::-1])
        self.backdrop = background(self.width, self.height)

    def _room(self, w: int, h: int, x_rel: float, y_rel: float) -> tuple[float, float]:
        return x_rel * max(0, self.width - w), y_rel * max(0, self.height - h)

    def one_hand(self, k: int) -> np.ndarray:
        """Frame ``k`` of a hand wandering over the canvas (a slow Lissajous path)."""
        frame = self.backdrop.copy()
        h, w = self.sprite.shape[:2]
        x, y = self._room(w, h, 0.5 + 0.4 * np.sin(k / 23), 0.5 + 0.35 * np.sin(k / 37))
        place(frame, self.sprite, x, y)
        return frame

    def two_hands(self, k: int) -> np.ndarray:
        """Frame ``k`` of two hands side by side, each moving a little."""
        frame = self.backdrop.copy()
        h, w = self.sprite.shape[:2]
        sway = 0.04 * self.width * np.sin(k / 19)
        bob = 0.05 * self.height * np.sin(k / 29)
        place(frame, self.sprite, 0.22 * self.width - w / 2 + sway, (self.height - h) / 2 + bob)
        place(frame, self.mirror, 0.78 * self.width - w / 2 + sway, (self.height - h) / 2 - bob)
        return frame

    def empty(self, k: int) -> np.ndarray:
        """Frame ``k`` with no hand: the backdrop alone."""
        return self.backdrop.copy()

    def still(self) -> np.ndarray:
        frame = self.backdrop.copy()
        h, w = self.sprite.shape[:2]
        place(frame, self.sprite, (self.width - w) / 2, (self.height - h) / 2)
        return frame

    def sliding(self, k: int, px_per_frame: float) -> np.ndarray:
        """A hand crossing the canvas from left to right at a steady speed."""
        frame = self.backdrop.copy()
        h, w = self.sprite.shape[:2]
        place(frame, self.sprite, 0.1 * self.width + k * px_per_frame - w / 2, (self.height - h) / 2)
        return frame

    def mixed(self, k: int, n: int) -> np.ndarray:
        """One hand, then a second one joins, then it leaves again (thirds of ``n`` frames)."""
        return self.two_hands(k) if n // 3 <= k < 2 * n // 3 else self.one_hand(k)


def close_up(rgb: np.ndarray, size: tuple[int, int], k: int) -> np.ndarray:
    """Frame ``k`` of a photo filling a ``size`` frame, drifting a few pixels back and forth: a hand held
    close to the camera, as cut by the frame's edge as in the photo."""
    from PIL import Image

    h, w = rgb.shape[:2]
    drift = round(0.02 * w * np.sin(k / 5))
    crop = rgb[:, max(0, drift):w + min(0, drift)]
    return np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BILINEAR))


def pick_source(results, min_hand_px: float = 0.0) -> tuple[np.ndarray, np.ndarray, str]:
    """The photo to build the video from: one clear hand at least ``min_hand_px`` in size (so it is not
    blown up), surest detection; failing that, the largest clear hand."""
    best = None
    for result in results:
        if result.error or len(result.hands) != 1 or result.photo is None:
            continue
        hand = result.hands[0]
        size_rel = hand.size / min(result.width, result.height)
        if hand.facing == "side" or size_rel < 0.2:
            continue
        key = (hand.size >= min_hand_px, hand.handedness_score if hand.size >= min_hand_px else hand.size,
               Path(result.image).name)
        if best is None or key > best[0]:
            best = (key, result)
    if best is None:
        raise UserError("no photo with one clear hand in the image folder")
    result = best[1]
    to_work = 1 / result.photo.scale
    return result.photo.rgb, result.hands[0].landmarks * to_work, Path(result.image).name
