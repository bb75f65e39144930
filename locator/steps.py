"""The routines' steps as plain data: which point or hand action, on which hands, for how long.

A routine is a list of entries, as its file holds them (:mod:`locator.routine_files`): each entry names a
catalogue point (``"point"``, or several in ``"points"``) or a whole-hand action (``"action"``, one of
:data:`ACTIONS`), the ``"hands"`` it is done on (``"both"``: left then right), the ``"seconds"`` per hand
and point, and optionally its own ``"how"`` words. Names and how-to text come from the catalogue;
:func:`expand` turns entries into the :class:`Step` objects the routine's state machine walks through.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

from .catalogue import BY_CODE, FINGER_WEBS, Face
from .hands import Handedness

HANDS: tuple[Handedness, Handedness] = ("left", "right")


@dataclass(frozen=True)
class Action:
    """A whole-hand action (no single point): what to call it and how to do it."""

    title: str
    how: str


# Whole-hand steps: the other hand works the fingers of this one, so they count only while its fingertips
# are seen moving on this hand's fingers (see locator.routine).
ACTIONS: dict[str, Action] = {
    "joints": Action("Finger joints",
                     "With the other thumb and index finger, push gently along each finger of your {hand} "
                     "hand, joint by joint, from the knuckle to the tip"),
    "stretch": Action("Stretch the fingers",
                      "Take each finger of your {hand} hand in turn with the other hand and stretch it "
                      "gently back, no pain"),
}

@dataclass(frozen=True)
class Step:
    """One step of the routine on one hand.

    ``target`` is the acupoint code to press, or None for a whole-hand ``action`` (finger stretches,
    pushes along the joints).
    """

    title: str
    target: str | None
    hand: Handedness
    instruction: str
    hold_seconds: float
    action: str | None = None
    cautions: tuple[str, ...] = ()  # the routine's own, shown beside the point's

    @property
    def face(self) -> Face | None:
        """The face of ``hand`` to turn toward the camera: the target's; None when any face will do."""
        return BY_CODE[self.target].face if self.target else None


def expand(entries: Sequence[Mapping[str, Any]]) -> tuple[Step, ...]:
    """The steps of a routine written as entries (see the module docstring), in order."""
    steps: list[Step] = []
    for entry in entries:
        hands = HANDS if entry.get("hands", "both") == "both" else (entry["hands"],)
        seconds = float(entry["seconds"])
        points = entry.get("points") or ([entry["point"]] if "point" in entry else [None])
        cautions = tuple(entry.get("cautions", ()))
        for hand in hands:
            for code in points:
                step = (_point_step(code, hand, seconds, entry.get("how")) if code
                        else _action_step(entry["action"], hand, seconds, entry.get("how")))
                steps.append(replace(step, cautions=cautions) if cautions else step)
    return tuple(steps)


def _point_step(code: str, hand: Handedness, seconds: float, how: str | None) -> Step:
    point = BY_CODE[code]
    where = {"palm": f"{hand} palm", "back": f"back of the {hand} hand"}[point.face]
    if code in FINGER_WEBS:
        where = f"web between the {FINGER_WEBS[code]} fingers, {hand} hand"
    words = how.format(hand=hand) if how else point.how_to_press.rstrip(".")
    return Step(f"{point.pinyin} ({code}), {where}", code, hand,
                f"{words}. Your {hand} hand, {seconds:g} seconds.", seconds)


def _action_step(name: str, hand: Handedness, seconds: float, how: str | None) -> Step:
    action = ACTIONS[name]
    words = (how or action.how).format(hand=hand)
    return Step(f"{action.title}, {hand} hand", None, hand, f"{words}; {seconds:g} seconds in all.",
                seconds, name)


def overview(steps: Sequence[Step]) -> tuple[str, tuple[str, ...]]:
    """A routine before it starts, so the person knows what is coming and for how long: a headline (how
    many steps, how long on each hand when both get the same, and in all) and a line per step ("Laogong
    (PC8), left palm: 15 s")."""
    per_hand = {hand: sum(step.hold_seconds for step in steps if step.hand == hand) for hand in HANDS}
    total = sum(per_hand.values())
    each = f"{_duration(per_hand['left'])} on each hand, " if per_hand["left"] == per_hand["right"] else ""
    return (f"{len(steps)} step{'s' if len(steps) != 1 else ''}, {each}{_duration(total)} of massage in all",
            tuple(f"{step.title}: {step.hold_seconds:g} s" for step in steps))


def _duration(seconds: float) -> str:
    """"45 s", "1 min", "3 min 24 s"."""
    minutes, seconds = divmod(round(seconds), 60)
    return " ".join(([f"{minutes} min"] if minutes else []) + ([f"{seconds} s"] if seconds or not minutes else []))
