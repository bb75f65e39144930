"""A busy server sends the browser its messages late. The page must still come out whole after each run:
with late messages, a fragment's own run (the camera line, every half second) often starts before the
last page run's messages have left, and Streamlit then drops the fragment's part of them. Before each
fragment had a container of its own (`app.live_fragment`), the elements after it moved up a place in the
browser: the routine picker vanished after Continue, or the page went blank ("Cannot set a node at a
delta path"), about once in 12 page loads under load and in CI. A busy server also handles late what its
runs report (`E2E_EVENT_LAG_SECONDS`): then a click's own result must still reach the card."""

import time

import numpy as np

from locator.routine_files import PRESETS

from .harness import (APP, card_state, chromium_context, loopback_network_namespace, press_continue,
                      start_stream, step_card_button, streamlit_server, wait_for, write_y4m)


def test_the_page_stays_whole_when_the_server_sends_its_messages_late(tmp_path):
    y4m = write_y4m(tmp_path / "still.y4m", [np.zeros((480, 640, 3), np.uint8)], seconds=0.2)
    with loopback_network_namespace(), \
            streamlit_server(APP, env={"E2E_FLUSH_SECONDS": "0.3"}, log_dir=tmp_path) as server, \
            chromium_context(y4m) as context:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.goto(server.url)
        press_continue(page)
        picker = page.get_by_role("combobox", name="Routine")
        parts = [picker, page.locator(".st-key-step_card"), page.get_by_role("button", name="Restart"),
                 page.get_by_text("Hand map: the points in view"), page.get_by_text("Camera off")]

        def whole() -> bool:
            return all(part.count() == 1 and part.is_visible() for part in parts)

        for title in [*PRESETS, *PRESETS]:  # each choice is a run of the whole page
            assert wait_for(page, whole, 30), (errors, page.inner_text("body")[:2000])
            picker.click()
            page.get_by_role("option", name=title, exact=True).click()
            assert wait_for(page, lambda: picker.count() == 1 and picker.input_value() == title, 30), errors
            page.wait_for_timeout(1200)  # the fragments run again, two and three times
            assert whole() and not errors, (errors, page.inner_text("body")[:2000])
        assert "Traceback" not in server.log()


def test_every_click_on_the_step_card_shows_its_result_when_the_server_handles_its_runs_late(tmp_path):
    """A busy server also handles late what its script runs report. A timed fragment's rerun asked for
    between the end of a click's run and the handling of that run's events got a new runner, and Streamlit
    dropped the finished run's messages as stale: the step card said "Paused" while its button went on
    saying Pause (once in 40 clicks of test_step_buttons with late messages, under load). Here every click
    lands just before the card's timed reruns leave the browser."""
    y4m = write_y4m(tmp_path / "still.y4m", [np.zeros((480, 640, 3), np.uint8)], seconds=0.2)
    env = {"E2E_FLUSH_SECONDS": "0.3", "E2E_EVENT_LAG_SECONDS": "0.1"}
    with loopback_network_namespace(), streamlit_server(APP, env=env, log_dir=tmp_path) as server, \
            chromium_context(y4m) as context:
        page = context.new_page()
        sent = []  # when the browser sent each request (the timed reruns leave every half second)
        page.on("websocket", lambda socket: socket.on("framesent", lambda _: sent.append(time.monotonic())))
        page.goto(server.url)
        press_continue(page)
        start_stream(page, frames_processed=lambda: server.count("frames"), timeout_s=30)
        assert wait_for(page, lambda: card_state(page) == (1, False, False), 30), page.inner_text("body")[:2000]
        paused, wrong = False, []
        for number in range(16):
            next_timed = sent[-1] + 0.5
            while next_timed < time.monotonic() + 0.1:
                next_timed += 0.5
            ahead = (0.06, 0.1, 0.14)[number % 3]  # a click takes Playwright about 0.06 s to send
            page.wait_for_timeout(max(0.0, next_timed - ahead - time.monotonic()) * 1000)
            step_card_button(page, "Resume" if paused else "Pause").click()
            paused = not paused
            if not wait_for(page, lambda: card_state(page) == (1, paused, paused), 5, interval_ms=50):
                wrong.append((number, card_state(page)))
                paused = card_state(page)[1]  # go on from what the button offers
        assert not wrong, f"clicks whose result the card did not show (click, (step, Resume, Paused)): {wrong}"
