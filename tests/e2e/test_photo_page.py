"""Photo mode of the real page in a real browser: upload a photo, see the annotated result."""

import os
import re
from pathlib import Path

import numpy as np

from locator.images import find_images

from .harness import (APP, choose_mode, chromium_page, in_view, loopback_network_namespace, streamlit_server,
                      wait_for, write_y4m)


def test_upload_shows_annotated_photo_points_and_downloads(tmp_path, shared_hands):
    y4m = write_y4m(tmp_path / "still.y4m", [np.zeros((480, 640, 3), np.uint8)], seconds=0.2)
    with loopback_network_namespace(), \
            streamlit_server(APP, env={"LOCATOR_SAMPLES_DIR": str(shared_hands / "images")},
                             log_dir=tmp_path) as server, \
            chromium_page(y4m) as page:
        page.goto(server.url)
        choose_mode(page, "Photo")
        page.locator("input[type=file]").set_input_files(str(shared_hands / "images" / "palm_right_01.jpg"))
        page.get_by_text("Hand 1: right hand, palm toward the camera").wait_for(timeout=60_000)
        # The page renders top to bottom: wait for each part rather than count at once.
        page.get_by_text("palm_right_01.jpg (1600×1200)").first.wait_for(timeout=30_000)
        page.get_by_text("PC8 Laogong 劳宫").first.wait_for(timeout=30_000)
        page.get_by_role("button", name="Download annotated PNG").wait_for(timeout=30_000)

        # The README's picture of photo mode: a photo whose licence allows it (OpenCV documentation).
        page.locator("input[type=file]").set_input_files(str(shared_hands / "images" / "palm_left_07.jpg"))
        page.get_by_text("palm_left_07.jpg (640×480)").first.wait_for(timeout=60_000)
        page.screenshot(path=str(Path(os.environ.get("LOCATOR_E2E_SCREENSHOTS") or tmp_path) / "photo-page.png"))

        # A bad upload gets a message on the page, not a traceback.
        bad = tmp_path / "notes.jpg"
        bad.write_text("not a picture")
        page.locator("input[type=file]").set_input_files(str(bad))
        page.get_by_text("notes.jpg: not an image").wait_for(timeout=30_000)
        assert page.get_by_text("Traceback").count() == 0

        # The sample tab shows the host's folder as thumbnails; a visitor has no way to name a path.
        page.get_by_role("tab", name="Sample photos").click()
        use = page.get_by_role("button", name="Use this")
        use.first.wait_for(timeout=30_000)
        assert use.count() == min(24, len(find_images(shared_hands / "images")))
        assert page.locator("input[type=text], textarea").count() == 0
        use.nth(2).click()
        page.get_by_text(re.compile(r"\.(jpg|png) \(\d+×\d+\)")).first.wait_for(timeout=60_000)
        assert "Traceback" not in server.log()


def test_on_a_phone_the_chosen_sample_and_a_ringed_point_bring_the_picture_into_view(tmp_path, shared_hands):
    """The gallery folds away once a sample is chosen, and "Show on the picture" (on a card thousands of
    pixels below) brings the picture back into view: on a phone the gallery's 24 thumbnails stack into one
    column, and the result came under them, or the ring was drawn far out of sight."""
    phone = (390, 844)
    y4m = write_y4m(tmp_path / "still.y4m", [np.zeros((480, 640, 3), np.uint8)], seconds=0.2)
    with loopback_network_namespace(), \
            streamlit_server(APP, env={"LOCATOR_SAMPLES_DIR": str(shared_hands / "images")},
                             log_dir=tmp_path) as server, \
            chromium_page(y4m, viewport=phone) as page:
        page.goto(server.url)
        choose_mode(page, "Photo")
        page.get_by_role("tab", name="Sample photos").click(timeout=60_000)
        use = page.get_by_role("button", name="Use this")
        use.nth(9).click(timeout=30_000)  # far down the stacked gallery
        caption = page.get_by_text(re.compile(r"\.(jpg|png) \(\d+×\d+\)")).first
        caption.wait_for(timeout=60_000)
        assert wait_for(page, lambda: in_view(page, caption), 10), caption.bounding_box()
        assert not use.first.is_visible()  # the gallery is folded

        show = page.get_by_role("button", name="Show on the picture").last
        show.scroll_into_view_if_needed(timeout=30_000)
        assert not in_view(page, caption)
        show.click()
        page.get_by_text("Ringed on the picture").first.wait_for(timeout=30_000)
        assert wait_for(page, lambda: in_view(page, caption), 10)
        assert "Traceback" not in server.log()
