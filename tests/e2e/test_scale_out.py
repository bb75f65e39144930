"""The scale-out recipe in a real browser: two page processes behind nginx (deploy/nginx.conf) on loopback;
two browsers land on different processes, stay there, and both get their video."""

import shutil
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from .harness import (APP, REPO_ROOT, free_port, launch_chromium, loopback_network_namespace, press_start,
                      read_video_pixels, streamlit_server, wait_for, write_y4m, _stop_process_group)
from .test_live_page import frames_processed

NGINX_CONF = REPO_ROOT / "deploy" / "nginx.conf"
RECIPE_ADDRESSES = ("127.0.0.1:8501", "127.0.0.1:8502", "127.0.0.1:8080")  # two pages, the proxy


@contextmanager
def nginx(pages: list[int], folder: Path):
    """The recipe's nginx, its addresses moved to the given page ports and a free port of its own."""
    if shutil.which("nginx") is None:
        pytest.fail("nginx is not installed (./run test installs it from Debian)")
    port = free_port()
    text = NGINX_CONF.read_text()
    for old, new in zip(RECIPE_ADDRESSES, [*(f"127.0.0.1:{p}" for p in pages), f"127.0.0.1:{port}"]):
        assert old in text, f"{NGINX_CONF} no longer names {old}"
        text = text.replace(old, new)
    conf = folder / "nginx.conf"
    conf.write_text(text)
    with (folder / "nginx.log").open("wb") as log:
        process = subprocess.Popen(["nginx", "-p", str(folder), "-c", str(conf), "-g", "daemon off;"],
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not answer: {(folder / 'nginx.log').read_text()}")
                time.sleep(0.2)
        yield url
    finally:
        _stop_process_group(process)


def test_two_page_processes_behind_the_proxy_each_serve_a_viewer(tmp_path, shared_hands):
    from playwright.sync_api import sync_playwright

    camera = np.asarray(Image.open(shared_hands / "images" / "palm_left_07.jpg").convert("RGB"))
    y4m = write_y4m(tmp_path / "palm.y4m", [camera], seconds=1)
    env = {"LOCATOR_TEST_LOOPBACK_ICE": "1", "LOCATOR_DETECT_WORKERS": "1"}
    with loopback_network_namespace(), \
            streamlit_server(APP, env=env, log_dir=tmp_path) as one, \
            streamlit_server(APP, env=env, log_dir=tmp_path) as two, \
            nginx([one.port, two.port], tmp_path) as url, sync_playwright() as pw:
        browsers = [launch_chromium(pw, y4m) for _ in range(2)]
        try:
            pages = [browser.new_page(viewport={"width": 1280, "height": 1024}) for browser in browsers]
            for page in pages:
                page.goto(url)
                press_start(page)
            for page in pages:
                assert wait_for(page, lambda: frames_processed(page) >= 10, 40), one.log() + two.log()
                assert read_video_pixels(page, [(10, 10)]).width == 640
            chosen = [{c["name"]: c["value"] for c in page.context.cookies()}["locator_page"] for page in pages]
        finally:
            for browser in browsers:
                browser.close()
        assert sorted(chosen) == sorted(f"127.0.0.1:{server.port}" for server in (one, two))
        assert "Traceback" not in one.log() + two.log()
