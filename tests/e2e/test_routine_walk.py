"""A person walks the whole 30-second rescue on the real page: real Chromium, a camera the test drives
with pictures composed from the shared photos (a second hand pressing each target in turn), the real
model on the server."""

import os
import re
import time
from pathlib import Path

import numpy as np
import pytest

from locator.overlay import TARGET_COLOUR
from locator.routine_files import PRESETS
from locator.steps import expand, overview

from .harness import (APP, chromium_context, loopback_network_namespace, page_text_on_failure, press_continue,
                      press_start, press_stop, read_video_frame, show_on_camera, start_stream, streamlit_server,
                      use_test_camera, write_y4m)
from .press_frames import Pictures, as_camera

# Where to keep the README's screenshots (e.g. docs/); by default they stay in the test's folder.
SCREENSHOTS = os.environ.get("LOCATOR_E2E_SCREENSHOTS")


@pytest.fixture(scope="module")
def pictures(shared_hands):
    """Every picture the walk shows, as the camera sends them (each press checked with the pipeline)."""
    made = Pictures(shared_hands / "images")
    try:
        shown = {}
        for hand in ("left", "right"):
            shown[f"PC8 {hand}"] = [made.pressing("PC8", hand)]
            shown[f"LI4 {hand}"] = [made.pressing("LI4", hand)]
            shown[f"stretch {hand}"] = made.stroking(hand)
            shown[f"still {hand}"] = made.stroking(hand)[1:2]  # a fingertip resting on the fingers
            shown[f"palm {hand}"] = [made.alone(hand, "palm")]
            shown[f"back {hand}"] = [made.alone(hand, "back")]
    finally:
        made.close()
    return {name: [as_camera(p) for p in pics] for name, pics in shown.items()}


def target_ring_pixels(frame: np.ndarray) -> int:
    """How many pixels of the video frame have the colour of the routine's target ring (not pressed)."""
    return int((np.abs(frame.astype(int) - TARGET_COLOUR).max(axis=2) < 50).sum())


def seconds_left(page) -> int:
    text = page.get_by_text(re.compile(r"\d+ s left on this step")).first.inner_text()
    return int(re.match(r"(\d+) s left", text).group(1))


def wait_for_step(page, number: int, timeout_s: float = 40) -> None:
    page.get_by_text(re.compile(rf"^Step {number} of 6:")).wait_for(timeout=timeout_s * 1000)


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def assert_no_progress(page, seconds: float) -> None:
    """Once the picture has settled (the change itself is movement), nothing counts for `seconds`."""
    page.wait_for_timeout(2000)
    settled = seconds_left(page)
    page.wait_for_timeout(seconds * 1000)
    assert seconds_left(page) == settled > 0


def test_the_whole_rescue_with_a_second_hand_pressing_each_point(tmp_path, pictures):
    y4m = write_y4m(tmp_path / "unused.y4m", [np.zeros((480, 640, 3), np.uint8)], seconds=0.2)
    with loopback_network_namespace(), streamlit_server(APP, log_dir=tmp_path) as server, \
            chromium_context(y4m) as context:
        use_test_camera(context)
        page = context.new_page()
        page.goto(server.url)
        walk_the_rescue(page, server, pictures, shots=Path(SCREENSHOTS or tmp_path))
    y4m.unlink()


