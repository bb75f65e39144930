"""The live controller without a model: a fake pipeline, a fake clock, synthetic hands."""

import threading

import numpy as np
import pytest

from locator.controller import RATE_WINDOW, STALLED_AFTER, FrameRate, LiveController
from locator.routine import PRESS_RADIUS
from locator.errors import UserError
from locator.geometry import Landmark
from locator.hands import LocatedHand, locate_points
from locator.live import LiveResult

from .synthetic import right_palm_landmarks

FRAME = 1 / 30


def left_palm() -> LocatedHand:
    landmarks = right_palm_landmarks()
    return LocatedHand("left", 0.9, "palm", 0.9, landmarks, locate_points(landmarks, "palm"))


def presser_on(hand: LocatedHand, code: str) -> LocatedHand:
    landmarks = right_palm_landmarks()
    landmarks = landmarks - landmarks[Landmark.INDEX_TIP] + hand.point(code).xy
    return LocatedHand("right", 0.9, "back", 0.9, landmarks, locate_points(landmarks, "back"))


class FakePipeline:
    """Returns the hands it is given; records what it was asked and whether it was closed."""

    opened = 0

    def __init__(self, hands=()):
        FakePipeline.opened += 1
        self.hands = list(hands)
        self.mirrored = None
        self.closed = False
        self.frames = []

    def process(self, rgb, timestamp_ms):
        assert not self.closed, "a closed pipeline was used"
        self.frames.append((rgb.copy(), timestamp_ms, self.mirrored))
        return LiveResult(list(self.hands), [], timestamp_ms, (rgb.shape[1], rgb.shape[0]))

    def close(self):
        self.closed = True


def camera_frame() -> np.ndarray:
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[:, :320] = 200  # left half bright: shows whether the picture was mirrored
    return frame


def test_selfie_view_mirrors_the_frame_and_tells_the_pipeline():
    pipelines = []
    controller = LiveController(lambda: pipelines.append(FakePipeline()) or pipelines[-1])
    out = controller.process(camera_frame(), 1.0)
    seen, timestamp, mirrored = pipelines[0].frames[0]
    assert mirrored is True and timestamp == 1000
    assert seen[0, 0, 0] == 0 and seen[0, -1, 0] == 200 and out[0, -1, 0] == 200
    controller.selfie = False
    controller.process(camera_frame(), 1.1)
    seen, _, mirrored = pipelines[0].frames[1]
    assert mirrored is False and seen[0, 0, 0] == 200


def test_the_pipeline_opens_on_the_first_frame_and_closes_when_the_stream_ends():
    pipelines = []
    controller = LiveController(lambda: pipelines.append(FakePipeline()) or pipelines[-1])
    assert not pipelines  # nothing is loaded for a visitor who never starts the camera
    controller.process(camera_frame(), 1.0)
    controller.process(camera_frame(), 1.1)
    assert len(pipelines) == 1 and not pipelines[0].closed
    controller.stream_ended()
    assert pipelines[0].closed and not controller.status(1.2).streaming
    controller.process(camera_frame(), 5.0)  # START again: a fresh pipeline
    assert len(pipelines) == 2 and not pipelines[1].closed


def test_a_dropped_controller_closes_its_pipeline():
    pipelines = []
    controller = LiveController(lambda: pipelines.append(FakePipeline()) or pipelines[-1])
    controller.process(camera_frame(), 1.0)
    del controller
    import gc
    gc.collect()
    assert pipelines[0].closed


def test_closing_waits_for_the_frame_being_processed():
    started, release = threading.Event(), threading.Event()

    class SlowPipeline(FakePipeline):
        def process(self, rgb, timestamp_ms):
            started.set()
            release.wait(5)
            return super().process(rgb, timestamp_ms)

    pipeline = SlowPipeline()
    controller = LiveController(lambda: pipeline)
    worker = threading.Thread(target=controller.process, args=(camera_frame(), 1.0))
    worker.start()
    started.wait(5)
    closer = threading.Thread(target=controller.stream_ended)
    closer.start()
    closer.join(0.2)
    assert closer.is_alive() and not pipeline.closed  # not closed under the running frame
    release.set()
    worker.join(5)
    closer.join(5)
    assert pipeline.closed


