"""The Streamlit page: a live acupoint overlay with a guided self-massage routine, and a photo mode.

Everything here is rendering and wiring: the pipeline (`locator.live`), the routine (`locator.routine`)
and the photo pipeline (`locator.photos`) know nothing about Streamlit. Start it with `./run app`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import av
import numpy as np
import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from locator.admission import LiveSettings, ViewerSlots
from locator.catalogue import BY_CODE, CATALOGUE, Acupoint
from locator.controller import LiveController, LiveStatus
from locator.detector import MODEL_ENV, HandDetector, resolve_model_path
from locator.errors import ModelError, UserError
from locator.images import find_images
from locator.frame_share import FrameShare, share_viewer_videos
from locator.live import LivePipeline
from locator.korean_map import CAPTION as KOREAN_CAPTION
from locator.overlay import annotate_photo, encode_png
from locator.photos import PhotoResult, analyse_photo
from locator.safety import DOCTOR_CONFIRMATION, SAFETY_CHECKS, SafetyDecision, decide_safety
from locator.steps import overview
from locator.sharing import DetectionPool
from locator.routine_files import PRESETS, ROUTINE_PROBLEMS

SAMPLES_ENV = "LOCATOR_SAMPLES_DIR"
DISCLAIMER = ("For education and self-care only: not a diagnosis or a treatment. Stop if anything hurts, "
              "and ask a doctor about any health concern.")
CAMERA_HELP = ("No picture? Allow the camera in your browser (the camera icon in the address bar), close "
               "other programs that use it, then press START again. No camera at all: use **Photo** mode.")
NEEDS_HTTPS = ("Your browser gives this page no camera because it was opened over plain http from another "
               "machine. Open it with **https://** (ask whoever runs it), or on this machine at "
               "http://localhost:8501. Photo mode works without a camera.")
CAMERA_BLOCKED = ("The camera is blocked for this page. To allow it, click the camera icon (or the padlock) at "
                  "the left of the address bar and choose **Allow**; the video comes back here, then press "
                  "START. Without a camera, use **Photo** mode.")
# The video component's own messages, in plain words (streamlit-webrtc's are terse or raw error names).
CAMERA_MESSAGES = {
    "media_api_not_available": "No camera here: this page needs https:// (or localhost) for the camera.",
    "device_ask_permission": "Please allow this page to use your camera.",
    "device_access_denied": "The camera is blocked: allow it with the camera icon in the address bar, "
                            "then press START again.",
    "device_not_available": "No camera found, or another program is using it.",
}
GALLERY_SIZE = 24   # sample photos shown as thumbnails
THUMBNAIL = 160     # their longer side, in pixels
# Each visitor keeps their last few photos' results (in their own session, never shared).
PHOTOS_KEPT = 4

st.set_page_config(page_title="Hand acupoints", page_icon="🖐️", layout="wide")

# The browser's camera permission for this page ("granted", "prompt" or "denied"), and again whenever the
# person changes it: streamlit-webrtc shows a refused camera only as the raw "NotAllowedError" in its frame.
_camera_permission = st.components.v2.component("camera_permission", js="""
export default function ({ setStateValue }) {
  if (!navigator.permissions) return;
  let status = null;
  navigator.permissions.query({ name: "camera" }).then((found) => {
    status = found;
    setStateValue("state", status.state);
    status.onchange = () => setStateValue("state", status.state);
  }).catch(() => {});  // a browser that cannot tell: the video component's own messages stand
  return () => { if (status) status.onchange = null; };
}
""")

# Asks this viewer's camera for ``data.fps`` frames per second (``null``: the camera's own rate), now and
# whenever the video component starts the camera again. The server shares its frame budget among the
# viewers of the moment; a camera sending more would only cost the viewer's machine and the server's
# decoder. streamlit-webrtc offers no way to change a running camera, so this wraps ``getUserMedia`` in
# its (same-origin) frame and keeps the camera's tracks. Remounted when the rate changes (its key).
# The wrapper also marks the camera's video as "detail": short of CPU or bandwidth, the browser then sends
# fewer frames rather than smaller ones. Without it Chromium sent 480x360 instead of 640x480 for the
# first 20 s of a stream while its bandwidth estimate grew, and the detector needs the pixels: shrunk to
# half, the browser test's pictures lost the pressing hand.
_camera_rate = st.components.v2.component("camera_rate", js="""
export default function ({ data }) {
  window.__locatorCameraFps = data.fps;
  const ask = (media) => {  // the rate wanted now, unless this camera was already asked for it
    const fps = window.__locatorCameraFps;
    if (media.__locatorFps === fps) return;
    media.__locatorFps = fps;
    for (const track of media.__locatorTracks.filter((t) => t.readyState === "live")) {
      const wanted = { ...track.getConstraints() };
      if (fps) wanted.frameRate = { max: fps }; else delete wanted.frameRate;
      track.applyConstraints(wanted).catch(() => {});
    }
  };
  const hook = () => {
    for (const frame of document.querySelectorAll("iframe[title*='streamlit_webrtc']")) {
      const media = frame.contentWindow && frame.contentWindow.navigator.mediaDevices;
      if (!media) continue;
      if (!media.__locatorTracks) {
        media.__locatorTracks = [];
        const getUserMedia = media.getUserMedia.bind(media);
        media.getUserMedia = async (constraints) => {
          const stream = await getUserMedia(constraints);
          media.__locatorTracks = stream.getVideoTracks();
          for (const track of media.__locatorTracks) track.contentHint = "detail";
          media.__locatorFps = undefined;  // a new camera: ask it
          ask(media);
          return stream;
        };
      }
      ask(media);
    }
  };
  hook();
  // The video's frame may load after this component: wrap its getUserMedia before START can be pressed.
  const timer = setInterval(hook, 100);
  return () => clearInterval(timer);
}
""")

# Reports "drawn" once the browser has drawn everything above it on the page and has the code that draws
# checkboxes (3 s after it is mounted at the latest). Streamlit 1.67 fetches each kind of element's code when a
# new page first shows one, and until then draws the element as a 40 px grey placeholder. The safety screen,
# drawn at once, showed its checkboxes (24 px lines) and the components above it (hidden by the page's style,
# which came as late) as placeholders for 0.1-0.3 s: its Continue button then moved up by 164-200 px, under the
# finger of a person reaching for it (in 3 of 4 new pages, tests/e2e/test_layout.py).
_page_drawn = st.components.v2.component("page_drawn", isolate_styles=False, js="""
export default function ({ parentElement, setStateValue }) {
  const placeholderAbove = () => [...document.querySelectorAll("[data-testid='stSkeleton']")].some(
    (placeholder) => placeholder.compareDocumentPosition(parentElement) & Node.DOCUMENT_POSITION_FOLLOWING);
  const started = performance.now();
  const report = () => {
    const drawn = document.querySelector("[data-testid='stCheckbox']") && !placeholderAbove();
    if (!drawn && performance.now() - started < 3000) return false;
    setStateValue("drawn", true);
    return true;
  };
  if (report()) return;
  const timer = setInterval(() => report() && clearInterval(timer), 50);
  return () => clearInterval(timer);
}
""")

# Brings the page element after it into view once, when it is mounted: it is keyed by the number of times
# the person asked to see a photo's result (a sample photo chosen, "Show on the picture" pressed), so each
# such click mounts a new one. On a phone the picture was far from the button pressed: under the folded
# gallery's place, or thousands of pixels above a hand-map card.
_scroll_to_next = st.components.v2.component("scroll_to_next", isolate_styles=False, js="""
export default function ({ parentElement }) {
  const holder = parentElement.closest("[class*='st-key-scroll_to_result_']");
  // The next element that is drawn: the previous click's own (hidden) holder can still follow this one.
  const nextDrawn = () => {
    let next = holder && holder.nextElementSibling;
    while (next && !next.getClientRects().length) next = next.nextElementSibling;
    return next;
  };
  const started = performance.now();
  let frame = requestAnimationFrame(function look() {
    const next = nextDrawn();
    if (next) next.scrollIntoView({ block: "start" });
    else if (performance.now() - started < 3000) frame = requestAnimationFrame(look);
  });
  return () => cancelAnimationFrame(frame);
}
""")

# The components above draw nothing: they only talk to the browser. Kept out of the layout, they leave no
# empty 16 px gap (above the camera line, the video, the safety questions and a photo's result). Style only:
# Streamlit adds no element.
HIDE_SCRIPT_ONLY_COMPONENTS = ("<style>.st-key-camera_permission, [class*='st-key-camera_rate_'], .st-key-page_drawn, "
                               "[class*='st-key-scroll_to_result_'] "
                               "{display: none}</style>")


# --- Streamlit on a busy server -------------------------------------------------------------------

def keep_finished_runs() -> None:
    """Make Streamlit deliver every finished run's messages. In the pinned Streamlit 1.67 a rerun asked for
    after a run has finished, but before the server has handled what that run reported, finds its runner
    closed and gets a new one, and the finished run's messages (its new elements) are then dropped as coming
    from a runner that is no longer the session's. On a busy server the timed fragments' reruns often come
    in that moment: after a click on Pause the card said "Paused" and the button went on saying Pause (the
    buttons' fragment is drawn again only by a click). Here such a request waits until the finished runner
    has reported everything, then runs as it would have. Applied once per server process; it changes
    nothing while the server keeps up."""
    from streamlit.runtime.app_session import AppSession, AppSessionState
    from streamlit.runtime.scriptrunner import ScriptRunnerEvent

    if getattr(AppSession, "_keeps_finished_runs", False):
        return
    create_runner = AppSession._create_scriptrunner
    handle_event = AppSession._handle_scriptrunner_event_on_event_loop

    def run_waiting(session) -> None:
        """A new runner for the oldest waiting request; the later ones go to it (one it turns down waits)."""
        first, *later = session._reruns_waiting
        session._reruns_waiting = []
        create_runner(session, first)
        session._reruns_waiting = [request for request in later if not session._scriptrunner.request_rerun(request)]

    def create_or_wait(session, rerun_data) -> None:
        session._reruns_waiting = [*session.__dict__.get("_reruns_waiting", []), rerun_data]
        if session._scriptrunner is None:  # else it turned the request down: finished, not yet reported
            run_waiting(session)

    def handle_then_run_waiting(session, sender, event, *args, **kwargs) -> None:
        handle_event(session, sender, event, *args, **kwargs)
        if event == ScriptRunnerEvent.SHUTDOWN and session.__dict__.get("_reruns_waiting") \
                and session._scriptrunner is None:
            if session._state == AppSessionState.SHUTDOWN_REQUESTED:
                session._reruns_waiting = []
            else:
                run_waiting(session)

    AppSession._create_scriptrunner = create_or_wait
    AppSession._handle_scriptrunner_event_on_event_loop = handle_then_run_waiting
    AppSession._keeps_finished_runs = True


# --- shared resources -----------------------------------------------------------------------------

@st.cache_resource
def photo_detector() -> tuple[HandDetector, threading.Lock]:
    """One IMAGE-mode detector for the whole server; MediaPipe graphs are not re-entrant, hence the lock."""
    return HandDetector(), threading.Lock()


@dataclass(frozen=True)
class ShownPhoto:
    """One photo's result with its annotated picture and PNG (None when the photo could not be read), and
    the picture before annotation, which the hand map draws on again."""

    result: PhotoResult
    picture: np.ndarray | None
    png: bytes | None
    scale: float = 1.0  # picture pixels per photo pixel (hand coordinates are the full photo's)
    plain: np.ndarray | None = None


def locate_upload(data: bytes, name: str, mirrored: bool) -> ShownPhoto:
    """Detect, annotate and encode one photo, kept in this visitor's session: every click on the page
    reruns it, and every tab, so each photo would otherwise be detected and encoded again."""
    kept: dict[str, ShownPhoto] = st.session_state.setdefault("photos", {})
    key = hashlib.sha256(data + f"\0{name}\0{mirrored}".encode()).hexdigest()
    if key not in kept:
        with st.spinner("Finding the hands..."):
            kept[key] = _locate(data, name, mirrored)
        while len(kept) > PHOTOS_KEPT:
            kept.pop(next(iter(kept)))
    return kept[key]


def _locate(data: bytes, name: str, mirrored: bool) -> ShownPhoto:
    detector, lock = photo_detector()
    with lock:
        result = analyse_photo(data, detector, mirrored, label=name)
    if result.error:
        return ShownPhoto(result, None, None)
    picture = annotate_photo(result.photo.rgb, result.hands, 1 / result.photo.scale)
    # Kept entries hold the pictures, not the whole decoded photo as well.
    return ShownPhoto(replace(result, photo=None), picture, encode_png(picture), 1 / result.photo.scale,
                      result.photo.rgb)


# --- photo mode -----------------------------------------------------------------------------------

def point_card(point: Acupoint, where: str, place: str) -> None:
    """A point's card on the hand map: names, where, how, traditional use, cautions, and a button that
    rings it on the ``where`` ("picture" or "video"); ``place`` tells the page's hand maps apart."""
    with st.container(border=True):
        st.markdown(f"**{point.code} {point.pinyin} {point.hanzi}** — {point.english}")
        st.markdown(f"**Where:** {point.location}  \n**How:** {point.how_to_press}"
                    + (f"  \n**Use:** {point.traditional_use}" if point.traditional_use else ""))
        show_cautions(point)
        st.button(f"Show on the {where}", key=f"pick_{place}_{point.code}", on_click=_pick, args=(point.code,))


def _pick(code: str | None) -> None:
    st.session_state.picked_point = code
    if code is not None:
        _bring_result_into_view()


def _bring_result_into_view() -> None:
    st.session_state.result_views = st.session_state.get("result_views", 0) + 1


def show_cautions(point: Acupoint) -> None:
    for caution in point.cautions:
        st.caption(f"⚠️ {caution}")


def show_photo_result(shown: ShownPhoto, place: str) -> None:
    """One photo's result; ``place`` (the tab it is in) keeps its switches apart from another tab's."""
    result = shown.result
    if result.error:
        st.error(f"{result.image}: {result.error}")
        return
    views = st.session_state.get("result_views", 0)
    if views:
        _scroll_to_next(key=f"scroll_to_result_{place}_{views}")
    korean = bool(result.hands) and korean_toggle(place)
    left, right = st.columns([3, 2])
    left.image(hand_map_picture(shown, st.session_state.get("picked_point"), korean),
               caption=f"{result.image} ({result.width}×{result.height})", width="stretch")
    with right:
        if not result.hands:
            st.warning("No hand found. Try a photo where the whole hand is in view, well lit, "
                       "with the palm or the back toward the camera.")
        for number, hand in enumerate(result.hands, start=1):
            st.markdown(f"**Hand {number}:** {hand.handedness} hand, {hand.facing} toward the camera "
                        f"({hand.handedness_score:.0%} sure)")
        stem = Path(result.image).stem
        st.download_button("Download annotated PNG", shown.png, f"{stem}.annotated.png",
                           "image/png")
        st.download_button("Download JSON", json.dumps(result.to_json(), ensure_ascii=False, indent=1),
                           f"{stem}.json", "application/json")
    if result.hands:
        hand_map_cards({p.code for hand in result.hands for p in hand.points if p.on_visible_face}, "picture",
                       place)


def korean_toggle(place: str) -> bool:
    """The switch for Korean hand therapy's map, with the line saying what it is when it is on."""
    korean = st.toggle("Korean hand therapy map", key=f"korean_map_{place}",
                       help="The hand as a traditional map of the body")
    if korean:
        st.caption(KOREAN_CAPTION)
    return korean


def hand_map_picture(shown: ShownPhoto, picked: str | None, korean: bool) -> np.ndarray:
    """The annotated picture, with the picked point ringed and, if asked, the Korean map's zones."""
    if not picked and not korean:
        return shown.picture
    return annotate_photo(shown.plain, shown.result.hands, shown.scale, picked=picked, korean=korean)


def hand_map_cards(visible: set[str] | frozenset[str], where: str, place: str) -> None:
    """The hand map: every point on the faces in view (``visible`` codes), grouped by meridian or region,
    a card each (:func:`point_card`)."""
    st.subheader("The hand map")
    picked = st.session_state.get("picked_point")
    if picked in visible:  # a point picked on another photo or face is not said to be ringed here
        st.info(f"Ringed on the {where}: {picked} {BY_CODE[picked].pinyin}")
        st.button("Clear the ring", key=f"pick_none_{place}", on_click=_pick, args=(None,))
    if not visible:
        st.info("No point is on the face in view: turn the hand so its palm or back faces the camera.")
    groups: dict[str, list[Acupoint]] = {}
    for point in CATALOGUE:
        if point.code in visible:
            groups.setdefault(point.group, []).append(point)
    for group, points in groups.items():
        with st.expander(f"{group} ({len(points)})", expanded=True):
            columns = st.columns(2)
            for index, point in enumerate(points):
                with columns[index % 2]:
                    point_card(point, where, place)


def samples_folder() -> Path | None:
    """The host's sample folder (``$LOCATOR_SAMPLES_DIR``), never the visitor's; None when unset."""
    configured = os.environ.get(SAMPLES_ENV)
    return Path(configured) if configured else None


@st.cache_resource
def report_no_samples() -> None:
    """Once per server, in its log: how the host fills the sample gallery (the visitor is only told there
    is none: the setting is the host's)."""
    print(f"locator: no sample photos: set {SAMPLES_ENV} to a folder of photos "
          "(`python -m locator samples --to DIR` fills one)", file=sys.stderr)


@st.cache_resource(ttl=60)
def sample_gallery(folder: Path | None) -> list[tuple[Path, np.ndarray]]:
    """Up to :data:`GALLERY_SIZE` photos of the host's sample folder with small thumbnails."""
    from PIL import Image

    gallery = []
    for path in (find_images(folder) if folder and folder.is_dir() else [])[:GALLERY_SIZE]:
        try:
            with Image.open(path) as image:
                image.thumbnail((THUMBNAIL, THUMBNAIL))
                gallery.append((path, np.asarray(image.convert("RGB"))))
        except OSError:
            continue  # an unreadable file is left out of the gallery
    return gallery


def _choose_sample(index: int) -> None:
    st.session_state.sample_choice = index
    st.session_state.sample_gallery = False  # fold the gallery
    _bring_result_into_view()


def photo_mode() -> None:
    mirrored = st.checkbox("This photo is mirrored (a selfie)", value=False,
                           help="Selfie cameras mirror the picture, which swaps left and right.")
    upload_tab, camera_tab, samples_tab = st.tabs(["Upload a photo", "Take a snapshot", "Sample photos"])
    with upload_tab:
        upload = st.file_uploader("A photo of a hand", type=None, key="upload")
        if upload is not None:
            show_photo_result(locate_upload(upload.getvalue(), upload.name, mirrored), "upload")
    with camera_tab:
        snapshot = st.camera_input("Hold your hand up to the camera", key="snapshot")
        if snapshot is not None:
            show_photo_result(locate_upload(snapshot.getvalue(), "snapshot.jpg", mirrored), "snapshot")
    with samples_tab:
        gallery = sample_gallery(samples_folder())
        if not gallery:
            st.info("No sample photos here: upload a photo or take a snapshot instead.")
            report_no_samples()
            return
        # The gallery folds away once a photo is chosen, so the result is in view, not under 24 thumbnails
        # (on a phone they stack into one long column); it opens again to choose another.
        with st.expander(f"Sample photos ({len(gallery)})", expanded=True, key="sample_gallery", on_change="rerun"):
            columns = st.columns(8)
            for index, (path, thumbnail) in enumerate(gallery):
                with columns[index % 8]:
                    st.image(thumbnail, width="stretch")
                    st.button("Use this", key=f"sample_{index}", width="stretch", on_click=_choose_sample,
                              args=(index,))
        choice = st.session_state.get("sample_choice")
        if choice is not None and choice < len(gallery):
            path = gallery[choice][0]
            show_photo_result(locate_upload(path.read_bytes(), path.name, mirrored), "sample")


# --- live mode ------------------------------------------------------------------------------------

@st.cache_resource
def detection_pool() -> DetectionPool | None:
    """Worker processes detecting hands for every viewer of this server (host setting
    ``LOCATOR_DETECT_WORKERS``; 0 detects in the page process)."""
    return DetectionPool.from_environment()


@st.cache_resource
def live_settings() -> LiveSettings:
    """The host's settings for the live view (``LOCATOR_MAX_VIEWERS``, ``LOCATOR_VIEWER_FPS``,
    ``LOCATOR_ICE_SERVERS``)."""
    return LiveSettings.from_environment()


@st.cache_resource
def viewer_slots() -> ViewerSlots:
    """Who is in the live view of this server, at most the host's ``LOCATOR_MAX_VIEWERS``."""
    return ViewerSlots(live_settings().max_viewers)


@st.cache_resource
def report_routine_problems() -> None:
    """The host's routine files that were left out, once per server, in its log (not on the page: they
    name files of the server)."""
    for problem in ROUTINE_PROBLEMS:
        print(f"locator: routine file left out: {problem}", file=sys.stderr)


@st.cache_resource
def frame_share() -> FrameShare | None:
    """The host's ``LOCATOR_FRAME_BUDGET``, shared equally by every live video of this server."""
    budget = live_settings().frame_budget
    if budget is None:
        return None
    share = FrameShare(budget)
    share_viewer_videos(share)
    return share


def viewer_id() -> str:
    return st.session_state.setdefault("viewer_id", uuid.uuid4().hex)


def live_controller() -> LiveController:
    """This browser session's controller (the video thread and the page share it)."""
    if "live_controller" not in st.session_state:
        pool = detection_pool()
        st.session_state.live_controller = LiveController(
            lambda: LivePipeline(pool.video_detector() if pool else None))
    return st.session_state.live_controller


def safety_screen() -> None:
    """The questions before the routine; the answers decide whether and how it runs. They are drawn once
    the page above them is (`_page_drawn`), each at its final size, so nothing moves under a finger."""
    st.markdown("#### Before you start")
    if not page_drawn():
        return
    # Why the answers given do not let the routine start, above the questions: under them, on a phone,
    # it fell below the screen and Continue seemed to do nothing.
    decision = st.session_state.get("safety_decision")  # one that lets the routine start ends this screen
    if decision is not None:
        for reason in decision.reasons:
            st.error(reason)
        if decision.needs_doctor_confirmation:
            st.warning(f"Please ask your doctor first; then tick \"{DOCTOR_CONFIRMATION.rstrip('.')}\".")
    with st.form("safety"):
        for check in SAFETY_CHECKS:
            st.checkbox(check.question, key=f"safety_{check.key}")
        st.checkbox(DOCTOR_CONFIRMATION, key="doctor_agreed")
        # Decided in the callback, before the page is drawn again: a cleared form is gone at once.
        st.form_submit_button("Continue", on_click=_decide_safety)


def page_drawn() -> bool:
    """Whether the browser has drawn the page above this point, and can draw checkboxes at once."""
    return bool(_page_drawn(key="page_drawn", on_drawn_change=lambda: None).get("drawn"))


def _decide_safety() -> None:
    answers = {check.key: st.session_state[f"safety_{check.key}"] for check in SAFETY_CHECKS}
    st.session_state.safety_decision = decide_safety(answers, st.session_state["doctor_agreed"])


def cleared_to_start() -> SafetyDecision | None:
    """The safety screen's decision if it lets the routine start, else None."""
    decision = st.session_state.get("safety_decision")
    return decision if decision is not None and decision.proceed else None


def camera_line(status: LiveStatus) -> None:
    """Whether the camera is on, and the frame rate the person gets (when wanted)."""
    if not status.steps:  # the safety questions are on screen: they come first
        st.caption("Camera off: answer the questions below and press **Continue**, then **START** under the video."
                   if not status.streaming else "Camera on: answer the questions below and press **Continue**.")
    elif not status.streaming:
        st.caption("Camera off: press **START** under the video.")
    elif status.frames_per_second is not None and st.session_state.get("show_fps", True):
        st.caption(f"Camera on, {status.frames_per_second:.1f} frames per second")
    else:
        st.caption("Camera on")


def camera_status(controller: LiveController) -> None:
    """The camera line, and any error from the video thread (refreshed twice a second, which also renews
    this viewer's place in the live view while the page is open)."""
    viewer_slots().renew(viewer_id())
    status = controller.status(time.monotonic())
    ask_camera_rate(status.streaming)
    if status.error:
        st.error(status.error)
    camera_line(status)


def ask_camera_rate(streaming: bool) -> None:
    """Ask this viewer's camera for its part of the server's frame budget, as viewers come and go."""
    share = frame_share()
    viewers = share.viewers() + (not streaming) if share else 1
    fps = live_settings().camera_rate(viewers)
    fps = fps and round(fps, 1)
    _camera_rate(data={"fps": fps}, key=f"camera_rate_{fps}")


def routine_panel(controller: LiveController) -> None:
    """The step card: what to do now, then the routine's buttons. The step refreshes itself twice a
    second; the buttons are a fragment of their own under it, drawn again only by a click or a new page,
    so each carries the number of actions the person had seen and a click that Streamlit delivers twice
    acts once (`LiveController.act`). (With the buttons above the step, the page now and then kept
    showing the label from before a click: 3 times in about 560 clicks of the browser test, none in
    about 640 with them under it.)"""
    for note in controller.status(time.monotonic()).notes:
        st.info(note)
    with st.container(border=True, key="step_card"):
        live_fragment(step_now, controller, run_every=0.5)
        live_fragment(routine_buttons, controller)


def step_now(controller: LiveController) -> None:
    """The current step, what the camera sees of it, how long is left, and the step's point and cautions."""
    status = controller.status(time.monotonic())
    view = status.view
    if view is None:
        headline, lines = overview(status.steps)
        st.markdown(f"**{headline}:**\n\n" + "\n".join(f"{number}. {line}" for number, line in enumerate(lines, 1))
                    + "\n\nPress **START** under the video to begin.")
        return
    if view.finished:
        st.success(f"Done. {view.summary.sentence()} Shake your hands loose.")
        return
    step = view.step
    st.markdown(f"#### Step {view.step_index + 1} of {view.step_count}: {step.title}")
    st.markdown(step.instruction)
    if view.paused:
        st.warning("Paused: press Resume to go on")
    elif not status.streaming:
        st.warning("Waiting for the camera")
    elif view.prompt:
        st.warning(view.prompt)
    elif view.on_target:
        st.success("On the point: keep pressing" if view.target else "Good: keep going")
    else:
        st.info("Put a fingertip of your other hand on the ring")
    st.progress(view.step_progress, text=f"{view.seconds_left:.0f} s left on this step")
    st.progress(view.routine_progress, text="Whole routine")
    if step.target:
        point = BY_CODE[step.target]
        st.caption(f"{point.code} {point.pinyin} {point.hanzi}: {point.location}")
        show_cautions(point)
    for caution in step.cautions:
        st.caption(f"⚠️ {caution}")


def routine_buttons(controller: LiveController) -> None:
    """Pause or Resume (whichever applies now), Back, Skip, Restart. Each acts in its callback, before
    the buttons are drawn again, so the labels show the state after the click (the step above them shows
    it at its next refresh). Pause and Resume are one button (one key) that changes its label: as two, the
    page now and then went on showing the old one after the click."""
    status = controller.status(time.monotonic())
    paused = status.view is not None and status.view.paused
    buttons = {"pause": ("Resume", "resume") if paused else ("Pause", "pause"),
               "back": ("Back", "back"), "skip": ("Skip", "skip"), "restart": ("Restart", "restart")}
    # Two by two, never stacked: on a phone the four stacked buttons pushed the video another 200 px down,
    # and four in one row do not fit.
    columns = [column for _ in range(2) for column in st.columns(2, wrap=False)]
    for column, (key, (label, action)) in zip(columns, buttons.items()):
        column.button(label, key=f"routine_{key}", width="stretch",
                      on_click=controller.act, args=(action, status.actions))


def live_fragment(body: Callable[[LiveController], None], controller: LiveController,
                  run_every: float | None = None) -> None:
    """``body`` as a fragment (drawn again on its own, every ``run_every`` seconds if given) in a container
    of its own. When a fragment's own run starts just after a whole-page run, before that run's messages
    have left the server, Streamlit 1.67 drops the fragment's part of them; the browser then removes the
    fragment's old box, the elements after it move up one place, and the fragment's new box lands on the
    next one (the routine picker vanished after Continue) or on a place that is gone (the page went
    blank: "Cannot set a node at a delta path"). In a container of its own only the fragment can move."""
    with st.container():
        st.fragment(body, run_every=run_every)(controller)


def live_mode() -> None:
    if not viewer_slots().claim(viewer_id()):
        st.warning(live_settings().busy_message())
        st.button("Try again")
        return
    controller = live_controller()
    controller.selfie = st.sidebar.toggle("Selfie view (mirrored)", value=True, key="selfie")
    st.sidebar.toggle("Show frame rate", value=True, key="show_fps")
    panel, video = st.columns([1, 1])  # on a phone the columns stack: the step comes first
    with video:
        blocked = camera_blocked()
        if camera_forbidden():
            st.warning(NEEDS_HTTPS)  # instead of the video component's raw "navigator.mediaDevices" error
        elif blocked:
            st.error(CAMERA_BLOCKED)  # instead of its raw "NotAllowedError"
        else:
            live_video(controller)
        live_fragment(live_hand_map, controller, run_every=1.0)
    with panel:
        live_fragment(camera_status, controller, run_every=0.5)
        decision = cleared_to_start()
        if decision is None:
            safety_screen()
            return
        report_routine_problems()
        preset = st.selectbox("Routine", list(PRESETS), key="preset")
        controller.choose_routine(preset, decision.pregnant)
        routine_panel(controller)


def live_video(controller: LiveController) -> None:
    """The camera's video through the controller, with the video component's messages in plain words."""
    frame_share()
    webrtc_streamer(
        key="live", mode=WebRtcMode.SENDRECV, rtc_configuration=live_settings().rtc_configuration(),
        media_stream_constraints=live_settings().camera_constraints(),
        video_frame_callback=lambda frame: _video_frame(controller, frame),
        on_video_ended=controller.stream_ended,  # frees the pipeline's graphs when the camera stops
        async_processing=True,  # the worker takes the newest frame and drops the ones it missed
        translations=CAMERA_MESSAGES,
    )
    st.caption(CAMERA_HELP)


def live_hand_map(controller: LiveController) -> None:
    """The hand map under the video, when asked for: the points on the faces in view now (refreshed every
    second); the controller draws the picked one's ring and the Korean map's zones on the video. Off, it
    costs the server nothing while the routine runs."""
    controller.korean = korean_toggle("live")
    cards = st.toggle("Hand map: the points in view", key="hand_map_live",
                      help="A card for each point on the hand the camera sees; pick one to ring it")
    controller.picked = st.session_state.get("picked_point") if cards else None
    status = controller.status(time.monotonic())
    if cards and status.streaming:
        hand_map_cards(status.in_view, "video", "live")
    elif cards:
        st.caption("Start the camera to see the points of your hand.")


def camera_blocked() -> bool:
    """Whether the person (or the browser's settings) refused this page the camera."""
    return _camera_permission(key="camera_permission", on_state_change=lambda: None).get("state") == "denied"


def _video_frame(controller: LiveController, frame) -> av.VideoFrame:
    rgb = controller.process(frame.to_ndarray(format="rgb24"), time.monotonic())
    return av.VideoFrame.from_ndarray(rgb, format="rgb24")


def camera_forbidden() -> bool:
    """Whether the browser will refuse the camera: the page came over plain http from another machine
    (browsers allow the camera only on https and on localhost)."""
    url = st.context.url or ""
    host = url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    return url.startswith("http://") and host not in ("localhost", "127.0.0.1", "::1")


# --- page -----------------------------------------------------------------------------------------

def main() -> None:
    keep_finished_runs()
    st.html(HIDE_SCRIPT_ONLY_COMPONENTS)
    st.markdown("### Hand acupoints")
    st.markdown(DISCLAIMER)
    mode = st.radio("Mode", ["Live routine", "Photo"], key="mode", horizontal=True,
                    label_visibility="collapsed")
    try:
        resolve_model_path()  # a missing model: one line now, not a traceback later
        if mode == "Photo":
            viewer_slots().release(viewer_id())  # a place in the live view is free again at once
            photo_mode()
        else:
            live_mode()
    except ModelError as error:
        st.error(f"{error}. The host sets the model with {MODEL_ENV}.")
    except UserError as error:
        st.error(str(error))


main()
