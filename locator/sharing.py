"""Hand detection shared by many viewers: worker processes, one per core, and a fair share for each viewer.

One page server serves several viewers, each with its own video stream. Detection, the costly part, runs
in a :class:`DetectionPool` of worker processes (so the server uses more than one core, outside Python's
global lock). MediaPipe's VIDEO mode keeps tracking state per stream, so each stream is tied to one
worker, which holds one detector per stream it serves.

Each viewer's pipeline is handed a :class:`SharedVideoDetector` (the :class:`~locator.detector.VideoDetector`
seam, so the page does not know). It keeps at most one frame of its viewer in the pool: a frame waits up
to a short budget for its own answer; when the pool is busy the frame goes on with the last answer (the
markers stay where they were) and the next frame is the one sent. So past capacity every viewer gets its
turn in the order the workers' queues give, the video keeps its rate, and only the markers update less
often; no queue grows.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sys
import threading
import types
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_for_future
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from .admission import host_number
from .detector import Closeable, DetectorOptions
from .errors import ModelError
from .hands import DetectedHand

WORKERS_ENV = "LOCATOR_DETECT_WORKERS"      # worker processes for detection; 0 detects in the page process
WAIT_ENV = "LOCATOR_DETECT_WAIT_MS"
WAIT_MS = 30        # how long a frame waits for its own detection before it goes on with the last answer
IDLE_S = 5.0        # a stream silent this long is given up (its tracking is stale by then): its worker keeps
                    # the detector for the next stream

# --- in the worker process -------------------------------------------------------------------------


@dataclass
class _Graph:
    """A worker's detector and the timestamps it has seen (MediaPipe wants them increasing per graph)."""

    detector: object
    last_ts: int = -1
    offset: int = 0


_graphs: dict[int, _Graph] = {}     # stream id -> graph, in this worker
_spare: list[_Graph] = []           # graphs not serving a stream (one built at start, and those of
                                    # streams that ended), used before a new one is built
_options: DetectorOptions | None = None


def _start_worker(options: DetectorOptions) -> None:
    """Load the model now, with one detector ready: a viewer's first frame does not wait for it, and the
    worker's memory is taken at start, not when the viewers first outnumber the busy workers."""
    global _options
    os.environ.setdefault("GLOG_minloglevel", "2")
    _options = options
    try:
        _spare.append(_new_graph())
    except ModelError:  # raised here, it would break the worker for good (every frame a bare
        pass            # BrokenProcessPool); the stream's first frame raises it again, in plain words


def _new_graph() -> _Graph:
    from .detector import VideoHandDetector

    return _Graph(VideoHandDetector(_options))


def _detect(stream: int, rgb: np.ndarray, timestamp_ms: int) -> tuple[list[DetectedHand], str]:
    graph = _graphs.get(stream)
    if graph is None:
        graph = _spare.pop() if _spare else _new_graph()
        # A reused graph saw other timestamps: carry on after them, keeping this stream's spacing.
        graph.offset = graph.last_ts + 1 - timestamp_ms if timestamp_ms <= graph.last_ts else 0
        _graphs[stream] = graph
    ts = max(timestamp_ms + graph.offset, graph.last_ts + 1)
    graph.last_ts = ts
    hands = graph.detector.detect(rgb, ts)
    return hands, graph.detector.last_source


def _release(stream: int) -> int:
    graph = _graphs.pop(stream, None)
    if graph is not None:
        _spare.append(graph)
    return len(_graphs)


def _ready() -> int:
    return os.getpid()


# --- in the page process ---------------------------------------------------------------------------


@contextmanager
def _bare_main():
    """A spawned process first runs its parent's ``__main__`` again; under Streamlit that is the page
    script itself, which would start a pool of its own. While workers start, ``__main__`` is a bare
    module. (A worker starts when its executor gets its first task, which the pool gives at once.)"""
    page_main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = page_main


