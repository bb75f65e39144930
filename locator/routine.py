"""The guided self-massage routine as a state machine: hands and a clock in, what to show out.

Pure: no Streamlit, no OpenCV, no wall clock. The page calls :meth:`Routine.update` with the hands seen in
the current frame and the current time in seconds; everything time-dependent comes from that ``now``, so
tests drive it with a fake clock.

Also here, as data the page renders: the presets (:data:`PRESETS`, :func:`build_steps`) and the safety
screen shown before the routine (:data:`SAFETY_CHECKS`, :func:`decide_safety`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping, Sequence

import numpy as np

from .catalogue import BY_CODE, FINGER_WEBS, Face
from .geometry import Landmark
from .hands import Handedness, LocatedHand

# A press counts when a pressing fingertip of the other hand is this close to the target point, in hand
# sizes (wrist to middle knuckle, ~8-10 cm on an adult): at least about 1 cm, the width of a fingertip,
# and never less than the ring of any point the routine targets (where 80% of the labels fall,
# cross-validated: see Acupoint.radius), so a press on the real point is not refused for the rule's doubt.
FINGERTIP_RADIUS = 0.12
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

# Hold times are sums of many frame intervals; this absorbs their floating-point rounding.
ROUNDING = 1e-6

HANDS: tuple[Handedness, Handedness] = ("left", "right")


@dataclass(frozen=True)
class Step:
    """One step of the routine on one hand.

    ``target`` is the acupoint code to press, or None for steps that work the whole hand (finger
    stretches, pushes along the joints): those count time while the hand is in view.
    """

    title: str
    target: str | None
    hand: Handedness
    instruction: str
    hold_seconds: float

    @property
    def face(self) -> Face | None:
        """The face of ``hand`` to turn toward the camera: the target's; None when any face will do."""
        return BY_CODE[self.target].face if self.target else None


def _laogong(hand: Handedness, seconds: float, how: str) -> Step:
    return Step(f"Laogong (PC8), {hand} palm", "PC8", hand,
                f"With the other thumb, {how} in the centre of your {hand} palm for {seconds:g} seconds.",
                seconds)


def _hegu(hand: Handedness, seconds: float) -> Step:
    return Step(f"Hegu (LI4), back of the {hand} hand", "LI4", hand,
                f"Press firmly with the other thumb between the thumb and index-finger bones of your "
                f"{hand} hand, fingers underneath; hold steady for {seconds:g} seconds.", seconds)


def _web(hand: Handedness, code: str, seconds: float) -> Step:
    number = code[-1]
    return Step(f"Finger web {number} of 4, {hand} hand", code, hand,
                f"Pinch the web between the {FINGER_WEBS[code]} fingers of your {hand} hand with the other "
                f"thumb and index finger and knead it, moderate pressure, for {seconds:g} seconds.",
                seconds)


def _joints(hand: Handedness, seconds: float) -> Step:
    return Step(f"Finger joints, {hand} hand", None, hand,
                f"With the other thumb and index finger, push gently along each finger of your {hand} "
                f"hand, joint by joint, from the knuckle to the tip; {seconds:g} seconds in all.", seconds)


def _stretch(hand: Handedness, seconds: float) -> Step:
    return Step(f"Stretch the fingers, {hand} hand", None, hand,
                f"Take each finger of your {hand} hand in turn and stretch it gently back, no pain; "
                f"{seconds:g} seconds in all.", seconds)


# PRODUCT.md: rub Laogong vigorously for 15 s, then press Hegu firmly and stretch the fingers one by one
# for 15 s (split 8 + 7 here). On both hands, so 30 seconds per hand.
_RESCUE = (
    *(_laogong(hand, 15, "rub vigorously in circles") for hand in HANDS),
    *(_hegu(hand, 8) for hand in HANDS),
    *(_stretch(hand, 7) for hand in HANDS),
)
# Each step on both hands, left then right; the webs one after another on one hand, then the other.
_FULL = (
    *(_laogong(hand, 20, "knead gently to moderately in small circles") for hand in HANDS),
    *(_hegu(hand, 15) for hand in HANDS),
    *(_web(hand, code, 8) for hand in HANDS for code in FINGER_WEBS),
    *(_joints(hand, 20) for hand in HANDS),
    *(_stretch(hand, 15) for hand in HANDS),
)
PRESETS: dict[str, tuple[Step, ...]] = {"30-second rescue": _RESCUE, "full routine": _FULL}
PRESS_RADIUS = max(FINGERTIP_RADIUS, *(BY_CODE[step.target].radius for steps in PRESETS.values()
                                       for step in steps if step.target))

PREGNANCY_NOTE = "Hegu (LI4) is traditionally avoided in pregnancy, so it is left out."
HEGU = "LI4"


def build_steps(preset: str, pregnant: bool) -> tuple[Step, ...]:
    """The steps of a preset; in pregnancy without any Hegu step (see :data:`PREGNANCY_NOTE`)."""
    steps = PRESETS[preset]
    return tuple(step for step in steps if step.target != HEGU) if pregnant else steps


# --- Safety screen ---------------------------------------------------------------------------------

SafetyKind = Literal["stop", "ask_doctor", "pregnancy"]


@dataclass(frozen=True)
class SafetyCheck:
    """One yes/no question of the safety screen and what a "yes" means."""

    key: str
    question: str
    kind: SafetyKind  # stop: do not start; ask_doctor: only with a doctor's agreement; pregnancy
    if_yes: str       # why, shown when the answer is yes


