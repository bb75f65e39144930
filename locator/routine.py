"""The guided self-massage routine as a state machine: hands and a clock in, what to show out.

Pure: no Streamlit, no OpenCV, no wall clock. The page calls :meth:`Routine.update` with the hands seen in
the current frame and the current time in seconds; everything time-dependent comes from that ``now``, so
tests drive it with a fake clock.

The steps it walks through are data (:mod:`locator.steps`); which of them may be done is the safety
policy's call (:mod:`locator.safety`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal, Mapping, Sequence

import numpy as np

from .catalogue import BY_CODE
from .geometry import Landmark
from .hands import OUTSIDE_PICTURE, UNSURE_PROMPT, Handedness, LocatedHand
from .routine_files import PRESETS
from .steps import Step, expand

# A press counts when a pressing fingertip of the other hand is this close to the target point, in hand
# sizes (wrist to middle knuckle, ~8-10 cm on an adult): at least about 1 cm, the width of a fingertip,
# and never less than the ring of any point the routine targets (where 80% of the labels fall,
# cross-validated: see Acupoint.radius), so a press on the real point is not refused for the rule's doubt.
FINGERTIP_RADIUS = 0.12
PRESS_RADIUS = max(FINGERTIP_RADIUS, *(BY_CODE[step.target].radius for entries in PRESETS.values()
                                       for step in expand(entries) if step.target))
PRESSING_TIPS = (Landmark.THUMB_TIP, Landmark.INDEX_TIP)

# A target hand whose wrist and knuckles moved more than this (hand sizes, mean) since the last update is
# moving too fast to press or to be tracked reliably: that update is not counted.
HOLD_STILL = 0.15
STEADY_LANDMARKS = (Landmark.WRIST, Landmark.INDEX_MCP, Landmark.MIDDLE_MCP, Landmark.RING_MCP,
                    Landmark.PINKY_MCP)

# Still counted as on target this long after the fingertip was last seen there: one flickering frame
# (a missed detection while the other hand covers this one) should not stop the timer. The price: up to
# this much is still credited each time the finger really leaves the point.
GRACE_SECONDS = 0.3

# At most this much time is credited per update: a longer gap means frames were lost and we did not see
# what the hands did meanwhile.
MAX_SECONDS_PER_UPDATE = 0.5

# Whole-hand steps (stretches, pushes along the joints) count only while a fingertip of the other hand is
# on this hand's fingers (within this many hand sizes of a finger joint) and is seen moving: its place on
# this hand spans at least WORKING_MOTION hand sizes within the last WORKING_WINDOW seconds. A still
# picture of two hands touching never counts.
FINGER_REACH = 0.15
FINGER_JOINTS = tuple(range(Landmark.THUMB_MCP, Landmark.PINKY_TIP + 1))
WORKING_MOTION = 0.12
WORKING_WINDOW = 1.5

# Hold times are sums of many frame intervals; this absorbs their floating-point rounding.
ROUNDING = 1e-6

# --- The routine ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Summary:
    """What was done, shown at the end."""

    steps_done: int
    steps_skipped: int
    steps: int
    seconds_pressed: float

    def sentence(self) -> str:
        """The summary in plain English."""
        done = f"You finished {self.steps_done} of {self.steps} steps"
        skipped = f", skipped {self.steps_skipped}" if self.steps_skipped else ""
        seconds = round(self.seconds_pressed)
        time = (f", and massaged for {seconds} second{'s' if seconds != 1 else ''} in all" if seconds
                else ", with no massage seen")
        return f"{done}{skipped}{time}."


@dataclass(frozen=True)
class RoutineView:
    """Everything the page needs to draw one frame of the routine."""

    step_index: int             # 0-based; equals step_count when finished
    step_count: int
    step: Step | None           # None when finished
    prompt: str | None          # what the user should do first, None when all is well
    on_target: bool             # pressing the point (whole-hand steps: working the fingers)
    seconds_held: float
    step_progress: float        # 0..1
    routine_progress: float     # 0..1
    paused: bool
    summary: Summary | None     # only when finished

    @property
    def finished(self) -> bool:
        return self.step is None

    @property
    def target(self) -> str | None:
        """The acupoint code to highlight; None for whole-hand steps or when finished."""
        return self.step.target if self.step else None

    @property
    def seconds_left(self) -> float:
        return self.step.hold_seconds - self.seconds_held if self.step else 0.0


class Routine:
    """Walks through the steps; advances on ``update(hands, now)``.

    Hold time counts only while the step's condition holds (a fingertip of the other hand on the target
    point; for whole-hand steps, a fingertip of the other hand moving on this hand's fingers), the hand is
    still and the routine is not paused. It is never reset by going off target, only paused; a step
    completes when enough has been held.
    """

    def __init__(self, steps: Sequence[Step], notes: Sequence[str] = ()):
        if not steps:
            raise ValueError("a routine needs at least one step")
        self.steps = tuple(steps)
        self.notes = tuple(notes)  # shown above the steps (e.g. what the safety policy left out)
        self._start_over(now=None)  # the first update starts the clock

    def restart(self, now: float) -> None:
        """Back to the first step with every timer at zero."""
        self._start_over(now)

    def _start_over(self, now: float | None) -> None:
        self.index = 0
        self.held = [0.0] * len(self.steps)
        self.outcome: list[Literal["done", "skipped"] | None] = [None] * len(self.steps)
        self.paused = False
        self._clock_from(now)

    def pause(self, now: float) -> None:
        self.paused = True
        self._clock_from(now)

    def resume(self, now: float) -> None:
        """Continue; the time spent paused is not counted."""
        self.paused = False
        self._clock_from(now)

    def skip(self, now: float) -> None:
        """Leave the current step undone (its hold time so far still counts in the summary)."""
        if not self.finished:
            self.outcome[self.index] = "skipped"
            self.index += 1
        self._clock_from(now)

    def back(self, now: float) -> None:
        """Redo the previous step from zero (the first step if already there)."""
        self.index = max(self.index - 1, 0)
        self.held[self.index] = 0.0
        self.outcome[self.index] = None
        self._clock_from(now)

    @property
    def finished(self) -> bool:
        return self.index >= len(self.steps)

    def view(self) -> RoutineView:
        """What to show right after a button press, before the next frame says more (no prompt)."""
        return self._view(prompt=None, on_target=False)

    def _clock_from(self, now: float | None) -> None:
        """Forget the last update time and the last positions: nothing before ``now`` is credited."""
        self._last_update = now
        self._last_on_target: float | None = None
        self._last_steady: dict[Handedness, np.ndarray] = {}
        self._strokes: deque[tuple[float, np.ndarray]] = deque()  # (time, fingertip on the hand)

    def update(self, hands: Sequence[LocatedHand], now: float) -> RoutineView:
        """Take one frame's hands at time ``now`` (seconds) and say what to show."""
        elapsed = 0.0 if self._last_update is None else min(max(now - self._last_update, 0.0),
                                                            MAX_SECONDS_PER_UPDATE)
        self._last_update = now
        moved = self._moved(hands)
        if self.finished:
            return self._view(prompt=None, on_target=False)
        step = self.steps[self.index]
        target_hand = self._target_hand(step, hands)
        presented = target_hand is not None and _face_ok(step, target_hand)
        if presented and self._condition_met(step, target_hand, hands, now):
            self._last_on_target = now
        on_target = self._last_on_target is not None and now - self._last_on_target <= GRACE_SECONDS
        if self.paused:
            return self._view(prompt=None, on_target=on_target)
        if on_target and not moved.get(step.hand, False):
            self.held[self.index] += elapsed
            if self.held[self.index] >= step.hold_seconds - ROUNDING:
                self.held[self.index] = step.hold_seconds
                self.outcome[self.index] = "done"
                self.index += 1
                self._last_on_target = None
                self._strokes.clear()
                return self._view(prompt=None, on_target=False)
        return self._view(prompt=_prompt(step, target_hand, hands, moved, on_target), on_target=on_target)

    def _moved(self, hands: Sequence[LocatedHand]) -> dict[Handedness, bool]:
        """Per handedness, whether the hand jumped more than :data:`HOLD_STILL` since the last update."""
        steady = {hand.handedness: (hand.landmarks[list(STEADY_LANDMARKS)], hand.size) for hand in hands}
        moved = {
            handedness: bool(np.linalg.norm(points - self._last_steady[handedness], axis=1).mean()
                             > HOLD_STILL * size)
            for handedness, (points, size) in steady.items() if handedness in self._last_steady
        }
        self._last_steady = {handedness: points for handedness, (points, _) in steady.items()}
        return moved

    @staticmethod
    def _target_hand(step: Step, hands: Sequence[LocatedHand]) -> LocatedHand | None:
        """The hand the step works on; if two look like it, the one showing the right face."""
        candidates = [hand for hand in hands if hand.handedness == step.hand]
        return max(candidates, key=lambda hand: _face_ok(step, hand), default=None)

    def _condition_met(self, step: Step, target_hand: LocatedHand, hands: Sequence[LocatedHand],
                       now: float) -> bool:
        """Point steps: a fingertip of another hand is on the point. Whole-hand steps: one is on this
        hand's fingers and has moved there lately (see :data:`WORKING_MOTION`)."""
        if step.target is not None:
            point = target_hand.point(step.target).xy
            radius = PRESS_RADIUS * target_hand.size
            return any(np.linalg.norm(tip - point) <= radius for tip in _tips(target_hand, hands))
        joints = target_hand.landmarks[list(FINGER_JOINTS)]
        reach = FINGER_REACH * target_hand.size
        touching = [tip for tip in _tips(target_hand, hands)
                    if np.linalg.norm(joints - tip, axis=1).min() <= reach]
        while self._strokes and self._strokes[0][0] < now - WORKING_WINDOW:
            self._strokes.popleft()
        if not touching:
            return False
        self._strokes.append((now, _on_the_hand(touching[0], target_hand)))
        places = np.array([place for _, place in self._strokes])
        return bool(np.linalg.norm(places.max(axis=0) - places.min(axis=0)) >= WORKING_MOTION)

    def _view(self, prompt: str | None, on_target: bool) -> RoutineView:
        count = len(self.steps)
        if self.finished:
            summary = Summary(self.outcome.count("done"), self.outcome.count("skipped"), count, sum(self.held))
            return RoutineView(count, count, None, None, False, 0.0, 1.0, 1.0, self.paused, summary)
        step = self.steps[self.index]
        held = self.held[self.index]
        step_progress = held / step.hold_seconds
        return RoutineView(self.index, count, step, prompt, on_target, held, step_progress,
                           (self.index + step_progress) / count, self.paused, None)


