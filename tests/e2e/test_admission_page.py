"""Admission in a real browser: with room for one viewer, the second visitor reads a plain message instead
of getting a video, and gets the video once the first viewer has left the live view."""

import re

import numpy as np
from PIL import Image

from locator.admission import LiveSettings

from .harness import (APP, choose_mode, chromium_page, loopback_network_namespace, press_start, read_video_pixels,
                      streamlit_server, wait_for, webrtc_button, write_y4m)

BUSY = re.compile(r"The live view is busy")


def test_the_viewer_past_the_limit_is_told_the_live_view_is_busy(tmp_path, shared_hands):
    camera = np.asarray(Image.open(shared_hands / "images" / "palm_left_07.jpg").convert("RGB"))
    y4m = write_y4m(tmp_path / "palm.y4m", [camera], seconds=1)
    env = {"LOCATOR_MAX_VIEWERS": "1", "LOCATOR_DETECT_WORKERS": "1"}
    with loopback_network_namespace(), streamlit_server(APP, env=env, log_dir=tmp_path) as server, \
            chromium_page(y4m) as first:
        first.goto(server.url)
        press_start(first)
        assert wait_for(first, lambda: server.count("frames") >= 10, 30), server.log()

        second = first.context.new_page()   # another tab: another session of the page
        second.goto(server.url)
        second.get_by_text(BUSY).wait_for(timeout=60_000)
        assert LiveSettings(1).busy_message().replace("**", "") in second.get_by_text(BUSY).inner_text()
        assert not second.locator("iframe[title*='streamlit_webrtc']").count()
        assert read_video_pixels(first, [(10, 10)]).width == 640   # the first viewer's video goes on

        # The first viewer leaves the live view; then the second gets in.
        choose_mode(first, "Photo")
        first.get_by_role("tab", name="Upload a photo").wait_for(timeout=30_000)
        second.get_by_role("button", name="Try again").click()
        webrtc_button(second, "START").wait_for(timeout=60_000)
        assert not second.get_by_text(BUSY).count()
        assert "Traceback" not in server.log()
