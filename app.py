"""The Streamlit page: a live acupoint overlay with a guided self-massage routine, and a photo mode.

Everything here is rendering and wiring: the pipeline (`locator.live`), the routine (`locator.routine`)
and the photo pipeline (`locator.photos`) know nothing about Streamlit. Start it with `./run app`.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import streamlit as st

from locator.admission import LiveSettings, ViewerSlots
from locator.catalogue import BY_CODE, CATALOGUE, Acupoint
from locator.detector import HandDetector
from locator.images import find_images
from locator.live import LivePipeline, draw
from locator.overlay import TargetAnnotator, annotate_photo, draw_text, encode_png
from locator.photos import PhotoResult, analyse_photo
from locator.sharing import DetectionPool
from locator.routine import (DOCTOR_CONFIRMATION, PRESETS, SAFETY_CHECKS, Routine, RoutineView,
                             SafetyDecision, decide_safety)
from locator.webrtc_testing import apply_loopback_ice_patch

REPO = Path(__file__).resolve().parent
SAMPLES_ENV = "LOCATOR_SAMPLES_DIR"
DISCLAIMER = ("For education and self-care only: not a diagnosis or a treatment. Stop if anything hurts, "
              "and ask a doctor about any health concern.")
CAMERA_HELP = ("No picture? Allow the camera in your browser (the camera icon in the address bar), close "
               "other programs that use it, then press START again. No camera at all: use **Photo** mode.")

st.set_page_config(page_title="Hand acupoints", page_icon="🖐️", layout="wide")
apply_loopback_ice_patch()  # does nothing unless the browser tests ask for it


# --- shared resources -----------------------------------------------------------------------------

@st.cache_resource
def photo_detector() -> tuple[HandDetector, threading.Lock]:
    """One IMAGE-mode detector for the whole server; MediaPipe graphs are not re-entrant, hence the lock."""
    return HandDetector(), threading.Lock()


@dataclass(frozen=True)
class ShownPhoto:
    """One photo's result with its annotated picture and PNG (None when the photo could not be read)."""

    result: PhotoResult
    picture: np.ndarray | None
    png: bytes | None


@st.cache_resource(max_entries=4, show_spinner="Finding the hands...")
def locate_upload(data: bytes, name: str, mirrored: bool) -> ShownPhoto:
    """Detect, annotate and encode one photo, kept across reruns: every click on the page reruns it,
    and every tab, so each photo would otherwise be detected and encoded again."""
    detector, lock = photo_detector()
    with lock:
        result = analyse_photo(data, detector, mirrored, label=name)
    if result.error:
        return ShownPhoto(result, None, None)
    picture = annotate_photo(result.photo.rgb, result.hands, 1 / result.photo.scale)
    # Cached entries keep the annotated picture only, not the decoded photo as well.
    return ShownPhoto(replace(result, photo=None), picture, encode_png(picture))


# --- photo mode -----------------------------------------------------------------------------------

def point_card(point: Acupoint, visible: bool) -> None:
    with st.container(border=True):
        st.markdown(f"**{point.code} {point.pinyin} {point.hanzi}** — {point.english}"
                    + ("" if visible else "  \n:grey[on the other face of this hand]"))
        st.markdown(f"**Where:** {point.location}  \n**How:** {point.how_to_press}")
        show_cautions(point)


def show_cautions(point: Acupoint) -> None:
    for caution in point.cautions:
        st.caption(f"⚠️ {caution}")


def show_photo_result(shown: ShownPhoto) -> None:
    result = shown.result
    if result.error:
        st.error(f"{result.image}: {result.error}")
        return
    left, right = st.columns([3, 2])
    left.image(shown.picture, caption=f"{result.image} ({result.width}×{result.height})", use_container_width=True)
    with right:
        if not result.hands:
            st.warning("No hand found. Try a photo where the whole hand is in view, well lit, "
                       "with the palm or the back toward the camera.")
        for number, hand in enumerate(result.hands, start=1):
            st.markdown(f"**Hand {number}:** {hand.handedness} hand, {hand.facing} toward the camera "
                        f"(sure to {hand.handedness_score:.0%})")
        stem = Path(result.image).stem
        st.download_button("Download annotated PNG", shown.png, f"{stem}.annotated.png",
                           "image/png")
        st.download_button("Download JSON", json.dumps(result.to_json(), ensure_ascii=False, indent=1),
                           f"{stem}.json", "application/json")
    if result.hands:
        shown = {p.code: p.on_visible_face for hand in result.hands for p in hand.points}
        st.subheader("The points")
        columns = st.columns(3)
        for index, point in enumerate(CATALOGUE):
            with columns[index % 3]:
                point_card(point, shown.get(point.code, False))


