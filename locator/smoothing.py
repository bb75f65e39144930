"""Steadying landmarks between video frames: a vectorised One Euro filter and per-hand tracks.

The One Euro filter (Casiez, Roussel, Vogel, CHI 2012) is a low-pass filter whose cutoff frequency rises
with the speed of the signal: a still hand is smoothed hard (no jitter), a moving hand lightly (little
lag). One filter covers all 21 landmarks x 2 coordinates of a hand at once.

The landmarks are smoothed, not the acupoints: the rules then run on a steady hand, so the points stay
consistent with the skeleton drawn under them.

Hands are matched to the previous frame's by detector label and nearest wrist; a hand that is not seen
drops its filter and a new hand starts with a fresh one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from .geometry import hand_size
from .hands import DetectedHand
from .matching import gap, pair_nearest

# Tuned with ``python -m locator bench`` (steadiness section) at 30 frames/s: on a still hand with
# sensor-like noise the smoothed marker spread is about 0.26 of the raw one, and a hand moving steadily
# at about one hand size per second trails by about 0.6 frame (1 frame at half that speed).
# Tried (min_cutoff, beta, d_cutoff) -> (spread ratio, lag frames): (0.8, .02, 1) -> (.36, 1.1);
# (0.5, .04, 1) -> (.31, .72); (0.3, .05, 1) -> (.28, .63); (0.3, .05, .5) -> (.26, .63);
# (0.2, .06, .5) -> (.24, .56); (0.3, .08, .5) -> (.29, .45); (1.0, .05, 1) -> (.41, .59).
MIN_CUTOFF = 0.3   # Hz, cutoff of a still hand
BETA = 0.05        # Hz of cutoff added per unit of speed; HandSmoother's unit is % of hand size per second
D_CUTOFF = 0.5     # Hz, cutoff of the speed estimate


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """One Euro filter over numpy arrays of a fixed shape, driven by timestamps in seconds.

    ``beta`` multiplies the speed in the array's own units per second; ``scale`` (if given per call)
    divides the speed first, so that one ``beta`` fits hands of any size in pixels.
    """

    def __init__(self, min_cutoff: float = MIN_CUTOFF, beta: float = BETA, d_cutoff: float = D_CUTOFF):
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def __call__(self, x: np.ndarray, t: float, scale: float = 1.0) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self._x is None or self._x.shape != x.shape:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        if t <= self._t:  # same or older timestamp: nothing to learn about speed, keep the estimate
            return self._x.copy()
        dt = t - self._t
        dx = (x - self._x) / dt
        a_d = _alpha(self.d_cutoff, dt)
        self._dx = self._dx + a_d * (dx - self._dx)
        cutoff = self.min_cutoff + self.beta * np.abs(self._dx) / scale
        a = _alpha(cutoff, dt)
        self._x = self._x + a * (x - self._x)
        self._t = t
        return self._x.copy()


@dataclass
class _Track:
    label: str
    filter: OneEuroFilter
    wrist: np.ndarray = field(default_factory=lambda: np.zeros(2))


class HandSmoother:
    """One :class:`OneEuroFilter` per tracked hand, kept across frames by label and nearest wrist.

    Speeds are measured in hand sizes per second (``scale`` = the hand's size in pixels), so ``beta``
    means the same for a hand near and far from the camera.
    """

    def __init__(self, min_cutoff: float = MIN_CUTOFF, beta: float = BETA, d_cutoff: float = D_CUTOFF,
                 max_jump: float = 1.5):
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.max_jump = max_jump  # a wrist further than this many hand sizes away is another hand
        self._tracks: list[_Track] = []

    @property
    def track_count(self) -> int:
        return len(self._tracks)

    def reset(self) -> None:
        self._tracks = []

    def __call__(self, hands: list[DetectedHand], t: float) -> list[DetectedHand]:
        """The same hands with smoothed landmarks, in the same order."""
        sizes = [max(hand_size(hand.landmarks), 1.0) for hand in hands]
        assignment = self._match(hands, sizes)
        new_tracks: list[_Track] = []
        out: list[DetectedHand] = []
        for hand, size, track in zip(hands, sizes, assignment):
            if track is None:
                track = _Track(hand.label, OneEuroFilter(self.min_cutoff, self.beta, self.d_cutoff))
            smoothed = track.filter(hand.landmarks, t, scale=size / 100.0)
            track.wrist = smoothed[0]
            new_tracks.append(track)
            out.append(replace(hand, landmarks=smoothed))
        self._tracks = new_tracks  # tracks not matched this frame are dropped
        return out

    def _match(self, hands: list[DetectedHand], sizes: list[float]) -> list[_Track | None]:
        """Each hand's track: same detector label, nearest wrist within ``max_jump`` hand sizes."""
        costs = [[gap(hand.landmarks[:1], track.wrist[None], size) if track.label == hand.label else math.inf
                  for track in self._tracks] for hand, size in zip(hands, sizes)]
        assignment: list[_Track | None] = [None] * len(hands)
        for i, j in pair_nearest(costs, self.max_jump):
            assignment[i] = self._tracks[j]
        return assignment
