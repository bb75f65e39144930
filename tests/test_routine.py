"""The guided routine: steps, safety screen, prompts, press detection and timers, on a fake clock."""

import json

import numpy as np
import pytest

from locator.geometry import Landmark
from locator.hands import LocatedHand, locate_points
from locator.routine import GRACE_SECONDS, HOLD_STILL, MAX_SECONDS_PER_UPDATE, PRESS_RADIUS, Routine
from locator.safety import PREGNANCY_NOTE, SAFETY_CHECKS, allowed_steps, decide_safety
from locator.routine_files import PRESETS
from locator.steps import expand, overview

from .synthetic import right_palm_landmarks

FRAME = 0.1  # seconds between updates, about what the live page delivers


def build_steps(preset: str, pregnant: bool):
    return allowed_steps(expand(PRESETS[preset]), pregnant)[0]


def new_routine(preset: str = "full routine", pregnant: bool = False) -> Routine:
    """A routine as the page starts it: a preset's steps, less what the safety policy leaves out."""
    return Routine(*allowed_steps(expand(PRESETS[preset]), pregnant))


def hand(handedness="left", facing="palm", shift=(0.0, 0.0)) -> LocatedHand:
    """A hand as the core would hand it over; the routine trusts the core's handedness and facing."""
    landmarks = right_palm_landmarks() + np.asarray(shift, dtype=float)
    return LocatedHand(handedness, 0.9, facing, 0.9, landmarks, locate_points(landmarks, facing))


def presser(index_tip_at, handedness="right") -> LocatedHand:
    """The other hand, moved so that its index fingertip is at ``index_tip_at``."""
    landmarks = right_palm_landmarks()
    landmarks = landmarks - landmarks[Landmark.INDEX_TIP] + np.asarray(index_tip_at, dtype=float)
    return LocatedHand(handedness, 0.9, "back", 0.9, landmarks, locate_points(landmarks, "back"))


def pressing(target: LocatedHand, code: str, offset=(0.0, 0.0)) -> list[LocatedHand]:
    """The target hand and the other hand's index tip at ``code`` plus ``offset`` pixels."""
    other = "right" if target.handedness == "left" else "left"
    return [target, presser(target.point(code).xy + np.asarray(offset), other)]


def run(walker: Routine, hands, start: float, seconds: float):
    """Feed the same hands every FRAME seconds from ``start``; return the last view and the end time."""
    now, view = start, None
    for _ in range(round(seconds / FRAME)):
        now = round(now + FRAME, 6)
        view = walker.update(hands, now)
    return view, now


# --- Steps ----------------------------------------------------------------------------------------

def test_full_routine_goes_point_by_point_left_then_right():
    steps = build_steps("full routine", pregnant=False)
    assert [(s.target, s.hand) for s in steps] == [
        ("PC8", "left"), ("PC8", "right"), ("LI4", "left"), ("LI4", "right"),
        *((f"EX-UE9-{n}", "left") for n in range(1, 5)), *((f"EX-UE9-{n}", "right") for n in range(1, 5)),
        (None, "left"), (None, "right"), (None, "left"), (None, "right"),
    ]
    assert "joint" in steps[-4].title.lower() and "stretch" in steps[-1].title.lower()
    assert [s.face for s in steps[:4]] == ["palm", "palm", "back", "back"]
    for step in steps:
        assert f"{step.hold_seconds:g} seconds" in step.instruction and step.hand in step.instruction


def test_rescue_is_laogong_15_s_then_hegu_and_stretch_15_s_per_hand():
    steps = build_steps("30-second rescue", pregnant=False)
    assert [(s.target, s.hand, s.hold_seconds) for s in steps] == [
        ("PC8", "left", 15), ("PC8", "right", 15), ("LI4", "left", 8), ("LI4", "right", 8),
        (None, "left", 7), (None, "right", 7),
    ]
    assert "vigorous" in steps[0].instruction and "firmly" in steps[2].instruction
    assert {"30-second rescue", "full routine"} <= set(PRESETS)


