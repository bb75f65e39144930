"""The detection pool: streams tied to workers, idle streams given up, frames passing with the last answer
when the pool is busy, and the same hands as the in-process detector (real model, real photo)."""

import os
from concurrent.futures import wait

import numpy as np
import pytest
from PIL import Image

from locator.detector import DetectorOptions, VideoHandDetector
from locator.errors import ModelError
from locator.live import LivePipeline
from locator.sharing import DetectionPool

pytestmark = pytest.mark.model


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def palm(shared_hands) -> np.ndarray:
    return np.asarray(Image.open(shared_hands / "images" / "palm_left_07.jpg").convert("RGB"))


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def pool(clock):
    with DetectionPool(2, wait_ms=10_000, idle_s=20, clock=clock) as pool:
        yield pool


def test_the_workers_are_processes_of_their_own(pool):
    pids = {started.result() for started in pool.started}
    assert len(pids) == 2 and os.getpid() not in pids


def test_streams_spread_over_the_workers_and_come_back_after_being_given_up(pool, clock, palm):
    first, second, third = (pool.video_detector() for _ in range(3))
    assert sorted(pool.load()) == [1, 2]
    third.close()
    assert pool.load() == [1, 1]
    first.detect(palm, 0)
    clock.now += 30                       # the second viewer left without closing; the first goes on
    first.detect(palm, 33)
    assert pool.load() in ([1, 0], [0, 1])
    second.detect(palm, 66)               # a stream given up while idle is tied to a worker again
    assert sorted(pool.load()) == [1, 1]
    first.close()
    second.close()
    assert pool.load() == [0, 0]


def test_the_pool_finds_the_same_hand_as_the_detector_in_the_page_process(palm):
    with VideoHandDetector(DetectorOptions()) as local:
        expected = [local.detect(palm, k * 33) for k in range(5)]
    with DetectionPool(1, wait_ms=10_000) as pool:   # a fresh graph, as the local one is
        shared = pool.video_detector()
        found = [shared.detect(palm, k * 33) for k in range(5)]
    assert [len(h) for h in found] == [len(h) for h in expected] == [1] * 5
    for mine, theirs in zip(found, expected):
        assert mine[0].label == theirs[0].label
        np.testing.assert_allclose(mine[0].landmarks, theirs[0].landmarks, atol=1.0)


def test_a_reused_worker_graph_accepts_a_new_stream_starting_at_an_earlier_time(pool, palm):
    earlier = pool.video_detector()
    assert len(earlier.detect(palm, 50_000)) == 1
    earlier.close()
    later = [pool.video_detector() for _ in range(2)]   # one of them gets the graph the first one left
    try:
        assert [len(d.detect(palm, 10)) for d in later] == [1, 1]
    finally:
        for detector in later:
            detector.close()


def test_a_busy_pool_lets_frames_pass_with_the_last_answer(palm):
    with DetectionPool(1, wait_ms=0) as pool:
        pipeline = LivePipeline(pool.video_detector())
        first = pipeline.process(palm, 0)
        assert (first.hands, first.detector) == ([], "previous")   # nothing answered yet
        wait([pipeline.detector._pending])
        second = pipeline.process(palm, 33)   # shows the first frame's answer; its own is on the way
        assert len(second.hands) == 1 and second.detector == "previous"
        pipeline.close()
        assert pool.load() == [0]


def test_the_host_setting_chooses_the_workers():
    assert DetectionPool.from_environment({"LOCATOR_DETECT_WORKERS": "0"}) is None
    with pytest.raises(ValueError):
        DetectionPool(0)


def test_a_model_that_cannot_be_loaded_is_said_at_the_first_frame(tmp_path, palm):
    """The workers build their detector at start; a broken model must not break the pool there (every
    frame would then fail with a bare BrokenProcessPool), but reach the person as the model's own error."""
    broken = tmp_path / "broken.task"
    broken.write_bytes(b"not a model")
    with DetectionPool(1, DetectorOptions(model=broken)) as pool:
        detector = pool.video_detector()
        future = pool.submit(detector.stream, palm, 0)
        with pytest.raises(ModelError, match="cannot load hand model"):
            future.result(timeout=60)