def walk_the_rescue(page, server, pictures, shots: Path) -> None:
    with page_text_on_failure(page):
        # The safety screen goes at once, and the step card is in view.
        press_continue(page)
        page.get_by_text("Press START under the video to begin.").wait_for(timeout=30_000)
        headline, lines = overview(expand(PRESETS["30-second rescue"]))  # what is coming, before the start
        assert page.get_by_text(headline).is_visible() and page.get_by_text(lines[-1]).is_visible()
        assert page.get_by_text("Before you start").count() == 0
        page.get_by_role("combobox").first.wait_for()
        show_on_camera(page, pictures["palm left"])
        try:
            start_stream(page, frames_processed=lambda: server.count("frames"), timeout_s=30)
        except AssertionError as error:
            raise AssertionError(f"{error}\n--- server log ---\n{server.log()}") from None

        # Step 1, Laogong on the left palm: the palm alone counts nothing; a fingertip on it does.
        wait_for_step(page, 1)
        assert_no_progress(page, 3)
        show_on_camera(page, pictures["PC8 left"])
        page.get_by_text("On the point: keep pressing").wait_for(timeout=15_000)

        # The frame rate shown is what arrives: each second for 8 s, the figure on the page against the
        # frames the server delivered over the 3 s before (the page's window); compared over the last 5.
        samples = []
        for _ in range(9):
            caption = page.get_by_text(re.compile(r"Camera on, [\d.]+ frames per second")).first.inner_text()
            samples.append((time.monotonic(), server.count("frames"), float(caption.split()[2])))
            page.wait_for_timeout(1000)
        shown = [rate for _, _, rate in samples[3:]]
        delivered = [(n - samples[i][1]) / (t - samples[i][0]) for i, (t, n, _) in enumerate(samples[3:])]
        page.screenshot(path=str(shots / "live-page.png"))
        assert abs(np.mean(shown) - np.mean(delivered)) <= 0.1 * np.mean(delivered), (shown, delivered)

        # Step 2, the right palm. Only the left palm in view: the page says which hand to show, and the
        # video has no target ring on the wrong hand; with the right palm, the ring is there.
        wait_for_step(page, 2)
        show_on_camera(page, pictures["palm left"])
        page.get_by_text("That is your left hand: this step is for your right hand").wait_for(timeout=15_000)
        assert target_ring_pixels(read_video_frame(page)) < 20
        show_on_camera(page, pictures["palm right"])
        assert_no_progress(page, 2)
        assert target_ring_pixels(read_video_frame(page)) > 200
        # Pause and resume: the button says what it will do now.
        show_on_camera(page, pictures["PC8 right"])
        page.get_by_text("On the point: keep pressing").wait_for(timeout=15_000)
        button(page, "Pause").click()
        button(page, "Resume").wait_for(timeout=3_000)
        page.get_by_text("Paused: press Resume to go on").wait_for(timeout=3_000)
        # The card's parts arrive one after another: when "Paused" shows, its "s left" line can still be
        # the one from before the click (a flake: 7 s, then 6). Two refreshes later the card is whole.
        page.wait_for_timeout(1000)
        held = seconds_left(page)
        page.wait_for_timeout(3000)
        assert seconds_left(page) == held
        button(page, "Resume").click()
        button(page, "Pause").wait_for(timeout=3_000)

        # Step 3, Hegu on the left: skip it, come back, do it.
        wait_for_step(page, 3, timeout_s=30)
        button(page, "Skip").click()
        wait_for_step(page, 4, timeout_s=5)
        button(page, "Back").click()
        wait_for_step(page, 3, timeout_s=5)
        show_on_camera(page, pictures["back left"])
        assert_no_progress(page, 2)
        show_on_camera(page, pictures["LI4 left"])
        wait_for_step(page, 4, timeout_s=30)
        show_on_camera(page, pictures["LI4 right"])
        wait_for_step(page, 5, timeout_s=30)

        # The camera stops: the card says so; START again and the routine goes on.
        show_on_camera(page, pictures["still left"])
        press_stop(page)
        page.get_by_text("Camera off: press START under the video.").wait_for(timeout=10_000)
        press_start(page)
        page.get_by_text(re.compile(r"Camera on")).first.wait_for(timeout=30_000)

        # Step 5, stretch the left fingers: a fingertip resting still on them counts nothing.
        assert_no_progress(page, 3)
        show_on_camera(page, pictures["stretch left"])
        wait_for_step(page, 6, timeout_s=30)
        # Step 6: skipped, so the summary says 5 of 6.
        # Pressed time counts in frames, so a step can end a frame past its whole second: 53 or 54 s.
        button(page, "Skip").click()
        page.get_by_text(re.compile(r"Done\. You finished 5 of 6 steps, skipped 1, and massaged for 5[34] "
                                    r"seconds in all\.")).wait_for(timeout=10_000)

        # Restart with the camera off: back to step 1 at once.
        press_stop(page)
        button(page, "Restart").click()
        wait_for_step(page, 1, timeout_s=5)
        page.get_by_text("Camera off: press START under the video.").wait_for(timeout=10_000)
        assert "Traceback" not in server.log(10**7)  # (and no deprecation warning: the harness checks it)
