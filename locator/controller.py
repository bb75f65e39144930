"""The live page's controller: one browser session's camera frames, routine and overlay, without Streamlit.

The video callback runs on streamlit-webrtc's worker thread and calls :meth:`LiveController.process`;
the page's script thread reads :meth:`LiveController.status` and forwards the person's choices and
button presses. Everything time-dependent takes ``now`` (seconds, monotonic), so tests drive it with a
fake clock and a fake pipeline.

The pipeline (two MediaPipe graphs, about 90 MB) is opened on the first frame of a stream and closed when
the stream ends (:meth:`LiveController.stream_ended`) or the controller is dropped: a hosted server must
not grow with every visitor.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass, replace
from typing import Callable, Protocol

import numpy as np

from .catalogue import CATALOGUE
from .errors import UserError
from .live import LivePipeline, LiveResult, draw
from .overlay import TargetAnnotator, hand_map_annotators
from .routine import Routine, RoutineView
from .safety import allowed_steps
from .routine_files import PRESETS
from .steps import Step, expand

# The frame rate shown is frames delivered over this many seconds (the last ones).
RATE_WINDOW = 3.0
# No frame for this long: the camera has stopped (STOP pressed, the tab hidden, the connection lost).
STALLED_AFTER = 1.5

ACTIONS = ("pause", "resume", "back", "skip", "restart")


class Pipeline(Protocol):
    mirrored: bool

    def process(self, rgb: np.ndarray, timestamp_ms: int) -> LiveResult: ...

    def close(self) -> None: ...


class FrameRate:
    """Frames per second over the last ``window`` seconds of frames, as the person receives them."""

    def __init__(self, window: float = RATE_WINDOW):
        self.window = window
        self._times: deque[float] = deque()

    def tick(self, now: float) -> None:
        self._times.append(now)
        self._forget_before(now - self.window)

    def per_second(self, now: float) -> float | None:
        """None until two frames arrived, and once the frames stop."""
        self._forget_before(now - self.window)
        if len(self._times) < 2 or now - self._times[-1] > STALLED_AFTER:
            return None
        return (len(self._times) - 1) / (self._times[-1] - self._times[0])

    def clear(self) -> None:
        self._times.clear()

    def _forget_before(self, time: float) -> None:
        while self._times and self._times[0] < time:
            self._times.popleft()


@dataclass(frozen=True)
class LiveStatus:
    """What the page shows beside the video."""

    streaming: bool              # frames are arriving
    frames: int                  # frames processed since the page opened
    frames_per_second: float | None
    steps: tuple[Step, ...]      # the chosen routine's steps, less what the safety policy left out; () before
    view: RoutineView | None     # the routine's latest view; None before the first frame of it
    notes: tuple[str, ...]       # what the safety policy left out, and why
    error: str | None            # one line for the person (e.g. the hand model could not be loaded)
    in_view: frozenset[str] = frozenset()  # the points on the faces in view in the latest frame (the hand map)
    actions: int = 0             # routine buttons acted on so far (each button carries it: see `act`)


class _PipelineSlot:
    """The session's pipeline, opened on demand; kept apart so a finaliser can close it without
    keeping the controller alive."""

    def __init__(self, open_pipeline: Callable[[], Pipeline]):
        self.open_pipeline = open_pipeline
        self.pipeline: Pipeline | None = None
        self.lock = threading.Lock()  # held while a frame is processed, so closing never races it

    def close(self) -> None:
        with self.lock:
            if self.pipeline is not None:
                self.pipeline.close()
                self.pipeline = None


class LiveController:
    """One browser session's live view: mirroring, pipeline, routine, overlay and frame rate.

    The page sets ``selfie``, and the hand map's ``picked`` point (ringed on every frame) and ``korean``
    (Korean hand therapy's zones under the markers), as the person chooses them.
    """

    def __init__(self, open_pipeline: Callable[[], Pipeline] = LivePipeline):
        self._slot = _PipelineSlot(open_pipeline)
        weakref.finalize(self, self._slot.close)
        self.selfie = True
        self.picked: str | None = None
        self.korean = False
        self._lock = threading.Lock()  # guards everything below between the video and script threads
        self._in_view: frozenset[str] = frozenset()
        self._rate = FrameRate()
        self._frames = 0
        self._last_frame: float | None = None
        self._routine: Routine | None = None
        self._chosen: tuple[str, bool] | None = None
        self._view: RoutineView | None = None
        self._error: str | None = None
        self._actions = 0

    # --- the person's choices (script thread) ------------------------------------------------------
    def choose_routine(self, preset: str, pregnant: bool) -> None:
        """Start ``preset`` (less what the safety policy leaves out) unless it is already running."""
        with self._lock:
            if self._chosen == (preset, pregnant):
                return
            self._routine = Routine(*allowed_steps(expand(PRESETS[preset]), pregnant))
            self._chosen = (preset, pregnant)
            self._view = None

    def act(self, action: str, seen: int, now: float | None = None) -> None:
        """A routine button: one of :data:`ACTIONS`, at ``now`` (default: the monotonic clock). The
        status right after it shows its result.

        ``seen`` is the status's ``actions`` when the button was drawn. A click on a button drawn before
        the latest action does nothing: it is a click already acted on, delivered again (Streamlit sends a
        click with every timed rerun that leaves before the click's own message), or a second click made
        before the page showed the first one's result (as Streamlit does with two clicks that reach a
        busy server together)."""
        now = time.monotonic() if now is None else now
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        with self._lock:
            if self._routine is None or seen != self._actions:
                return
            getattr(self._routine, action)(now)
            self._view = self._routine.view()
            self._actions += 1

    def status(self, now: float) -> LiveStatus:
        with self._lock:
            streaming = self._last_frame is not None and now - self._last_frame <= STALLED_AFTER
            return LiveStatus(streaming, self._frames, self._rate.per_second(now),
                              self._routine.steps if self._routine else (),
                              self._view, self._routine.notes if self._routine else (), self._error,
                              self._in_view if streaming else frozenset(), self._actions)

    # --- frames (video thread) ---------------------------------------------------------------------
    def process(self, rgb: np.ndarray, now: float) -> np.ndarray:
        """One camera frame (RGB, as the camera sees it) in, the drawn frame out."""
        selfie = self.selfie
        if selfie:
            rgb = rgb[:, ::-1]  # show the person a mirror, as every video-call app does
        rgb = np.ascontiguousarray(rgb) if selfie else rgb.copy()  # writeable and contiguous for drawing
        result = self._detect(rgb, now, selfie)
        with self._lock:
            self._count_frame(now)
            if result is None:
                return rgb
            view = self._routine.update(result.hands, now) if self._routine else None
            self._view = view
            self._in_view = frozenset(p.code for hand in result.hands for p in hand.points if p.on_visible_face)
        under, over = hand_map_annotators(self.picked, self.korean)
        for annotator in under:
            annotator.annotate(rgb, result.hands)
        draw_routine(rgb, result, view, now, labels=not self.korean)
        for annotator in over:
            annotator.annotate(rgb, result.hands)
        return rgb

    def _detect(self, rgb: np.ndarray, now: float, mirrored: bool) -> LiveResult | None:
        slot = self._slot
        with slot.lock:
            if self._error is not None:
                return None
            try:  # a bad model shows when the pipeline opens, or (detected in workers) on a first frame
                if slot.pipeline is None:
                    slot.pipeline = slot.open_pipeline()
                slot.pipeline.mirrored = mirrored
                return slot.pipeline.process(rgb, int(now * 1000))
            except UserError as error:
                self._error = str(error)
                return None

    def _count_frame(self, now: float) -> None:
        if self._last_frame is None or now - self._last_frame > STALLED_AFTER:
            self._rate.clear()  # a new stream: the old frames say nothing about this one
        self._rate.tick(now)
        self._last_frame = now
        self._frames += 1

    # --- lifecycle ---------------------------------------------------------------------------------
    def stream_ended(self) -> None:
        """The camera stream stopped: free the pipeline (the next frame opens a new one)."""
        self._slot.close()
        with self._lock:
            self._last_frame = None
            self._rate.clear()
            self._error = None

    close = stream_ended


ALL_CODES = frozenset(point.code for point in CATALOGUE)


def draw_routine(rgb: np.ndarray, result: LiveResult, view: RoutineView | None, now: float,
                 labels: bool = True) -> None:
    """The overlay for the routine's current step: only the target point on the step's hand stands out
    (a ring where to press); every other point, and every point of the other hand, is drawn small and
    grey, so the person is never invited to press the wrong hand. In a whole-hand step and once the
    routine is done, every point small and grey (a first user found the end's fully labelled hands
    unreadable). Before the routine's first frame, all points as usual (their labels unless ``labels``
    is false: the Korean map's zone names take their place)."""
    if view is None:
        draw(rgb, result, hidden="skip", labels=labels)
        return
    target = view.target if not view.finished else None
    if target is None:  # a whole-hand step, or the routine is done: no point stands out, none is named
        draw(rgb, result, dimmed=ALL_CODES, labels=False, hidden="skip")
        return
    hand = view.step.hand
    mine = replace(result, hands=[h for h in result.hands if h.handedness == hand])
    theirs = replace(result, hands=[h for h in result.hands if h.handedness != hand])
    draw(rgb, theirs, dimmed=ALL_CODES, labels=False, legend=False, hidden="skip")
    draw(rgb, mine, dimmed=ALL_CODES - {target}, labels=False, legend=False, hidden="skip")
    draw(rgb, result, skeleton=False, points=False, labels=False)  # the legend, for every hand
    TargetAnnotator(target, hand, view.on_target, now).annotate(rgb, mine.hands)