@pytest.mark.parametrize("preset", ["30-second rescue", "full routine"])
def test_pregnancy_removes_every_hegu_step_and_says_why(preset):
    steps = build_steps(preset, pregnant=True)
    assert "LI4" not in {s.target for s in steps}
    assert len(steps) == len(build_steps(preset, pregnant=False)) - 2
    assert new_routine(preset, pregnant=True).notes == (PREGNANCY_NOTE,)
    assert "pregnancy" in PREGNANCY_NOTE and "Hegu" in PREGNANCY_NOTE
    assert new_routine(preset).notes == ()


# --- Safety screen --------------------------------------------------------------------------------

def test_safety_screen_covers_the_product_list():
    keys = {check.key for check in SAFETY_CHECKS}
    assert {"broken_skin", "inflamed", "pregnant", "clotting", "skin_condition", "recent_surgery",
            "serious_condition", "doctor_advised_against"} == keys
    assert all(check.question.endswith("?") and check.if_yes for check in SAFETY_CHECKS)


def test_no_to_everything_proceeds():
    decision = decide_safety({check.key: False for check in SAFETY_CHECKS})
    assert decision.proceed and not decision.pregnant and not decision.reasons


@pytest.mark.parametrize("key", ["broken_skin", "inflamed", "doctor_advised_against"])
def test_broken_skin_or_inflammation_stops_even_with_a_doctors_agreement(key):
    decision = decide_safety({key: True}, doctor_agreed=True)
    assert not decision.proceed and len(decision.reasons) == 1


@pytest.mark.parametrize("key", ["clotting", "skin_condition", "recent_surgery", "serious_condition"])
def test_conditions_need_a_doctors_agreement(key):
    without = decide_safety({key: True})
    assert not without.proceed and without.needs_doctor_confirmation and "doctor" in without.reasons[0]
    assert decide_safety({key: True}, doctor_agreed=True).proceed


def test_pregnancy_proceeds_without_hegu():
    decision = decide_safety({"pregnant": True})
    assert decision.proceed and decision.pregnant and decision.reasons == (PREGNANCY_NOTE,)


def test_a_misspelt_answer_is_an_error_not_a_silent_no():
    with pytest.raises(ValueError):
        decide_safety({"broken skin": True})


# --- Prompts --------------------------------------------------------------------------------------

def test_no_hands_asks_for_the_target_hand():
    view = new_routine().update([], 0.1)
    assert view.prompt == "Bring your left hand into view" and not view.on_target
    assert view.target == "PC8" and view.step_index == 0


def test_only_the_other_hand_in_view_still_asks_for_the_target_hand():
    view = new_routine().update([hand("right", "palm")], 0.1)
    assert view.prompt == "That is your right hand: this step is for your left hand"


def test_wrong_face_asks_to_turn_the_hand_over():
    assert new_routine().update([hand("left", "back")], 0.1).prompt == "Turn your hand over"


def test_side_on_asks_for_the_face_by_name():
    assert new_routine().update([hand("left", "side")], 0.1).prompt == "Show your left palm"
    hegu = new_routine()
    hegu.skip(0.0)
    hegu.skip(0.0)
    view = hegu.update([hand("left", "side")], 0.1)
    assert view.target == "LI4" and view.prompt == "Show the back of your left hand"


def test_webs_can_be_pressed_from_either_face():
    routine = new_routine()
    for _ in range(4):
        routine.skip(0.0)
    assert routine.update([], 0.0).target == "EX-UE9-1"
    for facing in ("back", "palm", "side"):
        target = hand("left", facing)
        view = routine.update(pressing(target, "EX-UE9-1"), 0.1)
        assert view.prompt is None and view.on_target, facing


