"""The scale-out recipe in a real browser: two page processes behind nginx (deploy/nginx.conf) on loopback;
two browsers land on different processes, stay there, and both get their video."""

import numpy as np
from PIL import Image

from .harness import (APP, launch_chromium, loopback_network_namespace, nginx_proxy, press_start,
                      read_video_pixels, streamlit_server, wait_for, write_y4m)


def test_two_page_processes_behind_the_proxy_each_serve_a_viewer(tmp_path, shared_hands):
    from playwright.sync_api import sync_playwright

    camera = np.asarray(Image.open(shared_hands / "images" / "palm_left_07.jpg").convert("RGB"))
    y4m = write_y4m(tmp_path / "palm.y4m", [camera], seconds=1)
    env = {"LOCATOR_DETECT_WORKERS": "1"}
    with loopback_network_namespace(), \
            streamlit_server(APP, env=env, log_dir=tmp_path) as one, \
            streamlit_server(APP, env=env, log_dir=tmp_path) as two, \
            nginx_proxy([one.port, two.port], tmp_path) as url, sync_playwright() as pw:
        browsers = [launch_chromium(pw, y4m) for _ in range(2)]
        try:
            pages = [browser.new_page(viewport={"width": 1280, "height": 1024}) for browser in browsers]
            for page in pages:
                page.goto(url)
                press_start(page)
            assert wait_for(pages[0], lambda: min(one.count("frames"), two.count("frames")) >= 10, 40), \
                one.log() + two.log()
            for page in pages:
                assert read_video_pixels(page, [(10, 10)]).width == 640
            chosen = [{c["name"]: c["value"] for c in page.context.cookies()}["locator_page"] for page in pages]
        finally:
            for browser in browsers:
                browser.close()
        assert sorted(chosen) == sorted(f"127.0.0.1:{server.port}" for server in (one, two))
        assert "Traceback" not in one.log() + two.log()
