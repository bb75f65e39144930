"""End-to-end harness: a Streamlit page with streamlit-webrtc, driven by headless Chromium.

The pieces, in the order a test uses them::

    with loopback_network_namespace():                       # only `lo`, nothing leaves the machine
        write_y4m(y4m, [frame_rgb])                           # the fake camera's video
        with streamlit_server(APP) as server, chromium_page(y4m) as page:
            page.goto(server.url)
            start_stream(page, frames_processed=lambda: server.count("frames"))
            seen = read_video_pixels(page, [(120, 120)])

Network isolation. `loopback_network_namespace()` moves the calling thread (the pytest main
thread) into a new network namespace that has only the loopback interface, brought up, and moves
it back on exit. Every process started inside the block (the Streamlit server, Playwright's driver,
Chromium) inherits that namespace, so server and browser share it and nothing else. It needs
root (CAP_SYS_ADMIN); it replaces running pytest under `unshare -n` and needs no `ip` command.
Inside it, a WebRTC connection forms only with Chromium's `--allow-loopback-in-peer-connection`
(set here) and the server's aioice offering 127.0.0.1.

Test-only patches. `APP` is not the product's `app.py` but `serve_app.py`, a wrapper page that applies
`patches.py` (loopback ICE, streamlit-webrtc's stream-rendered counter, frame and photo counters) and
then runs `app.py` unchanged; the product contains none of it.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
PRODUCT_APP = REPO_ROOT / "app.py"
APP = Path(__file__).with_name("serve_app.py")  # the product's page behind the test-only patches
CHROMIUM = "/usr/bin/chromium"
WEBRTC_IFRAME = "iframe[title*='streamlit_webrtc']"

# Verified flags (FACTS.md, "Live video in the browser"); Playwright gives the browser a new, empty
# profile of its own (it refuses --user-data-dir in `args`).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
)

_CLONE_NEWNET = 0x40000000
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1


# --- fake camera ------------------------------------------------------------------------------


def _rgb_to_i420(rgb: np.ndarray) -> bytes:
    """One RGB uint8 frame (H, W, 3), H and W even, as I420 bytes (BT.601, limited range)."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an RGB uint8 array (H, W, 3), got {rgb.dtype} {rgb.shape}")
    h, w = rgb.shape[:2]
    if h % 2 or w % 2:
        raise ValueError(f"4:2:0 needs an even width and height, got {w}x{h}")
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255

    def plane(a: np.ndarray) -> bytes:
        return np.clip(np.rint(a), 0, 255).astype(np.uint8).tobytes()

    def half(a: np.ndarray) -> np.ndarray:  # average of each 2x2 block
        return a.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))

    return plane(y) + plane(half(u)) + plane(half(v))


def write_y4m(path, frames: Sequence[np.ndarray], fps: int = 30, seconds: float = 4) -> Path:
    """Write `frames` (RGB uint8, all the same even size) as a YUV4MPEG2 (C420jpeg) file.

    The frames are repeated in order to fill `fps * seconds` frames; Chromium's fake camera
    (`--use-file-for-fake-video-capture`) then loops the file. 640x480 for 4 s is about 55 MB.
    """
    if not frames:
        raise ValueError("need at least one frame")
    h, w = frames[0].shape[:2]
    if any(f.shape != frames[0].shape for f in frames):
        raise ValueError("all frames must have the same shape")
    encoded = [_rgb_to_i420(f) for f in frames]
    count = max(1, round(fps * seconds))
    path = Path(path)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for i in range(count):
            out.write(b"FRAME\n")
            out.write(encoded[i % len(encoded)])
    return path


# --- network namespace ------------------------------------------------------------------------