def test_a_big_jump_asks_to_hold_still_and_does_not_count():
    routine = new_routine()
    target = hand("left", "palm")
    run(routine, pressing(target, "PC8"), 0.0, 1.0)
    held = routine.update(pressing(target, "PC8"), 1.1).seconds_held
    jumped = hand("left", "palm", shift=(0.2 * target.size, 0))
    view = routine.update(pressing(jumped, "PC8"), 1.2)
    assert view.prompt == "Hold still" and view.seconds_held == pytest.approx(held)
    view = routine.update(pressing(jumped, "PC8"), 1.3)
    assert view.prompt is None and view.seconds_held == pytest.approx(held + FRAME)


def test_a_small_tremor_is_not_a_jump():
    routine = new_routine()
    target = hand("left", "palm")
    routine.update(pressing(target, "PC8"), 0.1)
    nudged = hand("left", "palm", shift=(0.5 * HOLD_STILL * target.size, 0))
    assert routine.update(pressing(nudged, "PC8"), 0.2).prompt is None


# --- Pressing and timers --------------------------------------------------------------------------

def test_a_fingertip_of_the_other_hand_on_the_point_is_on_target():
    target = hand("left", "palm")
    inside = 0.9 * PRESS_RADIUS * target.size
    view = new_routine().update(pressing(target, "PC8", offset=(inside, 0)), 0.1)
    assert view.on_target and view.prompt is None


def test_a_fingertip_outside_the_radius_is_off_target():
    target = hand("left", "palm")
    outside = 1.2 * PRESS_RADIUS * target.size
    assert not new_routine().update(pressing(target, "PC8", offset=(0, outside)), 0.1).on_target


def test_the_target_hand_alone_is_not_pressing_itself():
    """Its own fingertips are near its own palm in a fist; only the other hand presses."""
    target = hand("left", "palm")
    assert not new_routine().update([target], 0.1).on_target


def test_pressing_with_the_wrong_face_shown_does_not_count():
    target = hand("left", "back")
    view = new_routine().update(pressing(target, "PC8"), 0.1)
    assert not view.on_target and view.prompt == "Turn your hand over"


def test_hold_time_counts_only_on_target_and_pauses_off_target():
    routine = new_routine()
    target = hand("left", "palm")
    view, now = run(routine, pressing(target, "PC8"), 0.0, 2.0)
    assert view.seconds_held == pytest.approx(2.0 - FRAME)  # the first update only starts the clock
    view, now = run(routine, pressing(target, "PC8", offset=(0, 200)), now, 3.0)
    assert not view.on_target
    off_target_held = view.seconds_held
    assert off_target_held == pytest.approx(2.0 - FRAME + GRACE_SECONDS)
    view, now = run(routine, pressing(target, "PC8"), now, 1.0)
    assert view.seconds_held == pytest.approx(off_target_held + 1.0)  # paused, never reset


def test_one_flickering_frame_does_not_stop_the_timer():
    routine = new_routine()
    target = hand("left", "palm")
    view, now = run(routine, pressing(target, "PC8"), 0.0, 1.0)
    flicker = routine.update([target], now + FRAME)
    assert flicker.on_target and flicker.seconds_held == pytest.approx(view.seconds_held + FRAME)


def test_a_long_gap_between_frames_is_not_credited():
    routine = new_routine()
    target = hand("left", "palm")
    routine.update(pressing(target, "PC8"), 0.0)
    assert routine.update(pressing(target, "PC8"), 5.0).seconds_held == MAX_SECONDS_PER_UPDATE


def test_held_long_enough_completes_the_step_and_starts_the_next():
    routine = new_routine("30-second rescue")
    target = hand("left", "palm")
    view, now = run(routine, pressing(target, "PC8"), 0.0, 14.0)
    assert view.step_index == 0 and view.seconds_left == pytest.approx(1.0 + FRAME)
    assert view.step_progress == pytest.approx((14.0 - FRAME) / 15)
    view, now = run(routine, pressing(target, "PC8"), now, 1.1)
    assert view.step_index == 1 and view.step.hand == "right" and view.seconds_held == 0
    assert view.prompt is None and view.routine_progress == pytest.approx(1 / 6)
    assert routine.update([target], now + FRAME).prompt == "That is your left hand: this step is for your right hand"