def _face_ok(step: Step, hand: LocatedHand) -> bool:
    """Whether the hand shows a face on which the step's point can be seen (the webs: any face)."""
    return step.target is None or hand.point(step.target).on_visible_face


def _prompt(step: Step, target_hand: LocatedHand | None, hands: Sequence[LocatedHand],
            moved: Mapping[Handedness, bool], on_target: bool) -> str | None:
    if target_hand is None and hands:
        seen = hands[0].handedness
        return f"That is your {seen} hand: this step is for your {step.hand} hand"
    if target_hand is None:
        return f"Bring your {step.hand} hand into view"
    if not _face_ok(step, target_hand):
        if target_hand.facing == "unsure":  # the locator cannot tell palm from back yet
            return UNSURE_PROMPT
        if target_hand.facing != "side":
            return "Turn your hand over"
        if step.face == "palm":
            return f"Show your {step.hand} palm"
        return f"Show the back of your {step.hand} hand"
    if moved.get(step.hand, False):
        return "Hold still"
    doubt = target_hand.point(step.target).unplaceable if step.target else None
    if doubt and not on_target:  # the locator cannot place this point on the hand as it is held
        if doubt == OUTSIDE_PICTURE:
            return f"Show more of your {step.hand} wrist and forearm: the point is outside the picture"
        if "thumb" in doubt:
            return f"Spread the thumb of your {step.hand} hand away from the index finger"
        return f"Hold your {step.hand} hand open and flat toward the camera"
    if step.target is None and not on_target:
        return f"Work the fingers of your {step.hand} hand with your other hand"
    return None


def _tips(target_hand: LocatedHand, hands: Sequence[LocatedHand]) -> list[np.ndarray]:
    """The pressing fingertips of every other hand."""
    return [hand.landmarks[tip] for hand in hands if hand is not target_hand for tip in PRESSING_TIPS]


def _on_the_hand(tip: np.ndarray, hand: LocatedHand) -> np.ndarray:
    """A point in the hand's own frame: origin at the wrist, x along wrist -> middle knuckle, in hand
    sizes; so it stays put when the whole picture moves, and moves when the fingertip moves on the hand."""
    axis = hand.landmarks[Landmark.MIDDLE_MCP] - hand.landmarks[Landmark.WRIST]
    length = max(float(np.linalg.norm(axis)), 1e-6)
    x, y = axis / length
    offset = (tip - hand.landmarks[Landmark.WRIST]) / length
    return np.array([x * offset[0] + y * offset[1], -y * offset[0] + x * offset[1]])