@contextmanager
def page_text_on_failure(page) -> Iterator[None]:
    """A failing check says what the page showed then (the step card, the camera line), not only what
    it waited for."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        yield
    except (AssertionError, PlaywrightError) as error:
        raise AssertionError(f"{error}\n--- the page showed ---\n{page.inner_text('body')[:3000]}") from None


@contextmanager
def loopback_network_namespace() -> Iterator[None]:
    """Run the block in a fresh network namespace holding only `lo` (up, 127.0.0.1).

    Affects the calling thread (use the main thread) and every process it starts in the block;
    those processes stay in the namespace after the block, so stop them inside it. Needs root.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    original = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        if libc.unshare(_CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise RuntimeError(
                f"unshare(CLONE_NEWNET) failed: {os.strerror(err)}. The browser tests need root "
                "(CAP_SYS_ADMIN) to run in a loopback-only network namespace."
            )
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                ifreq = fcntl.ioctl(s, _SIOCGIFFLAGS, struct.pack("16sH22x", b"lo", 0))
                flags = struct.unpack("16sH22x", ifreq)[1]
                fcntl.ioctl(s, _SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | _IFF_UP))
            yield
        finally:
            if libc.setns(original, _CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise RuntimeError(f"setns back to the original network namespace: {os.strerror(err)}")
    finally:
        os.close(original)


# --- Streamlit server -------------------------------------------------------------------------


@dataclass
class StreamlitServer:
    url: str
    port: int
    log_path: Path
    process: subprocess.Popen

    counts_dir: Path

    def count(self, name: str) -> int:
        """A counter the patched server writes (`patches.count`): "frames", "photos"."""
        return read_int_file(self.counts_dir / f"{name}.txt")

    def rss_mb(self) -> float:
        """The server process's resident memory now, in MB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS line")

    def product_tracebacks(self) -> list[str]:
        """The tracebacks in the log that pass through the product (app.py or locator/). Streamlit 1.67
        logs one of its own when a tab closes during a stream (starlette's WebSocketDisconnected)."""
        blocks = self.log_path.read_text(errors="replace").split("Traceback (most recent call last):")[1:]
        return [block for block in blocks if "app.py" in block or "/locator/" in block]

    def deprecation_warnings(self) -> list[str]:
        """The log's lines that warn of something deprecated (Streamlit's, or a library's under it)."""
        return [line for line in self.log_path.read_text(errors="replace").splitlines()
                if "deprecat" in line.lower()]

    def log(self, last_chars: int = 6000) -> str:
        """The tail of the server's combined stdout/stderr."""
        text = self.log_path.read_text(errors="replace")
        return text[-last_chars:]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(
    app,
    *,
    extra_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    startup_timeout: float = 60,
    log_dir=None,
) -> Iterator[StreamlitServer]:
    """Run `streamlit run app` on a free 127.0.0.1 port until the block ends.

    The repository root is put on PYTHONPATH so the page can import `locator`. The server's
    output goes to a log file (`server.log()`); a server that does not answer its health check
    within `startup_timeout` seconds raises RuntimeError carrying that log. A block that ends
    normally fails if the log warns of anything deprecated (every browser test checks it); a block that
    fails prints the log's last part (with the trace of the page's runs, `patches.py`) to stderr.
    """
    port = free_port()
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="e2e-streamlit-"))
    log_path = log_dir / f"streamlit-{port}.log"
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        *extra_args,
    ]
    proc_env = dict(os.environ)
    proc_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), proc_env.get("PYTHONPATH")) if p
    )
    counts_dir = log_dir / f"counts-{port}"
    counts_dir.mkdir()
    proc_env["E2E_COUNTS_DIR"] = str(counts_dir)
    proc_env.update(env or {})
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            cmd, stdout=log_file, stderr=subprocess.STDOUT, env=proc_env,
            cwd=REPO_ROOT, start_new_session=True,
        )
    server = StreamlitServer(f"http://127.0.0.1:{port}", port, log_path, process, counts_dir)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"streamlit exited with code {process.returncode} before answering.\n"
                    f"command: {' '.join(cmd)}\n--- server log ---\n{server.log()}"
                )
            try:
                with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"streamlit did not answer on {server.url} within {startup_timeout} s.\n"
                    f"command: {' '.join(cmd)}\n--- server log ---\n{server.log()}"
                )
            time.sleep(0.2)
        try:
            yield server
        except BaseException:
            print(f"--- the server's log, last part ({log_path}) ---\n{server.log(20_000)}", file=sys.stderr)
            raise
        deprecated = server.deprecation_warnings()
        assert not deprecated, f"the server warned of deprecations: {deprecated[:5]}"
    finally:
        _stop_process_group(process)


def _stop_process_group(process: subprocess.Popen, timeout: float = 10) -> None:
    if process.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)  # the group this harness created (start_new_session)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue


# --- browser ----------------------------------------------------------------------------------


