"""The camera keeps its resolution: the page marks its video as "detail", so a browser short of bandwidth
or CPU sends fewer frames rather than smaller ones. Without the mark Chromium sent 480x360 for the first
20 s of a stream of a detailed picture (its bandwidth estimate growing), and the detector needs the
pixels."""

import numpy as np

from .harness import (APP, chromium_page, loopback_network_namespace, press_continue,
                      start_stream, streamlit_server, wait_for, write_y4m)


def test_the_server_gets_the_camera_frames_at_full_size_from_the_start(tmp_path):
    detail = (np.random.default_rng(0).random((480, 640, 3)) * 255).astype(np.uint8)  # costly to encode
    y4m = write_y4m(tmp_path / "detail.y4m", [detail], seconds=0.2)
    with loopback_network_namespace(), streamlit_server(APP, log_dir=tmp_path) as server, \
            chromium_page(y4m) as page:
        page.goto(server.url)
        press_continue(page)
        start_stream(page, frames_processed=lambda: server.count("frames"), timeout_s=30)
        wait_for(page, lambda: server.count("frames") >= 150, timeout_s=30)
        assert server.count("frames") >= 150
        sizes = {path.stem: int(path.read_text()) for path in server.counts_dir.glob("frames_*.txt")}
        assert list(sizes) == ["frames_640x480"], sizes
