"""The live path: video frames in, steady located hands and drawn frames out.

One :class:`LivePipeline` serves the page and the benchmark (``python -m locator bench``), so the figures
the benchmark prints are the page's.

Detection cost. MediaPipe's VIDEO mode with ``num_hands=2`` runs its palm detector on every frame in
which it tracks fewer than two hands, which roughly doubles the cost of the common one-hand frame
(about 25 ms instead of 13.5 ms at 640x480 here). The pipeline therefore keeps two VIDEO-mode
landmarkers:

* a *tracker* (``num_hands=1``): cheap frame-to-frame tracking of one hand;
* a *searcher* (``num_hands=max_hands``): used on every frame while it tracks ``max_hands`` hands (then
  it does no palm search either), on every frame while no hand is seen, and, while one hand is tracked,
  every ``search_every`` frames instead of the tracker to look for a second hand.

So a second hand entering the view is picked up within ``search_every`` frames (a third of a second at
30 frames/s by default); both hands are then tracked on every frame.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from .geometry import hand_size
from .hands import DetectedHand, LocatedHand, locate_hand
from .overlay import LabelAnnotator, LegendAnnotator, PointAnnotator, SkeletonAnnotator
from .smoothing import BETA, D_CUTOFF, MIN_CUTOFF, HandSmoother

# While one hand is tracked, look for a second one every this many frames.
SEARCH_EVERY = 10
# When the tracker takes over from the searcher, its first answer must put the wrist within this many
# hand sizes of where the searcher last saw it; otherwise the searcher keeps the job for another frame.
HANDOVER_TOLERANCE = 0.25

@dataclass
class LiveResult:
    """What :meth:`LivePipeline.process` found in one frame.

    ``hands``: smoothed located hands (pixel coordinates of the frame), at most ``max_hands``.
    ``raw``: the detector's hands before smoothing, same order.
    ``timings``: milliseconds per stage: ``detect``, ``smooth``, ``locate`` (decision + rules), and
    ``overlay`` once :func:`draw` has drawn the result.
    ``detector``: which landmarker ran on this frame (``"tracker"``, ``"searcher"`` or both, "+"-joined).
    """

    hands: list[LocatedHand]
    raw: list[DetectedHand]
    timestamp_ms: int
    frame_size: tuple[int, int]  # (width, height)
    timings: dict[str, float] = field(default_factory=dict)
    detector: str = ""


class LivePipeline:
    """VIDEO-mode detection, smoothing, decisions and rules for one video stream.

    >>> with LivePipeline() as pipeline:                       # doctest: +SKIP
    ...     result = pipeline.process(rgb, timestamp_ms)
    ...     draw(rgb, result)                                  # in place, RGB
    """

    def __init__(self, model: str | os.PathLike | None = None, mirrored: bool = True, smoothing: bool = True,
                 max_hands: int = 2, *, search_every: int = SEARCH_EVERY, min_cutoff: float = MIN_CUTOFF,
                 beta: float = BETA, d_cutoff: float = D_CUTOFF):
        from .detector import HandDetector

        if max_hands < 1:
            raise ValueError("max_hands must be at least 1")
        self.mirrored = mirrored
        self.smoothing = smoothing
        self.max_hands = max_hands
        self.search_every = max(1, int(search_every))
        self._tracker = HandDetector(model, video=True, max_hands=1)
        self._searcher = (HandDetector(model, video=True, max_hands=max_hands) if max_hands > 1
                          else self._tracker)
        self.smoother = HandSmoother(min_cutoff, beta, d_cutoff)
        self._last_ts = -1
        self._frames_with_one = 0
        self._tracker_synced = False   # the tracker followed the hand on the previous frame
        self._last_hands: list[DetectedHand] = []

    # --- lifecycle -----------------------------------------------------------------------------
    def __enter__(self) -> "LivePipeline":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._tracker.close()
        if self._searcher is not self._tracker:
            self._searcher.close()

    def reset(self) -> None:
        """Forget the smoothing state (e.g. when the stream restarts); detectors keep tracking."""
        self.smoother.reset()

    @property
    def last_timestamp_ms(self) -> int:
        """The timestamp given to the detectors for the latest frame (-1 before the first): a caller
        that feeds a new sequence to the same pipeline continues after it."""
        return self._last_ts

    # --- per frame -----------------------------------------------------------------------------
    def process(self, rgb: np.ndarray, timestamp_ms: int) -> LiveResult:
        """Hands in one RGB frame (``(h, w, 3)`` uint8). Timestamps should increase; a repeated or
        older one is nudged forward by 1 ms, as MediaPipe's VIDEO mode requires."""
        timestamp_ms = int(timestamp_ms)
        if timestamp_ms <= self._last_ts:
            timestamp_ms = self._last_ts + 1
        self._last_ts = timestamp_ms
        clock = time.perf_counter
        t0 = clock()
        raw, used = self._detect(rgb, timestamp_ms)
        t1 = clock()
        steady = self.smoother(raw, timestamp_ms / 1000.0) if self.smoothing else raw
        t2 = clock()
        hands = [locate_hand(hand, self.mirrored) for hand in steady]
        t3 = clock()
        return LiveResult(hands, raw, timestamp_ms, (rgb.shape[1], rgb.shape[0]),
                          {"detect": (t1 - t0) * 1e3, "smooth": (t2 - t1) * 1e3, "locate": (t3 - t2) * 1e3},
                          used)

    def draw(self, rgb: np.ndarray, result: LiveResult, **options) -> np.ndarray:
        """Same as the module's :func:`draw`."""
        return draw(rgb, result, **options)

    def _detect(self, rgb: np.ndarray, ts: int) -> tuple[list[DetectedHand], str]:
        if self.max_hands == 1:
            return self._tracker.detect_video(rgb, ts), "tracker"
        previous = self._last_hands
        use_tracker = len(previous) == 1 and self._frames_with_one % self.search_every != 0
        if use_tracker:
            hands = self._tracker.detect_video(rgb, ts)
            used = "tracker"
            if not self._tracker_synced and hands and not _same_place(hands[0], previous[0]):
                # The tracker's last picture of the hand is old (the searcher had the job): its first
                # answer may follow a stale region. Let the searcher answer this frame instead.
                hands = self._searcher.detect_video(rgb, ts)
                used = "tracker+searcher"
            else:
                self._tracker_synced = bool(hands)
        else:
            hands = self._searcher.detect_video(rgb, ts)
            used = "searcher"
            self._tracker_synced = False
        self._frames_with_one = self._frames_with_one + 1 if len(hands) == 1 else 0
        self._last_hands = hands
        return hands, used