class DetectionPool(Closeable):
    """Worker processes that detect hands for many streams; each stream always goes to the same worker.

    >>> pool = DetectionPool(workers=2)                      # doctest: +SKIP
    >>> detector = pool.video_detector()                     # doctest: +SKIP
    """

    def __init__(self, workers: int, options: DetectorOptions = DetectorOptions(), *,
                 wait_ms: float = WAIT_MS, idle_s: float = IDLE_S, clock=time.monotonic):
        if workers < 1:
            raise ValueError("a detection pool needs at least one worker")
        context = multiprocessing.get_context("spawn")  # the page process has threads: never fork it
        self.options = options
        self.wait_s = wait_ms / 1000
        self.idle_s = idle_s
        self._clock = clock
        self._workers = [ProcessPoolExecutor(1, context, initializer=_start_worker, initargs=(options,))
                         for _ in range(workers)]
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._streams: dict[int, int] = {}        # stream -> worker index
        self._last_used: dict[int, float] = {}    # stream -> when it last sent a frame
        with _bare_main():  # start them now, not on a viewer's first frame
            self.started = [worker.submit(_ready) for worker in self._workers]  # each gives its pid

    @classmethod
    def from_environment(cls, environ=os.environ) -> "DetectionPool | None":
        """The host's setting: ``LOCATOR_DETECT_WORKERS`` (default: one per core this process may use;
        0: no pool, detect in the page process), ``LOCATOR_DETECT_WAIT_MS`` (default 30)."""
        workers = host_number(environ, WORKERS_ENV, int, len(os.sched_getaffinity(0)))
        if workers == 0:
            return None
        return cls(workers, wait_ms=host_number(environ, WAIT_ENV, float, WAIT_MS))

    @property
    def workers(self) -> int:
        return len(self._workers)

    def load(self) -> list[int]:
        """Open streams per worker."""
        with self._lock:
            return self._counts()

    def _counts(self) -> list[int]:
        counts = [0] * len(self._workers)
        for worker in self._streams.values():
            counts[worker] += 1
        return counts

    def _tie(self, stream: int, now: float) -> int:
        """Tie ``stream`` to the worker serving the fewest streams (call with the lock held)."""
        counts = self._counts()
        self._streams[stream] = worker = counts.index(min(counts))
        self._last_used[stream] = now
        return worker

    def open_stream(self) -> int:
        """A new stream id, tied to the worker serving the fewest streams."""
        with self._lock:
            stream = next(self._ids)
            self._tie(stream, self._clock())
        return stream

    def submit(self, stream: int, rgb: np.ndarray, timestamp_ms: int) -> Future:
        """Detect in one frame of ``stream`` on its worker; the future gives ``(hands, source)``. Streams
        silent for ``idle_s`` are given up on the way (a viewer who left without closing)."""
        now = self._clock()
        with self._lock:
            worker = self._streams.get(stream)
            if worker is None:  # given up while idle: tie it to a worker again
                worker = self._tie(stream, now)
            self._last_used[stream] = now
            idle = [s for s, used in self._last_used.items() if now - used > self.idle_s]
        for old in idle:
            self.close_stream(old)
        return self._workers[worker].submit(_detect, stream, rgb, timestamp_ms)

    def close_stream(self, stream: int) -> None:
        """The stream ended: its worker keeps the detector for the next stream."""
        with self._lock:
            worker = self._streams.pop(stream, None)
            self._last_used.pop(stream, None)
        if worker is not None:
            try:
                self._workers[worker].submit(_release, stream)
            except RuntimeError:  # the pool is shutting down
                pass

    def video_detector(self) -> "SharedVideoDetector":
        return SharedVideoDetector(self)

    def close(self) -> None:
        for worker in self._workers:
            worker.shutdown(wait=True, cancel_futures=True)


class SharedVideoDetector(Closeable):
    """One viewer's :class:`~locator.detector.VideoDetector` backed by a :class:`DetectionPool`.

    At most one of its frames is in the pool at a time. ``detect`` sends the frame when none is, waits up
    to the pool's budget for the answer, and otherwise returns the latest answer it has (from an earlier
    frame); ``last_source`` is then ``"previous"``.
    """

    def __init__(self, pool: DetectionPool):
        self.pool = pool
        self.max_hands = pool.options.max_hands
        self.last_source = ""
        self.stream = pool.open_stream()
        self._pending: Future | None = None
        self._hands: list[DetectedHand] = []

    def detect(self, rgb: np.ndarray, timestamp_ms: int) -> list[DetectedHand]:
        if self._pending is not None and self._pending.done():
            self._collect()
        if self._pending is None:
            self._pending = self.pool.submit(self.stream, rgb, timestamp_ms)
            wait_for_future([self._pending], timeout=self.pool.wait_s)
            if self._pending.done():
                self._collect()
                return self._hands
        self.last_source = "previous"
        return self._hands

    def _collect(self) -> None:
        future, self._pending = self._pending, None
        self._hands, self.last_source = future.result()

    def close(self) -> None:
        self.pool.close_stream(self.stream)
