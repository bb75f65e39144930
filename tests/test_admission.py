"""Admission to the live view: slots held by renewed leases, the host's settings, the camera constraints."""

import json
import os

import pytest

from locator.admission import FRAME_BUDGET_PER_CORE, LiveSettings, ViewerSlots
from locator.errors import UserError


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_next_visitor_is_turned_away_until_a_viewer_leaves_or_stops_renewing():
    clock = FakeClock()
    slots = ViewerSlots(2, lease_s=15, clock=clock)
    assert slots.claim("ann") and slots.claim("bob")
    assert not slots.claim("cat")
    slots.release("ann")
    assert slots.claim("cat")
    for _ in range(5):                      # bob's page keeps renewing; cat's tab was closed
        clock.now += 5
        assert slots.claim("bob")
    assert slots.active() == 1
    assert not slots.renew("cat")           # a late renewal does not take a slot back
    assert slots.claim("dan") and not slots.claim("eve")
    assert slots.renew("dan")
    slots.release("dan")
    assert not slots.renew("dan") and slots.claim("eve")


def test_no_limit_admits_everyone():
    slots = ViewerSlots(0)
    assert all(slots.claim(str(n)) for n in range(50))
    assert slots.active() == 50


def test_host_settings():
    defaults = LiveSettings.from_environment({})
    assert (defaults.max_viewers, defaults.viewer_fps, defaults.ice_servers) == (4, None, ())
    assert LiveSettings().rtc_configuration() == {"iceServers": []}
    limits = LiveSettings.from_environment({"LOCATOR_MAX_VIEWERS": "1", "LOCATOR_VIEWER_FPS": "12"})
    assert (limits.max_viewers, limits.viewer_fps) == (1, 12.0)
    assert limits.camera_constraints()["video"]["frameRate"] == {"ideal": 12.0, "max": 12.0}
    assert "frameRate" not in LiveSettings().camera_constraints()["video"]
    assert "(1 at a time)" in limits.busy_message() and "Photo" in limits.busy_message()
    for bad in ("many", "-1"):
        with pytest.raises(UserError, match="LOCATOR_MAX_VIEWERS"):
            LiveSettings.from_environment({"LOCATOR_MAX_VIEWERS": bad})


def test_frame_budget_setting():
    cores = len(os.sched_getaffinity(0))
    assert LiveSettings.from_environment({}).frame_budget == FRAME_BUDGET_PER_CORE * cores
    assert LiveSettings.from_environment({"LOCATOR_FRAME_BUDGET": "12"}).frame_budget == 12.0
    assert LiveSettings.from_environment({"LOCATOR_FRAME_BUDGET": "0"}).frame_budget is None
    with pytest.raises(UserError, match="LOCATOR_FRAME_BUDGET"):
        LiveSettings.from_environment({"LOCATOR_FRAME_BUDGET": "fast"})


def test_ice_servers_setting():
    turn = {"urls": ["turn:127.0.0.1:3478"], "username": "locator", "credential": "secret"}
    settings = LiveSettings.from_environment({"LOCATOR_ICE_SERVERS": json.dumps([turn])})
    assert settings.rtc_configuration() == {"iceServers": [turn]}
    for bad in ("turn:127.0.0.1", '{"urls": "turn:x"}', '[{"url": "turn:x"}]'):
        with pytest.raises(UserError, match="LOCATOR_ICE_SERVERS"):
            LiveSettings.from_environment({"LOCATOR_ICE_SERVERS": bad})
