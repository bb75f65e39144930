"""The safety policy shown before the routine: the yes/no questions, what each "yes" means, and which
steps a "yes" removes.

Pure data and decisions; the page asks the questions and the routine runs the steps it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping, Sequence

from .catalogue import BY_CODE, CATALOGUE
from .steps import Step

# Which points pregnancy rules out is the catalogue's word (each entry's contraindications), whatever a
# routine file says.
AVOIDED_IN_PREGNANCY = frozenset(point.code for point in CATALOGUE if "pregnancy" in point.contraindications)
PREGNANCY_NOTE = (", ".join(f"{BY_CODE[code].pinyin} ({code})" for code in sorted(AVOIDED_IN_PREGNANCY))
                  + " is traditionally avoided in pregnancy, so it is left out.")

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


def allowed_steps(steps: Sequence[Step], pregnant: bool) -> tuple[tuple[Step, ...], tuple[str, ...]]:
    """The steps that may be done (see :attr:`SafetyDecision.pregnant`), and notes saying what was left
    out and why."""
    if not pregnant:
        return tuple(steps), ()
    return tuple(step for step in steps if step.target not in AVOIDED_IN_PREGNANCY), (PREGNANCY_NOTE,)