def samples_folder() -> Path:
    return Path(os.environ.get(SAMPLES_ENV) or REPO / "samples" / "photos")


def photo_mode() -> None:
    st.header("Find the points on a photo")
    mirrored = st.checkbox("This photo is mirrored (a selfie)", value=False,
                           help="Selfie cameras mirror the picture, which swaps left and right.")
    upload_tab, camera_tab, samples_tab = st.tabs(["Upload a photo", "Take a snapshot", "Sample photos"])
    with upload_tab:
        upload = st.file_uploader("A photo of a hand", type=None, key="upload")
        if upload is not None:
            show_photo_result(locate_upload(upload.getvalue(), upload.name, mirrored))
    with camera_tab:
        snapshot = st.camera_input("Hold your hand up to the camera", key="snapshot")
        if snapshot is not None:
            show_photo_result(locate_upload(snapshot.getvalue(), "snapshot.jpg", mirrored))
    with samples_tab:
        folder = Path(st.text_input("Sample folder", str(samples_folder()), key="samples_folder"))
        photos = find_images(folder) if folder.is_dir() else []
        if not photos:
            st.info(f"No photos in {folder}. Fill it with the public sample set: "
                    "`python -m locator samples` (it copies and checks them), or point to another folder.")
        else:
            choice = st.selectbox("Sample photo", photos, format_func=lambda p: str(p.relative_to(folder)),
                                  key="sample_choice")
            show_photo_result(locate_upload(choice.read_bytes(), choice.name, mirrored))


# --- live mode ------------------------------------------------------------------------------------

@dataclass
class LiveSession:
    """What the video thread and the page share for one browser session (guarded by ``lock``).

    The video callback runs on streamlit-webrtc's worker thread: it updates the pipeline and the
    routine and leaves the latest view here; the page only reads it and forwards button presses.
    """

    pipeline: LivePipeline
    lock: threading.Lock = field(default_factory=threading.Lock)
    routine: Routine | None = None
    view: RoutineView | None = None
    selfie: bool = True
    show_fps: bool = True
    frames: int = 0
    fps: float = 0.0
    _last_frame: float | None = None

    def process(self, rgb, now: float):
        """One camera frame (RGB, as the camera sees it) in, the drawn frame out."""
        if self.selfie:
            rgb = rgb[:, ::-1]  # show the user a mirror, as every video-call app does
        rgb = rgb.copy()  # writeable and contiguous for drawing
        self.pipeline.mirrored = self.selfie
        result = self.pipeline.process(rgb, int(now * 1000))
        with self.lock:
            view = self.routine.update(result.hands, now) if self.routine else None
            self.view = view
            self._count_frame(now)
        target = view.target if view and not view.finished else None
        others = [point.code for point in CATALOGUE if point.code != target] if target else []
        draw(rgb, result, dimmed=others, labels=target is None, hidden="skip")
        if target:
            TargetAnnotator(target, view.step.hand, view.on_target, now).annotate(rgb, result.hands)
        if self.show_fps:
            draw_text(rgb, f"{self.fps:4.1f} fps", (rgb.shape[1] - 110, 24), 14)
        return rgb

    def _count_frame(self, now: float) -> None:
        if self._last_frame is not None and now > self._last_frame:
            instant = 1.0 / (now - self._last_frame)
            self.fps = instant if self.fps == 0 else 0.9 * self.fps + 0.1 * instant
        self._last_frame = now
        self.frames += 1


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


def viewer_id() -> str:
    return st.session_state.setdefault("viewer_id", uuid.uuid4().hex)


def live_session() -> LiveSession:
    if "live_session" not in st.session_state:
        pool = detection_pool()
        st.session_state.live_session = LiveSession(LivePipeline(pool.video_detector() if pool else None))
    return st.session_state.live_session


def safety_screen() -> None:
    """The questions before the routine; the answers decide whether and how it runs."""
    st.subheader("Before you start")
    with st.form("safety"):
        answers = {check.key: st.checkbox(check.question, key=f"safety_{check.key}")
                   for check in SAFETY_CHECKS}
        doctor_agreed = st.checkbox(DOCTOR_CONFIRMATION, key="doctor_agreed")
        submitted = st.form_submit_button("Continue")
    if submitted:
        decision = decide_safety(answers, doctor_agreed)
        st.session_state.safety_decision = decision
    decision = st.session_state.get("safety_decision")
    if decision is None:
        return
    for reason in decision.reasons:
        (st.info if decision.proceed else st.error)(reason)
    if decision.needs_doctor_confirmation and not decision.proceed:
        st.warning(f"Please ask your doctor first; then tick \"{DOCTOR_CONFIRMATION}\".")


