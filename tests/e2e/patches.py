"""Test-only changes to the libraries under the page, applied in the Streamlit server by the harness's
wrapper pages (`serve_app.py`, `demo_app.py`); the product never imports this module.

- Loopback ICE: the browser tests run server and browser in a network namespace that has only `lo`.
  There a connection forms only if both ends offer 127.0.0.1: Chromium does with
  `--allow-loopback-in-peer-connection`, but aioice (under aiortc) never does, because
  `aioice.ice.get_host_addresses` drops it. Replaced here to offer only 127.0.0.1.
- The stream-rendered counter: about 1 run in 20 of streamlit-webrtc 0.79.0 lost the stream after 0-1
  frames ("Context for key=... was not rendered for 1 script runs; resetting stale state"). Forgetting
  the context's private `_last_rendered_run_count` before each `webrtc_streamer` call removed it (0 in
  30, FACTS.md). The page has one view with the video, so the reset it guards against never applies.
- Counters: how many frames the live controller processed (in all, and at each size), how many streams
  it saw end, how many times a routine button changed the routine (``act_skip``, ...) or was not acted on
  as a click delivered again (``repeat_skip``, ...), and how many photos were analysed, written to files
  in `$E2E_COUNTS_DIR`, so tests can wait for the server without reading debug text off the page.
- Late messages (`E2E_FLUSH_SECONDS`): the server sends the browser its messages this seldom (Streamlit:
  every 5 ms), as a busy server does, so that a fragment's run often starts before the last page run's
  messages have left (`test_busy_server.py`).
- Late run events (`E2E_EVENT_LAG_SECONDS`): the server handles what its script runs report (a run's
  start, its new elements, its end) this much later, as a busy server does, while the browser's requests
  are handled at once; so a request often comes between a run's end and the handling of its events.
- A trace of the page's runs in the server's log: every rerun the browser asks for (the whole page or a
  fragment, and the buttons it presses) and every run's start and end, one line each, so a failing
  browser test's log (printed by the harness) says whether a click reached the server. A run's start
  names the fragments it reruns, and the trace marks the events Streamlit drops because they come from a
  runner that is no longer the session's: a rerun asked for after a run has finished but before the
  server has handled that run's events gets a new runner, and the finished run's messages (its new
  elements included) never reach the browser.
"""

from __future__ import annotations

import functools
import inspect
import os
import threading
import time
from pathlib import Path

_applied = False
_lock = threading.Lock()
_counts: dict[str, int] = {}


def apply() -> None:
    """Apply every patch once per server process (the wrapper page runs on every rerun)."""
    global _applied
    with _lock:
        if _applied:
            return
        _loopback_ice()
        _keep_stream_rendered()
        _count_calls()
        _trace_runs()
        _late_messages()
        _late_events()
        _applied = True


def _loopback_ice() -> None:
    import aioice.ice

    def loopback_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return ["127.0.0.1"] if use_ipv4 else []

    aioice.ice.get_host_addresses = loopback_host_addresses


def _keep_stream_rendered() -> None:
    import streamlit as st
    import streamlit_webrtc

    original = streamlit_webrtc.webrtc_streamer

    @functools.wraps(original)
    def webrtc_streamer(key: str, *args, **kwargs):
        if key in st.session_state:
            st.session_state[key]._last_rendered_run_count = None
        return original(key, *args, **kwargs)

    streamlit_webrtc.webrtc_streamer = webrtc_streamer


def count(name: str) -> None:
    """Add one to the counter file `$E2E_COUNTS_DIR/<name>.txt` (when the variable is set)."""
    folder = os.environ.get("E2E_COUNTS_DIR")
    if not folder:
        return
    with _lock:
        _counts[name] = _counts.get(name, 0) + 1
        path = Path(folder) / f"{name}.txt"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(str(_counts[name]))
        os.replace(temporary, path)


def _count_calls() -> None:
    import locator.controller
    import locator.photos

    process = locator.controller.LiveController.process

    @functools.wraps(process)
    def counted_process(self, rgb, now):
        out = process(self, rgb, now)
        count("frames")
        count(f"frames_{rgb.shape[1]}x{rgb.shape[0]}")
        return out

    locator.controller.LiveController.process = counted_process

    ended = locator.controller.LiveController.stream_ended

    @functools.wraps(ended)
    def counted_ended(self):
        ended(self)
        count("streams_ended")

    locator.controller.LiveController.stream_ended = counted_ended

    act = locator.controller.LiveController.act

    @functools.wraps(act)
    def counted_act(self, action, seen, now=None):
        before = self.status(time.monotonic()).actions
        act(self, action, seen, now)
        acted = self.status(time.monotonic()).actions > before
        count(f"act_{action}" if acted else f"repeat_{action}")

    locator.controller.LiveController.act = counted_act

    analyse = locator.photos.analyse_photo

    @functools.wraps(analyse)
    def counted_analyse(*args, **kwargs):
        count("photos")
        return analyse(*args, **kwargs)

    locator.photos.analyse_photo = counted_analyse


def _late_messages() -> None:
    seconds = os.environ.get("E2E_FLUSH_SECONDS")
    if seconds:
        import streamlit.runtime.runtime as runtime

        runtime.MESSAGE_FLUSH_INTERVAL_SECS = float(seconds)  # read by the server's loop on every pass


def _late_events() -> None:
    seconds = os.environ.get("E2E_EVENT_LAG_SECONDS")
    if seconds:
        from streamlit.runtime.app_session import AppSession

        def call_late_on_event_loop(self, callback) -> None:  # in order: each waits the same time
            loop = self._event_loop
            loop.call_soon_threadsafe(lambda: loop.call_later(float(seconds), callback))

        AppSession._call_soon_on_event_loop = call_late_on_event_loop


def _trace_runs() -> None:
    import sys

    from streamlit.runtime.app_session import AppSession

    def trace(line: str) -> None:
        print(f"e2e-trace {time.monotonic():.3f} {line}", file=sys.stderr, flush=True)

    asked = AppSession._handle_rerun_script_request
    handled = AppSession._handle_scriptrunner_event_on_event_loop

    @functools.wraps(asked)
    def traced_ask(self, client_state=None):
        if client_state is not None:
            pressed = [state.id[-24:] for state in client_state.widget_states.widgets
                       if state.WhichOneof("value") == "trigger_value" and state.trigger_value]
            what = client_state.fragment_id[-8:] or "page"
            trace(f"session {self.id[:8]} asks: {what} auto={client_state.is_auto_rerun} pressed={pressed}")
        return asked(self, client_state)

    signature = inspect.signature(handled)

    @functools.wraps(handled)
    def traced_event(self, sender, event, *args, **kwargs):
        dropped = " (dropped: its runner is no longer the session's)" if sender is not self._scriptrunner else ""
        if event.name != "ENQUEUE_FORWARD_MSG":
            fragments = signature.bind(self, sender, event, *args, **kwargs).arguments.get("fragment_ids_this_run")
            what = f" {[fragment[-8:] for fragment in fragments]}" if fragments else ""
            trace(f"session {self.id[:8]} {event.name.lower()}{what}{dropped}")
        elif dropped:
            trace(f"session {self.id[:8]} a message{dropped}")
        return handled(self, sender, event, *args, **kwargs)

    AppSession._handle_rerun_script_request = traced_ask
    AppSession._handle_scriptrunner_event_on_event_loop = traced_event
