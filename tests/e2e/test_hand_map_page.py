"""The hand map on the page: every point of the face in view, grouped, a picked point ringed on the
picture, and Korean hand therapy's map as an overlay that toggles."""

import io

import numpy as np
from PIL import Image

from locator.catalogue import CATALOGUE

from .harness import APP, choose_mode, chromium_page, loopback_network_namespace, streamlit_server, write_y4m


def shown_picture(page) -> np.ndarray:
    """The photo as the page shows it (the first picture in the page), decoded."""
    data = page.get_by_role("img").first.screenshot()
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def test_hand_map_shows_the_palms_points_rings_a_picked_one_and_toggles_the_korean_map(tmp_path, shared_hands):
    y4m = write_y4m(tmp_path / "still.y4m", [np.zeros((480, 640, 3), np.uint8)], seconds=0.2)
    with loopback_network_namespace(), streamlit_server(APP, log_dir=tmp_path) as server, \
            chromium_page(y4m) as page:
        page.goto(server.url)
        choose_mode(page, "Photo")
        page.locator("input[type=file]").set_input_files(str(shared_hands / "images" / "palm_left_07.jpg"))
        page.get_by_text("The hand map").wait_for(timeout=60_000)
        # A left palm: palm points (and the edges) have cards, back-only points do not.
        for code in ("PC8", "HT8", "PC7", "LU10"):
            page.get_by_text(f"{code} ", exact=False).first.wait_for(timeout=30_000)
        back_only = [p for p in CATALOGUE if p.face == "back" and not p.reachable_from_both_faces]
        assert back_only and all(page.get_by_text(f"{p.code} {p.pinyin}").count() == 0 for p in back_only)
        page.get_by_text("Pericardium meridian").first.wait_for(timeout=10_000)

        before = shown_picture(page)
        page.get_by_role("button", name="Show on the picture").first.click()
        page.get_by_text("Ringed on the picture: PC8").wait_for(timeout=30_000)
        page.wait_for_timeout(1000)
        ringed = shown_picture(page)
        assert np.abs(ringed - before).sum(axis=2).astype(bool).mean() > 0.002  # the ring is drawn

        page.get_by_text("Korean hand therapy map").click()
        page.get_by_text("a traditional map of the body, not anatomy").wait_for(timeout=30_000)
        page.wait_for_timeout(1000)
        zoned = shown_picture(page)
        assert np.abs(zoned - ringed).sum(axis=2).astype(bool).mean() > 0.1  # zones tint much of the hand
        page.get_by_text("Korean hand therapy map").click()
        page.get_by_text("a traditional map of the body, not anatomy").wait_for(state="detached", timeout=30_000)
        assert "Traceback" not in server.log()
