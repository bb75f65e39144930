"""Every viewer's equal part of the frame budget: the shares, and the hook into streamlit-webrtc's tracks."""

import asyncio
import fractions
import random

import av
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError
from streamlit_webrtc import webrtc

from locator.frame_share import ACTIVE_S, FrameShare, SharedTrack, share_viewer_videos


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run_cameras(share: FrameShare, clock: Clock, cameras: dict[str, float], seconds: float,
                jitter_s: float = 0.0) -> dict[str, int]:
    """Frames admitted per camera, each camera sending at its rate (frames/s), arrivals jittered."""
    rng = random.Random(1)
    arrivals = sorted((i / fps + rng.uniform(0, jitter_s), name)
                      for name, fps in cameras.items() for i in range(int(seconds * fps)))
    admitted = dict.fromkeys(cameras, 0)
    for clock.now, name in arrivals:
        admitted[name] += share.admit(name)
    return admitted


def test_one_viewer_within_the_budget_gets_every_frame_despite_uneven_arrivals():
    clock = Clock()
    admitted = run_cameras(FrameShare(30, clock=clock), clock, {"ann": 30}, 20, jitter_s=0.015)
    assert admitted["ann"] >= 0.97 * 600


def test_past_the_budget_every_viewer_gets_an_equal_part_and_the_total_stays_within_it():
    clock = Clock()
    share = FrameShare(30, clock=clock)
    admitted = run_cameras(share, clock, {"ann": 30, "bob": 30, "cat": 25, "dan": 15}, 20, jitter_s=0.01)
    rates = {name: n / 20 for name, n in admitted.items()}
    assert all(7.0 <= rate <= 7.7 for rate in rates.values()), rates
    assert sum(rates.values()) <= 30.2
    assert share.viewers() == 4


def test_a_viewer_slower_than_its_part_leaves_the_rest_to_the_others_only_as_time_passes():
    """Equal parts, not a pool: a camera sending less than its part does not lift the others' rate."""
    clock = Clock()
    admitted = run_cameras(FrameShare(30, clock=clock), clock, {"ann": 30, "bob": 5}, 20)
    assert admitted["bob"] == 100 and 14.5 <= admitted["ann"] / 20 <= 15.1


def test_a_viewer_who_left_frees_its_part():
    clock = Clock()
    share = FrameShare(20, clock=clock)
    run_cameras(share, clock, {"ann": 30, "bob": 30}, 5)
    start = clock.now + ACTIVE_S  # bob has sent nothing for this long: ann alone from here
    admitted = 0
    for i in range(150):
        clock.now = start + i / 30
        admitted += share.admit("ann")
    assert 95 <= admitted <= 102  # 20 frames/s, the whole budget
    assert share.viewers() == 1


class Camera(MediaStreamTrack):
    """A camera that has a frame ready whenever asked, numbered in its pts, and ends after ``count``."""

    kind = "video"

    def __init__(self, count: int):
        super().__init__()
        self.count = count
        self.sent = 0

    async def recv(self):
        if self.sent == self.count:
            self.stop()
            raise MediaStreamError
        frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
        frame.pts, frame.time_base = self.sent, fractions.Fraction(1, 30)
        self.sent += 1
        return frame


def test_a_shared_track_passes_on_only_the_admitted_frames_and_ends_with_its_camera():
    admit = iter([True, False, False, True, False, True]).__next__

    class Share:
        def admit(self, viewer):
            return admit()

        def leave(self, viewer):
            self.left = viewer

    async def read():
        share, camera = Share(), Camera(6)
        track = SharedTrack(camera, share)
        pts = [(await track.recv()).pts for _ in range(3)]
        camera.stop()
        return pts, track.readyState, share.left is track

    assert asyncio.run(read()) == ([0, 3, 5], "ended", True)


def test_streamlit_webrtc_builds_its_processing_tracks_on_the_shared_camera():
    """The hook rests on streamlit-webrtc's insides (the class its ``_wrap_with_processor`` builds): this
    fails when an upgrade moves them."""

    class Processor:
        def recv(self, frame):
            return frame

    async def build():
        share_viewer_videos(FrameShare(30))
        track = webrtc._wrap_with_processor(Camera(3), Processor(), async_processing=True, relay=MediaRelay())
        return track, isinstance(track.track, SharedTrack)

    try:
        track, shared = asyncio.run(build())
        assert shared and isinstance(track, webrtc.AsyncVideoProcessTrack)
        share_viewer_videos(FrameShare(10))  # again: still one layer deep
        assert webrtc.AsyncVideoProcessTrack.unshared is type(track).unshared
    finally:
        webrtc.AsyncVideoProcessTrack = webrtc.AsyncVideoProcessTrack.unshared