def stretching(target: LocatedHand, step: int) -> list[LocatedHand]:
    """The other hand's index tip on the target's index finger, sliding knuckle -> tip and back."""
    path = [Landmark.INDEX_MCP, Landmark.INDEX_PIP, Landmark.INDEX_DIP, Landmark.INDEX_TIP,
            Landmark.INDEX_DIP, Landmark.INDEX_PIP]
    other = "right" if target.handedness == "left" else "left"
    return [target, presser(target.landmarks[path[step % len(path)]], other)]


def at_stretch(walker: Routine) -> Routine:
    for _ in range(4):
        walker.skip(0.0)
    assert walker.steps[walker.index].action == "stretch"
    return walker


def test_whole_hand_steps_count_while_the_other_hand_works_the_fingers():
    walker = at_stretch(new_routine("30-second rescue"))
    target = hand("left", "back")
    now, view = 0.0, None
    for k in range(30):
        now = round(now + FRAME, 6)
        view = walker.update(stretching(target, k), now)
    assert view.target is None and view.on_target and view.prompt is None
    assert view.seconds_held == pytest.approx(3.0, abs=2 * FRAME)
    view, now = run(walker, [], now, 1.0)
    assert view.prompt == "Bring your left hand into view"


@pytest.mark.parametrize("hands", ["alone", "still touch", "far"])
def test_whole_hand_steps_do_not_count_themselves(hands):
    """A still picture (the hand alone, or the other hand resting on its fingers) never completes one."""
    walker = at_stretch(new_routine("30-second rescue"))
    target = hand("left", "back")
    shown = {"alone": [target],
             "still touch": stretching(target, 1),
             "far": [target, presser(target.landmarks[Landmark.WRIST] + (0, 300), "right")]}[hands]
    view, _ = run(walker, shown, 0.0, 20.0)
    assert view.seconds_held == 0 and view.step_index == 4 and not view.on_target
    assert view.prompt == "Work the fingers of your left hand with your other hand"


def test_a_still_picture_with_no_pressing_completes_no_step():
    walker = new_routine("30-second rescue")
    for step in walker.steps:
        view, _ = run(walker, [hand(step.hand, step.face or "palm")], 0.0, 10.0)
        assert view.seconds_held == 0 and not view.finished
        walker.skip(10.0)
    assert walker.update([], 10.1).summary.steps_done == 0


def test_pause_stops_the_clock_and_resume_does_not_credit_the_pause():
    routine = new_routine()
    target = hand("left", "palm")
    view, now = run(routine, pressing(target, "PC8"), 0.0, 1.0)
    routine.pause(now)
    paused, now = run(routine, pressing(target, "PC8"), now, 5.0)
    assert paused.paused and paused.seconds_held == pytest.approx(view.seconds_held)
    routine.resume(now + 60)
    resumed = routine.update(pressing(target, "PC8"), now + 60 + FRAME)
    assert not resumed.paused and resumed.seconds_held == pytest.approx(view.seconds_held + FRAME)


# --- Navigation and the end -----------------------------------------------------------------------

def test_skip_back_and_restart():
    routine = new_routine()
    target = hand("left", "palm")
    run(routine, pressing(target, "PC8"), 0.0, 2.0)
    routine.skip(2.0)
    assert routine.update([], 2.1).step_index == 1
    routine.back(2.1)
    view = routine.update([], 2.2)
    assert view.step_index == 0 and view.seconds_held == 0  # back redoes the step from zero
    routine.back(2.2)
    assert routine.update([], 2.3).step_index == 0  # nothing before the first step
    routine.skip(2.3)
    routine.skip(2.3)
    routine.restart(2.4)
    view = routine.update([], 2.5)
    assert (view.step_index, view.seconds_held, view.paused) == (0, 0, False)