SAFETY_CHECKS: tuple[SafetyCheck, ...] = (
    SafetyCheck("broken_skin", "Do you have broken skin, cuts or open wounds on your hands?", "stop",
                "Do not massage broken skin or open wounds: wait until they have healed."),
    SafetyCheck("inflamed", "Is either hand acutely inflamed (hot, red, swollen)?", "stop",
                "Do not massage an acutely inflamed hand: wait until it has settled, or see a doctor."),
    SafetyCheck("doctor_advised_against", "Has a doctor advised you against hand massage or acupressure?",
                "stop", "Follow your doctor's advice."),
    SafetyCheck("pregnant", "Are you pregnant?", "pregnancy", PREGNANCY_NOTE),
    SafetyCheck("clotting", "Do you have a blood-clotting disorder?", "ask_doctor",
                "With a blood-clotting disorder, ask a doctor before pressing acupoints."),
    SafetyCheck("skin_condition", "Do you have a skin condition on your hands?", "ask_doctor",
                "With a skin condition, ask a doctor before massaging your hands."),
    SafetyCheck("recent_surgery", "Have you had surgery recently?", "ask_doctor",
                "After recent surgery, ask a doctor before starting."),
    SafetyCheck("serious_condition", "Do you have a serious health condition?", "ask_doctor",
                "With a serious health condition, ask a doctor before starting."),
)

DOCTOR_CONFIRMATION = "My doctor agreed that I can do this hand massage."


@dataclass(frozen=True)
class SafetyDecision:
    """Whether the routine may start, and the reasons to show either way."""

    proceed: bool
    pregnant: bool                   # start the routine with ``build_steps(..., pregnant=True)``
    needs_doctor_confirmation: bool  # show :data:`DOCTOR_CONFIRMATION` for the user to tick
    reasons: tuple[str, ...]


def decide_safety(answers: Mapping[str, bool], doctor_agreed: bool = False) -> SafetyDecision:
    """Decide from the yes/no answers (keyed by :attr:`SafetyCheck.key`; missing means no).

    Any "stop" answer blocks the start. An "ask a doctor" answer blocks it until the user confirms
    their doctor agreed. Pregnancy alone does not block: the routine runs without Hegu.
    """
    unknown = set(answers) - {check.key for check in SAFETY_CHECKS}
    if unknown:
        raise ValueError(f"unknown safety answers: {sorted(unknown)}")
    yes = [check for check in SAFETY_CHECKS if answers.get(check.key, False)]
    kinds = {check.kind for check in yes}
    needs_doctor = "ask_doctor" in kinds
    proceed = "stop" not in kinds and (doctor_agreed or not needs_doctor)
    return SafetyDecision(proceed, "pregnancy" in kinds, needs_doctor, tuple(check.if_yes for check in yes))


# --- The routine ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Summary:
    """What was done, shown at the end."""

    steps_done: int
    steps_skipped: int
    seconds_pressed: float


@dataclass(frozen=True)
class RoutineView:
    """Everything the page needs to draw one frame of the routine."""

    step_index: int             # 0-based; equals step_count when finished
    step_count: int
    step: Step | None           # None when finished
    prompt: str | None          # what the user should do first, None when all is well
    on_target: bool             # pressing the point (whole-hand steps: the hand is in view)
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
    point, or for whole-hand steps the hand in view), the hand is still and the routine is not paused. It
    is never reset by going off target, only paused; a step completes when enough has been held.
    """

    def __init__(self, preset: str = "full routine", pregnant: bool = False):
        self.preset = preset
        self.steps = build_steps(preset, pregnant)
        self.notes: tuple[str, ...] = (PREGNANCY_NOTE,) if pregnant else ()
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

    def _clock_from(self, now: float | None) -> None:
        """Forget the last update time and the last positions: nothing before ``now`` is credited."""
        self._last_update = now
        self._last_on_target: float | None = None
        self._last_steady: dict[Handedness, np.ndarray] = {}

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
        if presented and _condition_met(step, target_hand, hands):
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
                return self._view(prompt=None, on_target=False)
        return self._view(prompt=_prompt(step, target_hand, moved), on_target=on_target)

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

    def _view(self, prompt: str | None, on_target: bool) -> RoutineView:
        count = len(self.steps)
        if self.finished:
            summary = Summary(self.outcome.count("done"), self.outcome.count("skipped"), sum(self.held))
            return RoutineView(count, count, None, None, False, 0.0, 1.0, 1.0, self.paused, summary)
        step = self.steps[self.index]
        held = self.held[self.index]
        step_progress = held / step.hold_seconds
        return RoutineView(self.index, count, step, prompt, on_target, held, step_progress,
                           (self.index + step_progress) / count, self.paused, None)


def _face_ok(step: Step, hand: LocatedHand) -> bool:
    """Whether the hand shows a face on which the step's point can be seen (the webs: any face)."""
    return step.target is None or hand.point(step.target).on_visible_face


def _prompt(step: Step, target_hand: LocatedHand | None, moved: Mapping[Handedness, bool]) -> str | None:
    if target_hand is None:
        return f"Bring your {step.hand} hand into view"
    if not _face_ok(step, target_hand):
        if target_hand.facing != "side":
            return "Turn your hand over"
        if step.face == "palm":
            return f"Show your {step.hand} palm"
        return f"Show the back of your {step.hand} hand"
    if moved.get(step.hand, False):
        return "Hold still"
    return None


def _condition_met(step: Step, target_hand: LocatedHand, hands: Sequence[LocatedHand]) -> bool:
    """Whole-hand steps: the hand is in view. Point steps: a fingertip of another hand is on the point."""
    if step.target is None:
        return True
    point = target_hand.point(step.target).xy
    radius = PRESS_RADIUS * target_hand.size
    return any(np.linalg.norm(hand.landmarks[tip] - point) <= radius
               for hand in hands if hand is not target_hand for tip in PRESSING_TIPS)