def cleared_to_start() -> SafetyDecision | None:
    """The safety screen's decision if it lets the routine start, else None."""
    decision = st.session_state.get("safety_decision")
    return decision if decision is not None and decision.proceed else None


def step_panel(session: LiveSession) -> None:
    """The current step, refreshed twice a second from what the video thread left (which also renews
    this viewer's slot while the page is open)."""
    viewer_slots().renew(viewer_id())
    with session.lock:
        view, routine = session.view, session.routine
        fps, frames = session.fps, session.frames
    st.caption(f"Processed {frames} frames, {fps:.1f} frames/s")
    if routine is None:
        return
    for note in routine.notes:
        st.info(note)
    if view is None:
        st.info("Press START under the video to begin.")
        return
    if view.finished:
        summary = view.summary
        st.success(f"Done: {summary.steps_done} steps, {summary.steps_skipped} skipped, "
                   f"{summary.seconds_pressed:.0f} s of pressing. Shake your hands loose.")
        return
    step = view.step
    st.markdown(f"#### Step {view.step_index + 1} of {view.step_count}: {step.title}")
    st.markdown(step.instruction)
    if view.paused:
        st.warning("Paused")
    elif view.prompt:
        st.warning(view.prompt)
    elif view.target:
        (st.success if view.on_target else st.info)(
            "On the point: keep pressing" if view.on_target else "Put a fingertip of your other hand on the ring")
    st.progress(view.step_progress, text=f"{view.seconds_left:.0f} s left on this step")
    st.progress(view.routine_progress, text="Whole routine")
    if step.target:
        point = BY_CODE[step.target]
        st.caption(f"{point.code} {point.pinyin} {point.hanzi}: {point.location}")
        show_cautions(point)


def routine_controls(session: LiveSession) -> None:
    preset = st.sidebar.selectbox("Routine", list(PRESETS), key="preset")
    decision = cleared_to_start()
    if decision is None:
        return
    if session.routine is None or session.routine.preset != preset:
        with session.lock:
            session.routine = Routine(preset, pregnant=decision.pregnant)
            session.view = None
    with session.lock:
        paused = session.view is not None and session.view.paused
    actions = {"Resume" if paused else "Pause": "resume" if paused else "pause",
               "Back": "back", "Skip": "skip", "Restart": "restart"}
    for column, (label, method) in zip(st.columns(len(actions)), actions.items()):
        if column.button(label, key=f"routine_{method}", use_container_width=True):
            with session.lock:
                getattr(session.routine, method)(time.monotonic())


def live_mode() -> None:
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    settings = live_settings()
    if not viewer_slots().claim(viewer_id()):
        st.header("Live: find the points on your hand")
        st.warning(settings.busy_message())
        st.button("Try again")
        return
    session = live_session()
    session.selfie = st.sidebar.toggle("Selfie view (mirrored)", value=True, key="selfie")
    session.show_fps = st.sidebar.toggle("Show frame rate", value=True, key="show_fps")
    st.header("Live: find the points on your hand")
    video, panel = st.columns([3, 2])
    with video:
        # streamlit-webrtc 0.79.0 sometimes drops a stream it thinks was not rendered; clearing this
        # private counter before each call avoids it (FACTS.md; the version is pinned for this).
        if "live" in st.session_state:
            st.session_state["live"]._last_rendered_run_count = None
        webrtc_streamer(
            key="live", mode=WebRtcMode.SENDRECV, rtc_configuration=settings.rtc_configuration(),
            media_stream_constraints=settings.camera_constraints(),
            video_frame_callback=lambda frame: _video_frame(session, frame),
            async_processing=True,  # the worker takes the newest frame and drops the ones it missed
        )
        st.caption(CAMERA_HELP)
    with panel:
        if cleared_to_start() is None:
            safety_screen()
        routine_controls(session)
        st.fragment(step_panel, run_every=0.5)(session)


def _video_frame(session: LiveSession, frame):
    import av

    rgb = session.process(frame.to_ndarray(format="rgb24"), time.monotonic())
    return av.VideoFrame.from_ndarray(rgb, format="rgb24")


# --- page -----------------------------------------------------------------------------------------

def main() -> None:
    st.sidebar.title("🖐️ Hand acupoints")
    mode = st.sidebar.radio("Mode", ["Live routine", "Photo"], key="mode")
    st.sidebar.caption(DISCLAIMER)
    if mode == "Photo":
        viewer_slots().release(viewer_id())
        photo_mode()
    else:
        live_mode()


main()
