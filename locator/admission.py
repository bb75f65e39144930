"""How many people may use the live view of one server at once, and what each one's camera is asked for.

Host settings (the server's environment, never the page):

* ``LOCATOR_MAX_VIEWERS``: the most viewers at once (default 4; 0 means no limit). The next visitor is
  told plainly that the live view is busy, instead of getting a video that freezes.
* ``LOCATOR_FRAME_BUDGET``: the frames per second this page process draws on and sends back, shared
  equally by the viewers of the moment (default 36 per core the process may use; 0: no limit). One viewer
  gets the camera's rate; past the budget each gets an equal part (:mod:`locator.frame_share`).
* ``LOCATOR_VIEWER_FPS``: the most frames per second any viewer's camera is asked for (default: the
  camera's own). Within it, each camera is asked for its viewer's part of the budget, and asked again as
  viewers come and go (:meth:`LiveSettings.camera_rate`).
* ``LOCATOR_ICE_SERVERS``: STUN/TURN servers for WebRTC as JSON, e.g.
  ``[{"urls": ["turn:turn.example.org:3478"], "username": "locator", "credential": "..."}]`` (default none:
  viewers on the same network reach the server directly; viewers outside it need a TURN server).

A viewer holds a slot by a lease that the open page renews (twice a second); a closed tab stops
renewing, and its slot frees itself after ``LEASE_S``.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass

from .errors import UserError

MAX_VIEWERS_ENV = "LOCATOR_MAX_VIEWERS"
VIEWER_FPS_ENV = "LOCATOR_VIEWER_FPS"
FRAME_BUDGET_ENV = "LOCATOR_FRAME_BUDGET"
FRAME_BUDGET_PER_CORE = 36.0  # frames/s one core drew, encoded and sent for 4 viewers at 0.89 of the core (loadtest)
ICE_SERVERS_ENV = "LOCATOR_ICE_SERVERS"
MAX_VIEWERS = 4
LEASE_S = 15.0
BUSY_MESSAGE = ("The live view is busy: every place is taken ({limit} at a time). Please try again in a few "
                "minutes, or switch to **Photo** mode above meanwhile.")


def host_number(environ, name: str, kind, default):
    """A non-negative number from the host's environment (``default`` when unset)."""
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise UserError(f"the host setting {name} must be a number, got {text!r}") from None
    if value < 0:
        raise UserError(f"the host setting {name} must not be negative, got {text!r}")
    return value


def ice_servers_setting(text: str) -> tuple:
    """``LOCATOR_ICE_SERVERS``: a JSON list of objects, each with ``urls``."""
    if not text.strip():
        return ()
    try:
        servers = json.loads(text)
    except json.JSONDecodeError as error:
        raise UserError(f"the host setting {ICE_SERVERS_ENV} is not JSON: {error}") from None
    if not isinstance(servers, list) or not all(isinstance(s, dict) and "urls" in s for s in servers):
        raise UserError(f"the host setting {ICE_SERVERS_ENV} must be a JSON list of objects with \"urls\"")
    return tuple(servers)


@dataclass(frozen=True)
class LiveSettings:
    """The host's settings for the live view."""

    max_viewers: int = MAX_VIEWERS   # 0: no limit
    viewer_fps: float | None = None  # None: the camera's own rate
    ice_servers: tuple = ()          # RTCIceServer dicts
    frame_budget: float | None = None  # frames/s for all viewers together; None: no limit

    @classmethod
    def from_environment(cls, environ=os.environ) -> "LiveSettings":
        fps = host_number(environ, VIEWER_FPS_ENV, float, None)
        budget = host_number(environ, FRAME_BUDGET_ENV, float,
                             FRAME_BUDGET_PER_CORE * len(os.sched_getaffinity(0)))
        return cls(host_number(environ, MAX_VIEWERS_ENV, int, MAX_VIEWERS), fps or None,
                   ice_servers_setting(environ.get(ICE_SERVERS_ENV, "")), budget or None)

    def rtc_configuration(self) -> dict:
        """``rtc_configuration`` for streamlit-webrtc (both ends): the host's ICE servers, else none at all
        (streamlit-webrtc would otherwise add a public STUN server)."""
        return {"iceServers": [dict(server) for server in self.ice_servers]}

    def camera_constraints(self) -> dict:
        """``media_stream_constraints`` for streamlit-webrtc: 640x480 video, at ``viewer_fps`` if set."""
        video: dict = {"width": {"ideal": 640}, "height": {"ideal": 480}}
        if self.viewer_fps:
            video["frameRate"] = {"ideal": self.viewer_fps, "max": self.viewer_fps}
        return {"video": video, "audio": False}

    def camera_rate(self, viewers: int) -> float | None:
        """The frame rate to ask each camera for while ``viewers`` stream: its equal part of the budget, at
        most ``viewer_fps`` (None: the camera's own). The server decodes every frame a camera sends, even
        one over its viewer's part that is then dropped; and sending it costs the viewer's machine too.

        >>> LiveSettings(viewer_fps=20, frame_budget=30).camera_rate(1), LiveSettings(frame_budget=30).camera_rate(4)
        (20, 7.5)
        """
        rates = [rate for rate in (self.viewer_fps, self.frame_budget and self.frame_budget / max(1, viewers))
                 if rate]
        return min(rates, default=None)

    def busy_message(self) -> str:
        return BUSY_MESSAGE.format(limit=self.max_viewers)


class ViewerSlots:
    """At most ``limit`` viewers at once (0: any number), each holding its slot by a renewed lease.

    >>> slots = ViewerSlots(1)
    >>> slots.claim("ann"), slots.claim("bob"), slots.claim("ann")
    (True, False, True)
    >>> slots.release("ann"); slots.claim("bob")
    True
    """

    def __init__(self, limit: int, lease_s: float = LEASE_S, clock=time.monotonic):
        self.limit = limit
        self.lease_s = lease_s
        self._clock = clock
        self._held: dict[str, float] = {}   # viewer -> when its lease ends
        self._lock = threading.Lock()

    def claim(self, viewer: str) -> bool:
        """Take or renew ``viewer``'s slot; False when every slot is held by someone else."""
        now = self._clock()
        with self._lock:
            self._held = {v: end for v, end in self._held.items() if end > now}
            if viewer not in self._held and self.limit and len(self._held) >= self.limit:
                return False
            self._held[viewer] = now + self.lease_s
            return True

    def renew(self, viewer: str) -> bool:
        """Extend ``viewer``'s lease if it still holds a slot (never takes one: a late renewal from a page
        that has just left must not take the slot back)."""
        now = self._clock()
        with self._lock:
            if self._held.get(viewer, now) <= now:
                return False
            self._held[viewer] = now + self.lease_s
            return True

    def release(self, viewer: str) -> None:
        with self._lock:
            self._held.pop(viewer, None)

    def active(self) -> int:
        now = self._clock()
        with self._lock:
            return sum(end > now for end in self._held.values())