@contextmanager
def chromium_browser(y4m_path, *, executable_path: str = CHROMIUM, extra_args: Sequence[str] = (),
                     camera_allowed: bool = True):
    """Headless Debian Chromium under sync Playwright, its camera fed from `y4m_path`; yields the
    browser. Each `browser.new_context()` is a separate visitor (own cookies and storage), each page in
    a context its own Streamlit session. Playwright gives it a new, empty profile; never needs
    `playwright install`. With `camera_allowed=False` the person says no to the camera prompt.
    """
    from playwright.sync_api import sync_playwright

    flags = CHROMIUM_FLAGS if camera_allowed else (
        *(f for f in CHROMIUM_FLAGS if f != "--use-fake-ui-for-media-stream"), "--deny-permission-prompts")
    args = [*flags, f"--use-file-for-fake-video-capture={Path(y4m_path).resolve()}", *extra_args]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable_path, headless=True, args=args)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def chromium_context(y4m_path, *, viewport: tuple[int, int] = (1280, 1024), **options):
    """One visitor's browser context in :func:`chromium_browser` (same options)."""
    with chromium_browser(y4m_path, **options) as browser:
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        try:
            yield context
        except BaseException:
            for page in context.pages:  # what the visitor saw when the test failed
                print(f"--- the page {page.url} showed ---\n{page.inner_text('body')[:3000]}", file=sys.stderr)
            raise
        finally:
            context.close()


@contextmanager
def chromium_page(y4m_path, **options):
    """One page of :func:`chromium_context` (same options)."""
    with chromium_context(y4m_path, **options) as context:
        yield context.new_page()


def choose_mode(page, mode: str) -> None:
    """Pick "Live routine" or "Photo" on the product's page once it is drawn."""
    page.get_by_test_id("stRadioGroup").get_by_text(mode, exact=True).click(timeout=60_000)


def press_continue(page, timeout_ms: float = 60_000) -> None:
    """Answer the safety screen with no ticks: press Continue. The screen is drawn once the page above it
    is (`app.page_drawn`), each part at its final size, so the button stays where it first shows
    (`test_layout.py`) and needs no waiting beyond Playwright's own. (The start-up flake once put down to
    a moving button, no step card after Continue, was caught later with the server's trace and the
    websocket: the click had arrived, and the page had gone blank or lost its routine picker; see
    `test_busy_server.py`.)"""
    page.get_by_role("button", name="Continue").click(timeout=timeout_ms)


_READ_CARD_JS = """() => {
  const card = document.querySelector('.st-key-step_card');
  if (!card) return null;
  const step = card.innerText.match(/Step (\\d+) of \\d+:/);
  const labels = [...card.querySelectorAll('button')].map(b => b.innerText.trim());
  return [step ? +step[1] : null, labels.includes('Resume'), card.innerText.includes('Paused: press Resume')];
}"""


def card_state(page) -> tuple[int | None, bool, bool] | None:
    """The step card as the person sees it: the step number, whether the button offers Resume, whether it
    says "Paused" (the two must agree); None before the card is drawn."""
    state = page.evaluate(_READ_CARD_JS)
    return tuple(state) if state else None


def step_card_button(page, label: str):
    """The routine's button labelled `label` on the step card."""
    return page.locator(".st-key-step_card").get_by_role("button", name=label, exact=True)


def in_view(page, locator, part: float | None = 80) -> bool:
    """Whether the element is inside the window without scrolling: its top ``part`` pixels (None: all of it)."""
    box = locator.bounding_box()
    if box is None:
        return False
    shown = box["height"] if part is None else min(box["height"], part)
    return 0 <= box["y"] and box["y"] + shown <= page.viewport_size["height"]


def webrtc_button(page, name: str):
    """The START / STOP button inside the streamlit-webrtc component's iframe."""
    return page.frame_locator(WEBRTC_IFRAME).get_by_role("button", name=name)


def press_start(page, timeout_ms: float = 60_000) -> None:
    webrtc_button(page, "START").click(timeout=timeout_ms)


def press_stop(page, timeout_ms: float = 30_000) -> None:
    webrtc_button(page, "STOP").click(timeout=timeout_ms)


def read_int_file(path) -> int:
    """An integer written by the page (e.g. a frame counter); 0 while missing or half-written."""
    try:
        return int(Path(path).read_text().strip() or 0)
    except (OSError, ValueError):
        return 0