def test_a_model_that_cannot_load_is_one_line_and_the_video_still_flows():
    def broken():
        raise UserError("cannot load hand model /x.task: bad file")

    controller = LiveController(broken)
    frame = camera_frame()
    out = controller.process(frame, 1.0)
    assert out.shape == frame.shape
    assert controller.status(1.0).error == "cannot load hand model /x.task: bad file"


def test_the_routine_follows_the_hands_and_buttons_show_their_result_at_once():
    target = left_palm()
    controller = LiveController(lambda: FakePipeline([target, presser_on(target, "PC8")]))
    controller.choose_routine("30-second rescue", pregnant=False)
    assert controller.status(0.0).view is None
    now = 0.0
    for _ in range(30):
        now += FRAME
        controller.process(camera_frame(), now)
    view = controller.status(now).view
    assert view.target == "PC8" and view.on_target and view.seconds_held == pytest.approx(29 * FRAME)
    controller.act("pause", 0, now)
    assert controller.status(now).view.paused  # before any new frame
    controller.act("resume", 1, now)
    assert not controller.status(now).view.paused
    controller.act("skip", 2, now)
    assert controller.status(now).view.step_index == 1
    controller.choose_routine("30-second rescue", pregnant=False)  # the same choice keeps its place
    assert controller.status(now).view.step_index == 1
    controller.choose_routine("30-second rescue", pregnant=True)
    status = controller.status(now)
    assert status.view is None and status.notes and "Hegu" in status.notes[0]
    with pytest.raises(ValueError):
        controller.act("explode", 0, now)


def test_a_click_delivered_twice_acts_once_and_the_next_click_acts():
    """Streamlit can deliver one click in two reruns (a timed rerun leaving with it); the buttons carry
    the number of actions they were drawn after."""
    controller = LiveController(lambda: FakePipeline([left_palm()]))
    controller.choose_routine("30-second rescue", pregnant=False)
    controller.process(camera_frame(), 0.1)
    seen = controller.status(0.1).actions
    controller.act("skip", seen, 0.2)
    controller.act("skip", seen, 0.2)  # the same click again
    status = controller.status(0.2)
    assert status.view.step_index == 1 and status.actions == seen + 1
    controller.act("back", status.actions, 0.3)  # the next click, on the buttons drawn after the first
    assert controller.status(0.3).view.step_index == 0
    controller.act("pause", status.actions, 0.4)  # drawn before the Back: a repeat of it, ignored
    assert not controller.status(0.4).view.paused


def test_frame_rate_is_frames_delivered_over_the_last_seconds():
    rate = FrameRate()
    assert rate.per_second(0.0) is None
    now = 0.0
    for k in range(90):  # 30 frames/s for 3 s, then 10 frames/s for 3 s
        now = k / 30
        rate.tick(now)
    assert rate.per_second(now) == pytest.approx(30, rel=0.01)
    for k in range(1, 31):
        rate.tick(now + k / 10)
    now += 3.0
    assert rate.per_second(now) == pytest.approx(10, rel=0.01)
    assert rate.per_second(now + STALLED_AFTER + 0.1) is None  # the frames stopped: no figure


def test_status_says_when_the_camera_stopped_and_counts_again_after_a_restart():
    controller = LiveController(FakePipeline)
    now = 0.0
    for _ in range(60):
        now += FRAME
        controller.process(camera_frame(), now)
    status = controller.status(now)
    assert status.streaming and status.frames == 60
    assert status.frames_per_second == pytest.approx(30, rel=0.02)
    assert not controller.status(now + STALLED_AFTER + 0.1).streaming
    later = now + 10 * RATE_WINDOW
    controller.process(camera_frame(), later)
    assert controller.status(later).streaming and controller.status(later).frames_per_second is None


