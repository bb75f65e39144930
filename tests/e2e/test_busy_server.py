"""A busy server sends the browser its messages late. The page must still come out whole after each run:
with late messages, a fragment's own run (the camera line, every half second) often starts before the
last page run's messages have left, and Streamlit then drops the fragment's part of them. Before each
fragment had a container of its own (`app.live_fragment`), the elements after it moved up a place in the
browser: the routine picker vanished after Continue, or the page went blank ("Cannot set a node at a
delta path"), about once in 12 page loads under load and in CI."""

import numpy as np

from locator.routine_files import PRESETS

from .harness import APP, chromium_context, loopback_network_namespace, press_continue, streamlit_server, wait_for, write_y4m


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
