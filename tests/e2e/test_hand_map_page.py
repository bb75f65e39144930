"""The hand map on the page, on a photo and on the live video: every point of the face in view, grouped, a
picked point ringed on the picture, and Korean hand therapy's map as an overlay that toggles."""

import io

import numpy as np
from PIL import Image

from locator.catalogue import CATALOGUE
from locator.detector import HandDetector
from locator.hands import locate_hand
from locator.overlay import marker_radius
from locator.routine import PRESS_RADIUS

from .harness import (APP, choose_mode, chromium_page, loopback_network_namespace, read_video_frame,
                      start_stream, streamlit_server, wait_for, write_y4m)


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

        # Another photo, of a hand's back: Laogong, picked on the palm, has no card there and is not said
        # to be ringed.
        page.locator("input[type=file]").set_input_files(str(shared_hands / "images" / "back_left_01.jpg"))
        page.get_by_text("back_left_01.jpg (").first.wait_for(timeout=60_000)
        page.get_by_text("The hand map").wait_for(timeout=30_000)
        page.get_by_text("LI4 Hegu").first.wait_for(timeout=30_000)
        assert page.get_by_text("Ringed on the picture").count() == 0
        assert "Traceback" not in server.log()


def test_live_hand_map_lists_the_palms_points_rings_a_picked_one_on_the_video_and_toggles_the_korean_map(
        tmp_path, shared_hands):
    camera = np.asarray(Image.open(shared_hands / "images" / "palm_left_07.jpg").convert("RGB"))
    shown = np.ascontiguousarray(camera[:, ::-1])  # the selfie view, as the page draws it
    with HandDetector() as detector:
        hand = locate_hand(detector.detect(shown)[0], mirrored=True)
    centre = hand.point("PC8").xy
    ring = marker_radius(hand, 1.0, PRESS_RADIUS)
    rows, columns = np.mgrid[:480, :640]
    distance = np.hypot(columns - centre[0], rows - centre[1])
    near_ring = np.abs(distance - ring) <= 8  # the live hand sits a few pixels from the photo detector's
    ring_area = 2 * np.pi * ring * 3          # a ring 3 pixels wide, white
    around_hand = distance <= 2.5 * hand.size

    def white_on_ring(frame: np.ndarray) -> float:
        """White pixels about PC8 at the ring's distance, as a share of a whole white ring."""
        return float((frame[near_ring] >= 200).all(axis=1).sum() / ring_area)

    y4m = write_y4m(tmp_path / "palm.y4m", [camera])
    with loopback_network_namespace(), streamlit_server(APP, log_dir=tmp_path) as server, \
            chromium_page(y4m) as page:
        page.goto(server.url)
        start_stream(page, frames_processed=lambda: server.count("frames"), timeout_s=30)
        page.get_by_text("Hand map: the points in view").click()
        page.get_by_text("The hand map").wait_for(timeout=30_000)
        for code in ("PC8", "HT8", "PC7", "LU10"):
            page.get_by_text(f"{code} ", exact=False).first.wait_for(timeout=30_000)
        back_only = [p for p in CATALOGUE if p.face == "back" and not p.reachable_from_both_faces]
        assert all(page.get_by_text(f"{p.code} {p.pinyin}").count() == 0 for p in back_only)
        before = read_video_frame(page)
        assert before.shape == (480, 640, 3)
        assert white_on_ring(before) < 0.25

        page.get_by_role("button", name="Show on the video").first.click()
        page.get_by_text("Ringed on the video: PC8").wait_for(timeout=30_000)
        assert wait_for(page, lambda: white_on_ring(read_video_frame(page)) > 0.6, timeout_s=10), \
            white_on_ring(read_video_frame(page))
        ringed = read_video_frame(page)

        page.get_by_text("Korean hand therapy map").click()
        page.get_by_text("a traditional map of the body, not anatomy").wait_for(timeout=30_000)

        def tinted() -> tuple[float, float]:
            """The share of pixels near the hand that changed since `ringed`, and how far their mean colour
            moved (summed over R, G, B). Zones change both (about 0.29 and 13 measured); the live markers
            jittering by a few pixels change up to 0.10 of the pixels but the mean colour by under 1."""
            frame = read_video_frame(page).astype(int)
            changed = np.abs(frame - ringed.astype(int)).sum(axis=2) > 40
            shift = np.abs(frame[around_hand].mean(axis=0) - ringed[around_hand].mean(axis=0)).sum()
            return float(changed[around_hand].mean()), float(shift)

        assert wait_for(page, lambda: tinted()[0] > 0.15 and tinted()[1] > 6, timeout_s=10), tinted()
        page.get_by_text("Korean hand therapy map").click()
        page.get_by_text("a traditional map of the body, not anatomy").wait_for(state="detached", timeout=30_000)
        assert wait_for(page, lambda: tinted()[1] < 2, timeout_s=10), tinted()
        assert "Traceback" not in server.log()
    y4m.unlink()