def test_only_the_target_hand_shows_the_target():
    """The step wants the right palm; only the left palm is in view: its Laogong is drawn small and grey
    like every other point, not as a target."""
    from locator.catalogue import BY_CODE

    left = left_palm()
    controller = LiveController(lambda: FakePipeline([left]))
    controller.selfie = False
    controller.choose_routine("30-second rescue", pregnant=False)
    x, y = (int(round(v)) for v in left.point("PC8").xy)
    black = np.zeros((480, 640, 3), np.uint8)

    def pc8_drawn_bright() -> bool:
        out = controller.process(black.copy(), now)
        patch = out[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3).astype(int)
        return bool((np.abs(patch - BY_CODE["PC8"].colour).max(axis=1) < 40).any())

    now = 1.0
    assert controller.status(now).view is None
    assert pc8_drawn_bright()  # step 1 is the left palm: its Laogong is the target
    controller.act("skip", controller.status(now).actions, now)
    now = 1.1
    assert not pc8_drawn_bright()
    assert controller.status(now).view.prompt == "That is your left hand: this step is for your right hand"


def test_the_hand_map_lists_the_points_in_view_and_draws_the_pick_and_the_korean_map(monkeypatch):
    from locator.overlay import WHITE, marker_radius

    left = left_palm()
    controller = LiveController(lambda: FakePipeline([left]))
    controller.selfie = False
    black = np.zeros((480, 640, 3), np.uint8)
    plain = controller.process(black.copy(), 1.0)
    in_view = controller.status(1.0).in_view
    assert {"PC8", "HT8", "PC7"} <= in_view and "LI4" not in in_view  # a palm: no back-only point
    assert controller.status(1.0 + 2 * STALLED_AFTER).in_view == frozenset()  # the camera stopped

    controller.picked = "PC8"
    ringed = controller.process(black.copy(), 1.1)
    x, y = left.point("PC8").xy
    r = marker_radius(left, 1.0, PRESS_RADIUS)
    assert (ringed[int(round(y)), int(round(x - r))] == WHITE).all()
    assert not (plain[int(round(y)), int(round(x - r))] == WHITE).all()

    controller.korean = True
    zoned = controller.process(black.copy(), 1.2)
    middle_finger = np.round((left.landmarks[Landmark.MIDDLE_PIP] + left.landmarks[Landmark.MIDDLE_DIP]) / 2)
    mx, my = middle_finger.astype(int) + (6, 0)  # beside the bone line
    assert zoned[my, mx].any() and not ringed[my, mx].any()

    written = []  # with the zones, their names replace the points' labels
    monkeypatch.setattr("locator.overlay.draw_text", lambda image, text, *a, **k: written.append(text))
    controller.process(black.copy(), 1.3)
    assert "head and neck" in written and "PC8 Laogong" not in written
    controller.korean = False
    written.clear()
    controller.process(black.copy(), 1.4)
    assert "PC8 Laogong" in written and "head and neck" not in written


def test_once_the_routine_is_done_no_point_stands_out_and_none_is_named(monkeypatch):
    """At the end (as in a whole-hand step) every point is small and grey, unlabelled: before, the end
    showed every point of both hands labelled, which a first user found unreadable."""
    from locator.catalogue import BY_CODE

    left = left_palm()
    controller = LiveController(lambda: FakePipeline([left]))
    controller.selfie = False
    controller.choose_routine("30-second rescue", pregnant=False)
    black = np.zeros((480, 640, 3), np.uint8)
    controller.process(black.copy(), 1.0)
    while not controller.status(1.0).view.finished:
        controller.act("skip", controller.status(1.0).actions, 1.0)
    written = []
    monkeypatch.setattr("locator.overlay.draw_text", lambda image, text, *a, **k: written.append(text))
    done = controller.process(black.copy(), 1.1)
    x, y = (int(round(v)) for v in left.point("PC8").xy)
    patch = done[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3).astype(int)
    assert not (np.abs(patch - BY_CODE["PC8"].colour).max(axis=1) < 40).any()
    assert done[y, x].any()  # still drawn, small and grey
    assert "PC8 Laogong" not in written and written == ["left hand, palm (90% sure)"]  # the legend's line
