"""An equal share of the page server's video work for every viewer, within a budget of frames per second.

The page process draws on, re-encodes and sends back every frame it passes on, at the rate each camera
sends them. Past what the process can do, the frames waiting for the encoder pile up, the video lags more
and more, and some viewers lose theirs (measured with ``./run loadtest``). A :class:`FrameShare` gives every
viewer an equal part of the host's budget (``LOCATOR_FRAME_BUDGET`` frames per second for the process, see
:mod:`locator.admission`): a camera frame over its viewer's part is dropped before drawing and encoding.
One viewer alone gets the camera's own rate when the budget allows it; four viewers get a quarter each;
the work stays within the budget however many watch.

:func:`share_viewer_videos` puts the share between streamlit-webrtc's camera tracks and its processing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable

from aiortc import MediaStreamTrack

ACTIVE_S = 1.0   # a viewer who sent no frame this long is not counted in the shares
BURST = 2.0      # frames a viewer may save up (camera frames arrive unevenly)


class FrameShare:
    """Token buckets, one per viewer, each filled at an equal part of ``budget_fps``.

    >>> now = 0.0
    >>> share = FrameShare(20, clock=lambda: now)
    >>> admitted = {"ann": 0, "bob": 0}
    >>> for frame in range(300):  # 10 s of two cameras at 30 frames/s
    ...     now = frame / 30
    ...     for viewer in admitted:
    ...         admitted[viewer] += share.admit(viewer)
    >>> admitted
    {'ann': 100, 'bob': 100}
    """

    def __init__(self, budget_fps: float, clock=time.monotonic):
        if budget_fps <= 0:
            raise ValueError("the frame budget must be positive")
        self.budget_fps = budget_fps
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[Hashable, tuple[float, float]] = {}  # viewer -> (frames saved up, last seen)

    def admit(self, viewer: Hashable) -> bool:
        """Whether ``viewer``'s frame, arriving now, is within its share (and so is drawn and sent)."""
        now = self._clock()
        with self._lock:
            self._buckets = {v: b for v, b in self._buckets.items() if now - b[1] < ACTIVE_S}
            saved, seen = self._buckets.get(viewer, (1.0, now))
            rate = self.budget_fps / (len(self._buckets) + (viewer not in self._buckets))
            saved = min(BURST, saved + (now - seen) * rate)
            admitted = saved >= 1.0
            self._buckets[viewer] = (saved - admitted, now)
            return admitted

    def leave(self, viewer: Hashable) -> None:
        with self._lock:
            self._buckets.pop(viewer, None)

    def viewers(self) -> int:
        """Viewers counted in the shares now."""
        now = self._clock()
        with self._lock:
            return sum(now - seen < ACTIVE_S for _, seen in self._buckets.values())


class SharedTrack(MediaStreamTrack):
    """A viewer's camera track that passes on only the frames within the viewer's share."""

    kind = "video"

    def __init__(self, source: MediaStreamTrack, share: FrameShare):
        super().__init__()
        self._source = source
        self._share = share
        source.on("ended", self.stop)

    async def recv(self):
        while True:
            frame = await self._source.recv()
            if self._share.admit(self):
                return frame

    def stop(self) -> None:
        super().stop()
        self._share.leave(self)
        self._source.stop()


def share_viewer_videos(share: FrameShare) -> None:
    """Give every live video of this process its part of ``share`` from now on.

    streamlit-webrtc builds each viewer's processing track inside ``webrtc_streamer`` from the class
    ``streamlit_webrtc.webrtc.AsyncVideoProcessTrack``, with no way to pass a track in; this replaces that
    class by one that reads the camera through a :class:`SharedTrack`. Calling it again replaces the share.
    """
    from streamlit_webrtc import webrtc

    unshared = getattr(webrtc.AsyncVideoProcessTrack, "unshared", webrtc.AsyncVideoProcessTrack)

    class SharedVideoProcessTrack(unshared):
        def __init__(self, track, processor, *args, **kwargs):
            super().__init__(SharedTrack(track, share), processor, *args, **kwargs)

    SharedVideoProcessTrack.unshared = unshared
    webrtc.AsyncVideoProcessTrack = SharedVideoProcessTrack
