"""Where things are, as a person first sees the page: a phone, a small laptop, another machine."""

import numpy as np
import pytest

from locator.safety import DOCTOR_CONFIRMATION

from .harness import (APP, WEBRTC_IFRAME, chromium_browser, chromium_context, in_view, loopback_network_namespace,
                      press_continue, press_start, streamlit_server, write_y4m)

DISCLAIMER_START = "For education and self-care only"
FRESH_LOADS = 4

# Where the safety screen's Continue button is, at every frame the browser draws from the moment the button
# is in the page: [milliseconds since the page opened, x, y].
_WATCH_CONTINUE_JS = """
window.continueSeen = [];
const watch = () => {
  const button = [...document.querySelectorAll("[data-testid='stFormSubmitButton'] button")]
    .find((b) => b.innerText.trim() === "Continue");
  if (button) {
    const box = button.getBoundingClientRect();
    window.continueSeen.push([Math.round(performance.now()), box.x, box.y]);
  }
  requestAnimationFrame(watch);
};
requestAnimationFrame(watch);
"""


@pytest.mark.parametrize("viewport", [(390, 844), (1366, 768)])
def test_the_step_card_and_the_disclaimer_are_in_view_without_scrolling(tmp_path, viewport):
    y4m = write_y4m(tmp_path / "still.y4m", [np.zeros((480, 640, 3), np.uint8)], seconds=0.2)
    with loopback_network_namespace(), streamlit_server(APP, log_dir=tmp_path) as server, \
            chromium_context(y4m, viewport=viewport) as context:
        page = context.new_page()
        page.goto(server.url)
        press_continue(page)
        card = page.locator(".st-key-step_card")
        card.wait_for(timeout=30_000)
        page.get_by_role("button", name="Pause", exact=True).wait_for(timeout=30_000)
        disclaimer = page.get_by_text(DISCLAIMER_START)
        assert page.evaluate("window.scrollY") == 0
        assert in_view(page, disclaimer), disclaimer.bounding_box()
        assert in_view(page, card), card.bounding_box()
        assert page.get_by_role("combobox").first.is_visible()  # the routine picker
        # The components that only talk to the browser take no room (they left a 16 px gap each).
        hidden = page.locator(".st-key-camera_permission, [class*='st-key-camera_rate_']")
        assert hidden.count() == 2
        assert [box.bounding_box() for box in hidden.all()] == [None, None]
    y4m.unlink()


def places_taken(seen: list) -> list[tuple[int, int, int]]:
    """Each place the button took in turn (to the pixel), with when it got there: [(ms, x, y)]."""
    places = []
    for ms, x, y in seen:
        if not places or places[-1][1:] != (round(x), round(y)):
            places.append((ms, round(x), round(y)))
    return places


@pytest.mark.parametrize("viewport", [(390, 844), (1366, 768)])
def test_the_safety_screen_stays_put_while_the_page_is_drawn(tmp_path, viewport):
    """A person reaching for Continue (or a checkbox) as soon as it shows must hit it: from the frame the
    button first appears until the last checkbox is drawn and a second after, it must not move. Each load
    is a new visitor (nothing of the page in the browser's cache). Before the screen waited for the page
    above it (`app.page_drawn`), the button moved up by 164 px (phone) or 200 px (laptop) in 3 of 4 loads:
    Streamlit drew each checkbox, and the hidden components above, as a 40 px placeholder until the
    browser had the code for them."""
    y4m = write_y4m(tmp_path / "still.y4m", [np.zeros((480, 640, 3), np.uint8)], seconds=0.2)
    moves = []
    with loopback_network_namespace(), streamlit_server(APP, log_dir=tmp_path) as server, \
            chromium_browser(y4m) as browser:
        for load in range(FRESH_LOADS):
            context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
            try:
                context.add_init_script(_WATCH_CONTINUE_JS)
                page = context.new_page()
                page.goto(server.url)
                page.get_by_text(DOCTOR_CONFIRMATION).wait_for(timeout=60_000)  # the last checkbox
                page.wait_for_timeout(1000)
                seen = page.evaluate("window.continueSeen")
            finally:
                context.close()
            places = places_taken(seen)
            assert places, "no Continue button"
            if any(abs(x - places[0][1]) > 3 or abs(y - places[0][2]) > 3 for _, x, y in places):
                moves.append((load, places))
    assert not moves, f"loads where Continue moved (load, [(ms since the page opened, x, y) in turn]): {moves}"
    y4m.unlink()


def test_plain_http_from_another_machine_and_a_blocked_camera_get_plain_messages(tmp_path):
    """The page opened as http://hands.example (another machine's name, pointed at this one inside the
    test's network namespace): the browser gives no camera, and the page says why and what to do instead
    of showing the video component's raw error. Then a person who says no to the camera prompt
    (Chromium's --deny-permission-prompts), and sees a plain message instead of "NotAllowedError"."""
    y4m = write_y4m(tmp_path / "still.y4m", [np.zeros((480, 640, 3), np.uint8)], seconds=0.2)
    with loopback_network_namespace(), streamlit_server(APP, log_dir=tmp_path) as server:
        with chromium_context(y4m, extra_args=["--host-resolver-rules=MAP hands.example 127.0.0.1"]) as context:
            page = context.new_page()
            page.goto(f"http://hands.example:{server.port}")
            page.get_by_text("opened over plain http from another machine").wait_for(timeout=60_000)
            assert page.evaluate("navigator.mediaDevices === undefined")
            assert page.locator(WEBRTC_IFRAME).count() == 0  # no raw error
            page.get_by_text("Photo mode works without a camera").wait_for()
        with chromium_context(y4m, camera_allowed=False) as context:
            page = context.new_page()
            page.goto(server.url)
            press_start(page)
            # The browser's answer reaches the page, which puts a plain message where the video was (and
            # with it streamlit-webrtc's raw "NotAllowedError: Permission denied").
            page.get_by_text("The camera is blocked for this page").wait_for(timeout=30_000)
            page.get_by_text("Without a camera, use Photo mode").wait_for()
            assert page.locator(WEBRTC_IFRAME).count() == 0
            assert page.get_by_text("NotAllowedError").count() == 0
        assert "Traceback" not in server.log()
    y4m.unlink()
