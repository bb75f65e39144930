"""The safety screen's answers, as a visitor gives them on the page: a "stop" answer keeps the routine shut, a
condition needs the doctor's agreement ticked, and a pregnancy starts the routine without Hegu and says so.
(The policy itself is tested in `tests/test_routine.py`; this is the page's wiring of it.)"""

import numpy as np

from locator.routine_files import builtin_routines
from locator.safety import AVOIDED_IN_PREGNANCY, DOCTOR_CONFIRMATION, PREGNANCY_NOTE, SAFETY_CHECKS
from locator.steps import expand

from .harness import (APP, chromium_context, in_view, loopback_network_namespace, page_text_on_failure,
                      press_continue, start_stream, streamlit_server, write_y4m)

QUESTION = {check.key: check.question for check in SAFETY_CHECKS}
IF_YES = {check.key: check.if_yes for check in SAFETY_CHECKS}
# The page's first routine, the 30-second rescue, and how many of its steps press Hegu.
RESCUE = expand(next(iter(builtin_routines().values())).entries)
HEGU_STEPS = sum(step.target in AVOIDED_IN_PREGNANCY for step in RESCUE)
PHONE = (390, 844)


def tick(page, label: str) -> None:
    page.get_by_text(label, exact=True).click(timeout=60_000)


def test_the_answers_decide_whether_and_how_the_routine_starts(tmp_path):
    assert HEGU_STEPS, "the pregnancy check needs a routine with a Hegu step"
    y4m = write_y4m(tmp_path / "still.y4m", [np.zeros((480, 640, 3), np.uint8)], seconds=0.2)
    with loopback_network_namespace(), streamlit_server(APP, log_dir=tmp_path) as server, \
            chromium_context(y4m, viewport=PHONE) as context:
        page = context.new_page()
        page.goto(server.url)
        with page_text_on_failure(page):
            picker = page.get_by_role("combobox", name="Routine")

            # The camera line says the questions come first (START works before them, but the routine does not).
            page.get_by_text("Camera off: answer the questions below and press Continue").wait_for(timeout=60_000)
            tick(page, QUESTION["broken_skin"])
            press_continue(page)
            page.get_by_text(IF_YES["broken_skin"]).wait_for(timeout=30_000)
            # On the screen where Continue was pressed, not below it: else Continue seems to do nothing.
            assert in_view(page, page.get_by_text(IF_YES["broken_skin"]), part=None)
            page.wait_for_timeout(1500)  # a routine that wrongly started would be drawn by now
            assert picker.count() == 0 and page.get_by_role("button", name="Continue").is_visible()

            tick(page, QUESTION["broken_skin"])  # untick: healed
            tick(page, QUESTION["serious_condition"])
            press_continue(page)
            page.get_by_text("Please ask your doctor first").wait_for(timeout=30_000)
            assert in_view(page, page.get_by_text("Please ask your doctor first"), part=None)
            assert page.get_by_text(IF_YES["serious_condition"]).is_visible()
            assert page.get_by_text(IF_YES["broken_skin"]).count() == 0  # the new answers replaced the old
            assert picker.count() == 0

            tick(page, DOCTOR_CONFIRMATION)
            press_continue(page)
            picker.wait_for(timeout=30_000)
            start_stream(page, frames_processed=lambda: server.count("frames"), timeout_s=30)
            page.get_by_text(f"Step 1 of {len(RESCUE)}:").wait_for(timeout=30_000)  # Hegu included
        page.close()

        pregnant = context.new_page()  # another visitor: a session of its own
        pregnant.goto(server.url)
        with page_text_on_failure(pregnant):
            tick(pregnant, QUESTION["pregnant"])
            press_continue(pregnant)
            pregnant.get_by_role("combobox", name="Routine").wait_for(timeout=30_000)
            pregnant.get_by_text(f"{len(RESCUE) - HEGU_STEPS} steps, ").wait_for(timeout=30_000)  # the overview
            start_stream(pregnant, frames_processed=lambda: server.count("frames"), timeout_s=30)
            pregnant.get_by_text(f"Step 1 of {len(RESCUE) - HEGU_STEPS}:").wait_for(timeout=30_000)
            assert pregnant.get_by_text(PREGNANCY_NOTE).is_visible()