def wait_for(page, predicate: Callable[[], bool], timeout_s: float, interval_ms: int = 250) -> bool:
    """Poll `predicate` (with Playwright-friendly waits) until true or `timeout_s` passes."""
    deadline = time.monotonic() + timeout_s
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(interval_ms)


def start_stream(
    page,
    frames_processed: Callable[[], int],
    *,
    min_frames: int = 15,
    timeout_s: float = 20,
    restarts: int = 1,
) -> int:
    """Press START and wait until the server has processed `min_frames` new frames.

    `frames_processed()` reads the server's running frame count. When too few frames arrive in
    `timeout_s`, press STOP and START again, up to `restarts` times (a guard against a known
    streamlit-webrtc stall). Returns the number of new frames seen; raises AssertionError if the
    stream never delivers.
    """
    history = []
    for attempt in range(restarts + 1):
        if attempt:
            warnings.warn(f"stream stalled ({history[-1]} new frames); pressing STOP and START again")
            press_stop(page)
            page.wait_for_timeout(1000)
        before = frames_processed()
        press_start(page)
        ok = wait_for(page, lambda: frames_processed() - before >= min_frames, timeout_s)
        history.append(frames_processed() - before)
        if ok:
            return history[-1]
    raise AssertionError(
        f"the server processed too few frames after {len(history)} START(s): new frames per "
        f"attempt {history}, wanted {min_frames} within {timeout_s} s each"
    )


_READ_PIXELS_JS = """
([video, points, radius]) => {
  const w = video.videoWidth, h = video.videoHeight;
  if (!w || !h) return {width: w, height: h, pixels: []};
  const canvas = document.createElement('canvas');
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  ctx.drawImage(video, 0, 0, w, h);
  const pixels = points.map(([x, y]) => {
    const x0 = Math.max(0, x - radius), y0 = Math.max(0, y - radius);
    const x1 = Math.min(w - 1, x + radius), y1 = Math.min(h - 1, y + radius);
    const d = ctx.getImageData(x0, y0, x1 - x0 + 1, y1 - y0 + 1).data;
    const sum = [0, 0, 0]; const n = d.length / 4;
    for (let i = 0; i < d.length; i += 4) { sum[0] += d[i]; sum[1] += d[i + 1]; sum[2] += d[i + 2]; }
    return sum.map(s => Math.round(s / n));
  });
  return {width: w, height: h, pixels: pixels};
}
"""


@dataclass
class VideoPixels:
    width: int
    height: int
    pixels: list[tuple[int, int, int]]  # RGB, one per requested point


def close_to(rgb, expected, tolerance: int = 40) -> bool:
    """Whether a pixel read from the video is within `tolerance` of `expected` in every channel."""
    return all(abs(int(a) - b) <= tolerance for a, b in zip(rgb, expected))


def read_video_pixels(page, points: Sequence[tuple[int, int]], radius: int = 0) -> VideoPixels:
    """RGB at `points` (x, y in the video's own pixels) of the returned `<video>` in the iframe.

    With `radius` > 0 each value is the mean over a (2r+1)^2 square, which evens out codec noise.
    A video without a frame yet gives width = height = 0 and no pixels.
    """
    video = page.frame_locator(WEBRTC_IFRAME).locator("video").first
    data = video.evaluate(
        f"(video, arg) => ({_READ_PIXELS_JS})([video, arg.points, arg.radius])",
        {"points": [list(map(int, p)) for p in points], "radius": int(radius)},
    )
    return VideoPixels(data["width"], data["height"], [tuple(p) for p in data["pixels"]])


def read_video_frame(page) -> np.ndarray:
    """The returned `<video>`'s current frame in the iframe, RGB (H, W, 3) at the video's own size."""
    import base64
    import io

    from PIL import Image

    video = page.frame_locator(WEBRTC_IFRAME).locator("video").first
    url = video.evaluate("""(video) => {
      const canvas = document.createElement('canvas');
      canvas.width = video.videoWidth; canvas.height = video.videoHeight;
      canvas.getContext('2d').drawImage(video, 0, 0);
      return canvas.toDataURL('image/png');
    }""")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB"))


# --- a camera the test drives ---------------------------------------------------------------------

