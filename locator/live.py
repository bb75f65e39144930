"""The live path: video frames in, steady located hands and drawn frames out.

One :class:`LivePipeline` serves the page and the benchmark (``python -m locator bench``), so the figures
the benchmark prints are the page's. It is handed a :class:`~locator.detector.VideoDetector` (by default
MediaPipe's, which schedules its own tracking and searching) and adds smoothing, decisions and rules.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from .detector import Closeable, DetectorOptions, VideoDetector
from .hands import DetectedHand, LocatedHand, locate_hand
from .image_cues import LIVE_CUES, apply_cues
from .overlay import LabelAnnotator, LegendAnnotator, PointAnnotator, SkeletonAnnotator
from .smoothing import BETA, D_CUTOFF, MIN_CUTOFF, HandSmoother


@dataclass
class LiveResult:
    """What :meth:`LivePipeline.process` found in one frame.

    ``hands``: smoothed located hands (pixel coordinates of the frame), at most ``max_hands``.
    ``raw``: the detector's hands before smoothing, same order.
    ``timings``: milliseconds per stage: ``detect``, ``smooth``, ``locate`` (decision, rules and image
    cues), and ``overlay`` once :func:`draw` has drawn the result.
    ``detector``: what the detector ran on this frame (MediaPipe's: ``"tracker"``, ``"searcher"``...).
    """

    hands: list[LocatedHand]
    raw: list[DetectedHand]
    timestamp_ms: int
    frame_size: tuple[int, int]  # (width, height)
    timings: dict[str, float] = field(default_factory=dict)
    detector: str = ""


class LivePipeline(Closeable):
    """Detection, smoothing, decisions and rules for one video stream.

    >>> with LivePipeline() as pipeline:                       # doctest: +SKIP
    ...     result = pipeline.process(rgb, timestamp_ms)
    ...     draw(rgb, result)                                  # in place, RGB
    """

    def __init__(self, detector: VideoDetector | None = None, mirrored: bool = True, smoothing: bool = True,
                 *, min_cutoff: float = MIN_CUTOFF, beta: float = BETA, d_cutoff: float = D_CUTOFF):
        if detector is None:
            from .detector import VideoHandDetector

            detector = VideoHandDetector(DetectorOptions())
        self.detector = detector
        self.mirrored = mirrored
        self.smoothing = smoothing
        self.smoother = HandSmoother(min_cutoff, beta, d_cutoff)
        self._last_ts = -1

    # --- lifecycle -----------------------------------------------------------------------------
    def close(self) -> None:
        self.detector.close()

    def reset(self) -> None:
        """Forget the smoothing state (e.g. when the stream restarts); the detector keeps tracking."""
        self.smoother.reset()

    @property
    def max_hands(self) -> int:
        return self.detector.max_hands

    @property
    def last_timestamp_ms(self) -> int:
        """The timestamp given to the detector for the latest frame (-1 before the first): a caller
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
        raw = self.detector.detect(rgb, timestamp_ms)
        t1 = clock()
        steady = self.smoother(raw, timestamp_ms / 1000.0) if self.smoothing else raw
        t2 = clock()
        hands = [self.locate(hand, rgb) for hand in steady]
        t3 = clock()
        return LiveResult(hands, raw, timestamp_ms, (rgb.shape[1], rgb.shape[0]),
                          {"detect": (t1 - t0) * 1e3, "smooth": (t2 - t1) * 1e3, "locate": (t3 - t2) * 1e3},
                          self.detector.last_source)

    def locate(self, hand: DetectedHand, rgb: np.ndarray) -> LocatedHand:
        """Decisions, rules and the image cues fit for video (:data:`~locator.image_cues.LIVE_CUES`) for
        one hand of the frame ``rgb``."""
        located = locate_hand(hand, self.mirrored, frame_size=(rgb.shape[1], rgb.shape[0]))
        return apply_cues(rgb, located, cues=LIVE_CUES) if LIVE_CUES else located

    def draw(self, rgb: np.ndarray, result: LiveResult, **options) -> np.ndarray:
        """Same as the module's :func:`draw`."""
        return draw(rgb, result, **options)


# --- drawing -------------------------------------------------------------------------------------

_SKELETON = SkeletonAnnotator()
_LABELS = LabelAnnotator()
_LEGENDS = {labels: LegendAnnotator(short_labels=labels) for labels in (True, False)}
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
        _LEGENDS[labels].annotate(rgb, hands, scale)
    result.timings["overlay"] = (time.perf_counter() - start) * 1e3
    return rgb
