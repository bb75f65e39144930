"""Throwaway Streamlit page for the e2e harness's own test (not part of the product).

It round-trips the browser's camera through Python: each frame gets a filled magenta 40x40
square at (100, 100), and the running count of processed frames is written to the file named by
DEMO_FRAME_COUNT_FILE (when set).
"""

import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for `patches`, beside this file

import patches  # noqa: E402

patches.apply()  # before importing webrtc_streamer: loopback ICE and the stream-rendered counter

import av  # noqa: E402
import streamlit as st  # noqa: E402
from streamlit_webrtc import WebRtcMode, webrtc_streamer  # noqa: E402

COUNT_FILE = os.environ.get("DEMO_FRAME_COUNT_FILE")


@st.cache_resource
def frame_counter() -> dict:
    """One counter per server, surviving script reruns."""
    return {"n": 0, "lock": threading.Lock()}


counter = frame_counter()


def cb(frame: av.VideoFrame) -> av.VideoFrame:
    img = frame.to_ndarray(format="bgr24")
    img[100:140, 100:140] = (255, 0, 255)
    if COUNT_FILE:
        with counter["lock"]:
            counter["n"] += 1
            tmp = f"{COUNT_FILE}.tmp"
            with open(tmp, "w") as f:
                f.write(str(counter["n"]))
            os.replace(tmp, COUNT_FILE)
    return av.VideoFrame.from_ndarray(img, format="bgr24")


st.title("e2e harness demo")

webrtc_streamer(
    key="live",
    mode=WebRtcMode.SENDRECV,
    rtc_configuration={"iceServers": []},
    media_stream_constraints={"video": {"width": {"ideal": 640}, "height": {"ideal": 480}}, "audio": False},
    video_frame_callback=cb,
    async_processing=True,
)
