"""The routine's buttons act exactly once per click, whenever the click lands. Streamlit's page sends a
click with its own rerun, and also with any timed rerun (the step card's and the camera line's, twice a
second) that leaves before it: without care one click of Skip skipped two steps (the flake of the walk
test). The test clicks the card's buttons at random moments, with the camera running, half of the
clicks as a hand does (the mouse held down 60-150 ms), and checks after each what the card shows and, at
the end, how often the server acted."""

import os
import random
import time

import numpy as np

from .harness import (APP, card_state, chromium_context, loopback_network_namespace, press_continue,
                      start_stream, step_card_button, streamlit_server, write_y4m)

CLICKS = int(os.environ.get("E2E_BUTTON_CLICKS", "40"))
ACTIONS = {"Pause": "pause", "Resume": "resume", "Skip": "skip", "Back": "back"}  # label: controller's action
SHOWN_WITHIN_S = 10  # a slow answer on a loaded machine is not a lost click; a lost one never comes

def click_like_a_person(page, label: str, rng: random.Random) -> None:
    """Press the mouse on the button, hold it as a hand does (60-150 ms), let go."""
    step_card_button(page, label).hover()
    page.mouse.down()
    page.wait_for_timeout(rng.uniform(60, 150))
    page.mouse.up()


def next_click(step: int, paused: bool, rng: random.Random) -> str:
    """Any button that changes what the card shows (no Skip past the last step, no Back before the first)."""
    choices = ["Resume" if paused else "Pause"] + ["Skip"] * (step < 6) + ["Back"] * (step > 1)
    return rng.choice(choices)


def after(label: str, step: int, paused: bool) -> tuple[int, bool]:
    """The step and the paused state after one click of `label`."""
    return {"Pause": (step, True), "Resume": (step, False), "Skip": (step + 1, paused),
            "Back": (step - 1, paused)}[label]


def test_every_click_on_the_step_card_acts_exactly_once(tmp_path):
    rng = random.Random(11)
    y4m = write_y4m(tmp_path / "still.y4m", [np.zeros((480, 640, 3), np.uint8)], seconds=0.2)
    with loopback_network_namespace(), streamlit_server(APP, log_dir=tmp_path) as server, \
            chromium_context(y4m) as context:
        page = context.new_page()
        page.goto(server.url)
        press_continue(page)
        start_stream(page, frames_processed=lambda: server.count("frames"), timeout_s=30)
        step, paused = 1, False
        deadline = time.monotonic() + 30
        while card_state(page) != (1, False, False):
            assert time.monotonic() < deadline, (card_state(page), page.inner_text("body")[:3000])
            page.wait_for_timeout(100)

        clicks = dict.fromkeys(ACTIONS, 0)
        wrong, latencies = [], []
        for number in range(CLICKS):
            page.wait_for_timeout(rng.uniform(0, 1000))  # anywhere in the card's half-second refresh
            label = next_click(step, paused, rng)
            acted_before = server.count(f"act_{ACTIONS[label]}")
            clicked = time.monotonic()
            click_like_a_person(page, label, rng) if number % 2 else step_card_button(page, label).click()
            clicks[label] += 1
            step, paused = after(label, step, paused)
            expected = (step, paused, paused)
            while (seen := card_state(page)) != expected and time.monotonic() - clicked < SHOWN_WITHIN_S:
                page.wait_for_timeout(20)
            latencies.append(time.monotonic() - clicked)
            if seen != expected:
                page.wait_for_timeout(1500)
                seen = card_state(page)
                acts = server.count(f"act_{ACTIONS[label]}") - acted_before
                buttons = page.locator(".st-key-step_card").get_by_role("button").all_inner_texts()
                wrong.append((number, label, "person" if number % 2 else "playwright", expected, seen,
                              f"acted {acts} times", buttons))
                step, paused = seen[0], seen[1]  # go on from what the page shows
        page.wait_for_timeout(1000)
        acted = {label: server.count(f"act_{action}") for label, action in ACTIONS.items()}
        repeats = sum(server.count(f"repeat_{action}") for action in ACTIONS.values())
        print(f"clicks {clicks}, acted {acted}, clicks delivered again (ignored) {repeats}, slowest "
              f"{max(latencies):.2f} s, median {sorted(latencies)[len(latencies) // 2]:.2f} s, wrong {wrong}")
        assert not wrong, f"{len(wrong)} of {CLICKS} clicks not shown as expected: {wrong}"
        assert acted == clicks
    y4m.unlink()