_CANVAS_CAMERA_JS = """
(() => {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  const camera = {images: [], frameMs: 100, canvas: null};
  window.__testCamera = camera;
  camera.show = (urls, frameMs) => Promise.all(urls.map(url => new Promise((ok, fail) => {
      const image = new Image(); image.onload = () => ok(image); image.onerror = fail; image.src = url;
    }))).then(images => { camera.images = images; camera.frameMs = frameMs; camera.started = performance.now(); });
  const draw = () => {
    if (!camera.canvas || !camera.images.length) return;
    const k = Math.floor((performance.now() - camera.started) / camera.frameMs) % camera.images.length;
    const ctx = camera.canvas.getContext('2d');
    ctx.drawImage(camera.images[k], 0, 0);
    ctx.fillStyle = `rgb(${(camera.tick = (camera.tick || 0) + 1) % 256}, 0, 0)`;
    ctx.fillRect(0, 0, 2, 2);  // a changing corner: the encoder sends every frame, as from a camera
    camera.track.requestFrame();
  };
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    if (!constraints || !constraints.video) return original(constraints);
    if (!camera.canvas) {
      camera.canvas = document.createElement('canvas');
      camera.canvas.width = 640; camera.canvas.height = 480;
      setInterval(draw, 1000 / 30);
    }
    const stream = camera.canvas.captureStream(0);  // a frame on each requestFrame(), 30 a second
    camera.track = stream.getVideoTracks()[0];
    draw();
    return stream;
  };
})();
"""


def use_test_camera(context) -> None:
    """Replace the browser's camera, in every page of `context` opened from now on, by a canvas that
    shows what :func:`show_on_camera` gives it (a fake camera the test can change at any moment)."""
    context.add_init_script(_CANVAS_CAMERA_JS)


def show_on_camera(page, pictures: Sequence[np.ndarray], frame_ms: int = 100) -> None:
    """Make the test camera show `pictures` (RGB 640x480, as the camera sees them) in a loop."""
    import base64
    import io

    from PIL import Image

    urls = []
    for picture in pictures:
        buffer = io.BytesIO()
        Image.fromarray(picture).save(buffer, format="JPEG", quality=92)
        urls.append("data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode())
    page.frame_locator(WEBRTC_IFRAME).locator("body").evaluate(
        "(body, arg) => window.__testCamera.show(arg.urls, arg.frameMs)", {"urls": urls, "frameMs": frame_ms})


def launch_chromium(playwright, y4m_path, *, executable_path: str = CHROMIUM, extra_args: Sequence[str] = ()):
    """One more headless Chromium (its own browser process, a fresh profile) under a running sync
    Playwright, its camera fed from `y4m_path`: for several viewers at once (two browsers do not share
    cookies, unlike two tabs of `chromium_page`). Close it with `.close()`."""
    args = [*CHROMIUM_FLAGS, f"--use-file-for-fake-video-capture={Path(y4m_path).resolve()}", *extra_args]
    return playwright.chromium.launch(executable_path=executable_path, headless=True, args=args)


# --- the scale-out recipe ------------------------------------------------------------------------

NGINX_CONF = REPO_ROOT / "deploy" / "nginx.conf"
RECIPE_ADDRESSES = ("127.0.0.1:8501", "127.0.0.1:8502", "127.0.0.1:8080")  # two pages, the proxy


@contextmanager
def nginx_proxy(pages: Sequence[int], folder) -> Iterator[str]:
    """The scale-out recipe's nginx (deploy/nginx.conf) in front of the page servers on `pages`, on a
    free port of its own; yields its URL. Its files and log go to `folder`."""
    if shutil.which("nginx") is None:
        raise RuntimeError("nginx is not installed (./run test installs it from Debian)")
    folder = Path(folder)
    port = free_port()
    text = NGINX_CONF.read_text()
    for old, new in zip(RECIPE_ADDRESSES, [*(f"127.0.0.1:{p}" for p in pages), f"127.0.0.1:{port}"]):
        assert old in text, f"{NGINX_CONF} no longer names {old}"
        text = text.replace(old, new)
    conf = folder / "nginx.conf"
    conf.write_text(text)
    with (folder / "nginx.log").open("wb") as log:
        process = subprocess.Popen(["nginx", "-p", str(folder), "-c", str(conf), "-g", "daemon off;"],
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not answer: {(folder / 'nginx.log').read_text()}")
                time.sleep(0.2)
        yield url
    finally:
        _stop_process_group(process)
