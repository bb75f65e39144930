"""The live page in a real browser: fake camera -> Python callback -> markers in the returned video."""

import re

import numpy as np
from PIL import Image

from locator.detector import HandDetector
from locator.hands import locate_hand
from locator.catalogue import BY_CODE

from .harness import (APP, chromium_page, close_to, loopback_network_namespace, press_continue,
                      read_video_pixels, start_stream, streamlit_server, wait_for, write_y4m)


def test_live_markers_sit_where_the_locator_puts_them(tmp_path, shared_hands):
    camera = np.asarray(Image.open(shared_hands / "images" / "palm_left_07.jpg").convert("RGB"))
    assert camera.shape == (480, 640, 3)
    # What the page should draw: the selfie view flips the camera picture and says so to the locator.
    shown = np.ascontiguousarray(camera[:, ::-1])
    with HandDetector() as detector:
        hand = locate_hand(detector.detect(shown)[0], mirrored=True)
    assert hand.facing == "palm"
    drawn = [p for p in hand.points if p.on_visible_face and p.placeable]
    apart = 0.15 * hand.size  # two markers closer than this overlap; the legend takes the top-left corner

    def checkable(point) -> bool:
        x, y = (int(round(v)) for v in point.xy)
        return (all(np.hypot(*(point.xy - other.xy)) > apart for other in drawn if other is not point)
                and not (x < 320 and y < 120) and 0 <= x < 640 and 0 <= y < 480
                and not close_to(shown[y, x], BY_CODE[point.code].colour, 70))  # the photo differs there

    targets = [(p.code, tuple(int(round(v)) for v in p.xy)) for p in drawn if checkable(p)]
    assert len(targets) >= 5 and "PC8" in {code for code, _ in targets}, targets
    y4m = write_y4m(tmp_path / "palm.y4m", [camera])

    with loopback_network_namespace(), \
            streamlit_server(APP, log_dir=tmp_path) as server, \
            chromium_page(y4m) as page:
        page.goto(server.url)
        page.get_by_text("Before you start").wait_for(timeout=60_000)
        try:
            start_stream(page, frames_processed=lambda: server.count("frames"), timeout_s=30)
        except AssertionError as error:
            raise AssertionError(f"{error}\n--- server log ---\n{server.log()}") from None
        points = [xy for _, xy in targets]
        seen = []

        def markers_visible() -> bool:
            seen.append(read_video_pixels(page, points, radius=1))
            return bool(seen[-1].pixels) and all(
                close_to(rgb, BY_CODE[code].colour, 70) for (code, _), rgb in zip(targets, seen[-1].pixels))

        wait_for(page, markers_visible, timeout_s=15)

        # Past the safety screen the routine starts: its first step asks for Laogong on the left palm,
        # which is what the camera shows (a left palm), so no prompt to turn or show the hand.
        press_continue(page)
        page.get_by_text(re.compile(r"Step 1 of \d+: Laogong \(PC8\), left palm")).wait_for(timeout=30_000)
        page.get_by_text("Put a fingertip of your other hand on the ring").wait_for(timeout=30_000)
        assert "Traceback" not in server.log()
    y4m.unlink()

    last = seen[-1]
    assert (last.width, last.height) == (640, 480), last
    for (code, xy), rgb in zip(targets, last.pixels):
        assert close_to(rgb, BY_CODE[code].colour, 70), f"{code} at {xy}: saw {rgb}, want {BY_CODE[code].colour}"
        assert not close_to(shown[xy[1], xy[0]], BY_CODE[code].colour, 70), f"{code}: the photo itself matches"