def _same_place(a: DetectedHand, b: DetectedHand) -> bool:
    size = max(float(hand_size(b.landmarks)), 1.0)
    return float(np.linalg.norm(a.landmarks[0] - b.landmarks[0])) <= HANDOVER_TOLERANCE * size


# --- drawing -------------------------------------------------------------------------------------

_SKELETON = SkeletonAnnotator()
_LABELS = LabelAnnotator()
_LEGEND = LegendAnnotator()
_POINTS: dict[tuple[str, frozenset[str]], PointAnnotator] = {}


def draw(rgb: np.ndarray, result: LiveResult, *, skeleton: bool = True, points: bool = True,
         labels: bool = True, legend: bool = True, hidden: str = "hollow",
         dimmed: Iterable[str] = (), scale: float = 1.0) -> np.ndarray:
    """Draw the live overlay on ``rgb`` in place (RGB, uint8, writeable) and return it.

    ``hidden``: ``"hollow"`` or ``"skip"`` for points on the face away from the camera; ``dimmed``: codes
    drawn small and grey; ``scale``: frame pixels per result pixel (1 when drawing on the processed
    frame). The time taken is stored as ``result.timings["overlay"]``.
    """
    start = time.perf_counter()
    key = (hidden, frozenset(dimmed))
    point_annotator = _POINTS.get(key)
    if point_annotator is None:
        point_annotator = _POINTS.setdefault(key, PointAnnotator(hidden=hidden, dimmed=key[1]))
    hands = result.hands
    if skeleton:
        _SKELETON.annotate(rgb, hands, scale)
    if points:
        point_annotator.annotate(rgb, hands, scale)
    if labels:
        _LABELS.annotate(rgb, hands, scale)
    if legend:
        _LEGEND.annotate(rgb, hands, scale)
    result.timings["overlay"] = (time.perf_counter() - start) * 1e3
    return rgb