def test_finishing_gives_a_summary():
    routine = new_routine("30-second rescue", pregnant=True)
    assert [s.target for s in routine.steps] == ["PC8", "PC8", None, None]
    now = 0.0
    for step in routine.steps[:3]:
        target = hand(step.hand, "palm")
        if step.target:
            view, now = run(routine, pressing(target, step.target), now, step.hold_seconds + 2 * FRAME)
            continue
        for k in range(round(step.hold_seconds / FRAME) + 20):
            now = round(now + FRAME, 6)
            view = routine.update(stretching(target, k), now)
    routine.skip(now)
    view = routine.update([], now + FRAME)
    assert view.finished and view.step is None and view.routine_progress == 1.0
    assert view.summary.steps_done == 3 and view.summary.steps_skipped == 1
    assert view.summary.seconds_pressed == pytest.approx(15 + 15 + 7)
    assert view.summary.sentence() == ("You finished 3 of 4 steps, skipped 1, and massaged for 37 seconds "
                                       "in all.")
    routine.skip(now)  # skipping past the end changes nothing
    assert routine.update([], now + 2 * FRAME).summary == view.summary


def test_presets_are_plain_data_a_routine_file_can_hold():
    for preset, entries in PRESETS.items():
        assert expand(json.loads(json.dumps(entries))) == expand(entries), preset


def test_the_summary_reads_as_plain_english_when_nothing_was_done():
    from locator.routine import Summary
    assert Summary(0, 6, 6, 0.0).sentence() == "You finished 0 of 6 steps, skipped 6, with no massage seen."
    assert Summary(1, 0, 1, 1.2).sentence() == "You finished 1 of 1 steps, and massaged for 1 second in all."


def test_a_point_the_locator_cannot_place_asks_for_a_flat_open_hand():
    curled = hand("left", "palm")
    landmarks = curled.landmarks.copy()
    landmarks[Landmark.MIDDLE_MCP] = landmarks[Landmark.WRIST] + 0.3 * (landmarks[Landmark.MIDDLE_MCP]
                                                                        - landmarks[Landmark.WRIST])
    squashed = LocatedHand("left", 0.9, "palm", 0.9, landmarks, locate_points(landmarks, "palm"))
    assert not squashed.point("PC8").placeable
    assert new_routine().update([squashed], 0.1).prompt == "Hold your left hand open and flat toward the camera"


def test_an_unsure_hand_is_asked_to_show_itself_flat_and_whole():
    from locator.hands import UNSURE_PROMPT

    assert new_routine().update([hand("left", "unsure")], 0.1).prompt == UNSURE_PROMPT


def test_a_point_outside_the_picture_asks_for_more_of_the_forearm():
    from dataclasses import replace as swap

    from locator.hands import OUTSIDE_PICTURE
    from locator.steps import expand as steps_of

    routine = Routine(steps_of([{"point": "PC6", "hands": "left", "seconds": 10}]))
    left = hand("left", "palm")
    cut = swap(left, points=tuple(swap(p, unplaceable=OUTSIDE_PICTURE) if p.code == "PC6" else p
                                  for p in left.points))
    assert "forearm" in routine.update([cut], 0.1).prompt


def test_the_overview_before_the_start_lists_every_step_with_its_seconds_and_the_time_per_hand():
    steps = expand(PRESETS["30-second rescue"])
    headline, lines = overview(steps)
    assert headline == "6 steps, 30 s on each hand, 1 min of massage in all"  # 15 + 8 + 7 s per hand
    assert lines[0] == "Laogong (PC8), left palm: 15 s" and len(lines) == len(steps)
    assert overview(steps[:1])[0] == "1 step, 15 s of massage in all"  # one hand only: no "each hand"
    assert overview(expand(PRESETS["full routine"]))[0].endswith(", 1 min 42 s on each hand, 3 min 24 s of massage in all")
