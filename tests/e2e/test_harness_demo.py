"""The harness proves itself on a throwaway page: browser camera -> Python -> browser."""

from pathlib import Path

import numpy as np

from .harness import (
    chromium_page,
    close_to,
    loopback_network_namespace,
    read_int_file,
    read_video_pixels,
    start_stream,
    streamlit_server,
    wait_for,
    write_y4m,
)

DEMO_APP = Path(__file__).with_name("demo_app.py")
GREY = (128, 128, 128)
MAGENTA = (255, 0, 255)
INSIDE_SQUARE = (120, 120)  # the demo draws [100, 140) x [100, 140)
OUTSIDE = [(400, 300), (60, 60), (200, 200), (120, 300), (600, 440)]


def test_returned_video_carries_the_overlay_drawn_in_python(tmp_path):
    y4m = write_y4m(tmp_path / "grey.y4m", [np.full((480, 640, 3), GREY, np.uint8)])
    count_file = tmp_path / "frames.txt"
    env = {"DEMO_FRAME_COUNT_FILE": str(count_file)}

    with loopback_network_namespace(), \
            streamlit_server(DEMO_APP, env=env, log_dir=tmp_path) as server, \
            chromium_page(y4m) as page:
        page.goto(server.url)
        try:
            start_stream(page, frames_processed=lambda: read_int_file(count_file))
        except AssertionError as e:
            raise AssertionError(f"{e}\n--- server log ---\n{server.log()}") from None

        points = [INSIDE_SQUARE, *OUTSIDE]
        seen = []

        def overlay_visible() -> bool:
            seen.append(read_video_pixels(page, points, radius=2))
            return bool(seen[-1].pixels) and close_to(seen[-1].pixels[0], MAGENTA)

        wait_for(page, overlay_visible, timeout_s=10)
        last = seen[-1]
    y4m.unlink()  # 55 MB; kept only when the run failed before this line

    assert (last.width, last.height) == (640, 480), last
    inside, *outside = last.pixels
    assert close_to(inside, MAGENTA), f"no magenta at {INSIDE_SQUARE}: {last}"
    for point, rgb in zip(OUTSIDE, outside):
        assert close_to(rgb, GREY, tolerance=25), f"expected grey at {point}, got {rgb}: {last}"
