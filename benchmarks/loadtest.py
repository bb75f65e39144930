"""Load benchmark: N headless Chromium viewers on the live page at once, in a loopback-only network.

    python -m benchmarks.loadtest --viewers 1,2,3,4 --seconds 20 --churn 10     (or: ./run loadtest ...)

Each camera frame carries its number as a row of black and white blocks near a bottom corner (where the
overlay draws nothing); JavaScript in each viewer decodes the number from every presented frame of the
returned video (``requestVideoFrameCallback``) and counts changes, so only distinct processed frames
count, not repeats. Printed per row: distinct frames/s per viewer, the server's CPU (all its processes,
in cores) and RSS, and each viewer's time from START to its first returned frame; then, with
``--churn N``, the server's RSS after each of N viewers has come and gone. Needs root (network namespace)
and Debian's Chromium (``./run loadtest`` installs it).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from tests.e2e.harness import (APP, WEBRTC_IFRAME, launch_chromium, loopback_network_namespace, nginx_proxy,
                               streamlit_server, wait_for, write_y4m)

DEFAULT_PHOTO = Path(__file__).resolve().parents[2] / "shared" / "hands" / "images" / "palm_left_07.jpg"
FPS = 30
STAMP_BITS = 8          # numbers 0..255; the camera loop is shorter, so changes are counted, not values
BLOCK = 24              # block side in camera pixels: large enough to survive the video codec
MARGIN = 16
LOOP_SECONDS = 4        # 120 frames, 640x480: about 55 MB, written to a temporary folder


# --- the stamped camera -----------------------------------------------------------------------------

def stamp(frame: np.ndarray, number: int) -> np.ndarray:
    """``frame`` with ``number`` written as STAMP_BITS blocks (white = 1) on a black strip, bottom left."""
    out = frame.copy()
    h = out.shape[0]
    y0, x0 = h - MARGIN - BLOCK, MARGIN
    out[y0 - 4:y0 + BLOCK + 4, x0 - 4:x0 + STAMP_BITS * BLOCK + 4] = 0
    for bit in range(STAMP_BITS):
        if number >> bit & 1:
            out[y0:y0 + BLOCK, x0 + bit * BLOCK:x0 + (bit + 1) * BLOCK] = 255
    return out


def stamp_centres(width: int, height: int, mirrored: bool) -> list[tuple[float, float]]:
    """Where each bit's block lands in the returned video, as fractions of its width and height (the
    selfie view mirrors the picture)."""
    y = height - MARGIN - BLOCK / 2
    centres = []
    for bit in range(STAMP_BITS):
        x = MARGIN + bit * BLOCK + BLOCK / 2
        centres.append(((width - x if mirrored else x) / width, y / height))
    return centres


def camera_file(folder: Path, photo: Path) -> tuple[Path, tuple[int, int]]:
    from PIL import Image

    picture = np.asarray(Image.open(photo).convert("RGB"))
    h, w = picture.shape[:2]
    picture = picture[: h - h % 2, : w - w % 2]
    frames = [stamp(picture, k) for k in range(FPS * LOOP_SECONDS)]
    return write_y4m(folder / "camera.y4m", frames, fps=FPS, seconds=LOOP_SECONDS), picture.shape[1::-1]


# --- counting in the viewer ------------------------------------------------------------------------

# Runs inside the component's iframe: attaches to the returned <video> (whenever one appears) and decodes
# the stamp of every presented frame. ``window.__load`` holds the counters.
_COUNTER_JS = """
([centres, loop]) => {
  const s = {changes: 0, frames: 0, invalid: 0, value: -1, clickedAt: null, firstAt: null, width: 0, height: 0,
             sent: 0};
  window.__load = s;
  // The camera frames this viewer sends: the outgoing video's statistics, from the peer connection that
  // streamlit-webrtc makes in this frame after START.
  const connections = [], Native = window.RTCPeerConnection;
  window.RTCPeerConnection = function (...args) { const pc = new Native(...args); connections.push(pc); return pc; };
  window.RTCPeerConnection.prototype = Native.prototype;
  setInterval(async () => {
    let sent = 0;
    for (const pc of connections) {
      (await pc.getStats()).forEach((r) => { if (r.type === 'outbound-rtp' && r.kind === 'video') sent += r.framesSent || 0; });
    }
    s.sent = sent;
  }, 250);
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  let attached = null;
  const tick = (now, meta) => {
    const video = attached, w = video.videoWidth, h = video.videoHeight;
    if (w && h) {
      if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
      const top = Math.floor(Math.min(...centres.map(c => c[1])) * h) - 4;
      ctx.drawImage(video, 0, top, w, h - top, 0, top, w, h - top);
      let value = 0;
      centres.forEach(([fx, fy], bit) => {
        const x = Math.round(fx * w) - 2, y = Math.round(fy * h) - 2;
        const d = ctx.getImageData(x, y, 5, 5).data;
        let sum = 0;
        for (let i = 0; i < d.length; i += 4) sum += d[i] + d[i + 1] + d[i + 2];
        if (sum / (d.length / 4) / 3 > 128) value |= 1 << bit;
      });
      s.frames++; s.width = w; s.height = h;
      if (s.firstAt === null) s.firstAt = performance.now();
      if (value >= loop) s.invalid++;  // no camera frame has that number: a misread stamp
      else if (value !== s.value) { s.changes++; s.value = value; }
    }
    video.requestVideoFrameCallback(tick);
  };
  setInterval(() => {
    const video = document.querySelector('video');
    if (video && video !== attached) { attached = video; video.requestVideoFrameCallback(tick); }
  }, 50);
}
"""


@dataclass
class Counts:
    changes: int
    frames: int
    invalid: int
    first_frame_s: float | None
    sent: int  # camera frames sent to the server


class Viewer:
    """One headless Chromium (its own browser process) showing the page, counting distinct frames."""

    def __init__(self, playwright, y4m: Path, url: str, centres):
        self.browser = launch_chromium(playwright, y4m)
        self.page = self.browser.new_page(viewport={"width": 1280, "height": 1024})
        self.page.goto(url, wait_until="commit", timeout=90_000)
        self.frame = self.page.frame_locator(WEBRTC_IFRAME)
        self.centres = centres

    def start(self, timeout_ms: float = 90_000) -> None:
        button = self.frame.get_by_role("button", name="START")
        busy = self.page.get_by_text("The live view is busy")
        wait_for(self.page, lambda: button.is_visible() or busy.is_visible(), timeout_ms / 1000)
        if busy.is_visible():
            raise RuntimeError("a viewer was turned away: the live view is busy (LOCATOR_MAX_VIEWERS)")
        body = self.frame.locator("body")
        body.evaluate(f"(body, arg) => ({_COUNTER_JS})(arg)", [self.centres, FPS * LOOP_SECONDS])
        body.evaluate("() => { window.__load.clickedAt = performance.now(); }")
        button.click(timeout=timeout_ms)

    def counts(self) -> Counts:
        s = self.frame.locator("body").evaluate("() => window.__load")
        first = None if s["firstAt"] is None else (s["firstAt"] - s["clickedAt"]) / 1000
        return Counts(s["changes"], s["frames"], s["invalid"], first, s["sent"])

    def close(self) -> None:
        self.browser.close()


# --- the server's processes ------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def group_pids(pgid: int) -> list[int]:
    """Every process in the server's process group (the page and any worker processes it started)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) == pgid:
                pids.append(int(entry))
    return pids


def group_usage(pgid: int) -> tuple[float, float]:
    """(CPU seconds used so far, RSS in MB) summed over the group."""
    cpu = rss = 0.0
    for pid in group_pids(pgid):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            statm = Path(f"/proc/{pid}/statm").read_text().split()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        cpu += (int(fields[11]) + int(fields[12])) / _TICK
        rss += int(statm[1]) * _PAGE / 2**20
    return cpu, rss


def group_waiting(pgid: int) -> float:
    """Seconds the group's threads have spent ready to run but waiting for a CPU (other work on the
    machine, or the group's own threads crowding its cores)."""
    waited = 0
    for pid in group_pids(pgid):
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                waited += int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[1])
            except (OSError, IndexError):
                continue
    return waited / 1e9


def pin_group(pgid: int, cpus: set[int]) -> None:
    """Pin every thread of every process in the group to ``cpus`` (new threads and processes inherit)."""
    for pid in group_pids(pgid):
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                os.sched_setaffinity(int(tid), cpus)
            except OSError:
                pass


# --- runs ------------------------------------------------------------------------------------------

@dataclass
class Row:
    viewers: int
    fps: list[float]
    first_frame_s: list[float | None]
    cpu_cores: float
    rss_mb: float
    misread: int  # presented frames whose stamp decoded to no camera frame (should stay near 0)
    presented: float  # frames/s the viewers' <video> presented, repeats included (all viewers together)
    waiting: float    # the server's threads waiting for a CPU, in cores (high: the machine is too busy)
    sent: float       # camera frames/s each viewer sent, on average (what the server asked the cameras for)


@dataclass
class Servers:
    """The page as the viewers reach it: one page process, or two behind the scale-out recipe's nginx."""

    url: str
    groups: list[int]  # process group of each page process (its workers included)

    def usage(self) -> tuple[float, float]:
        cpu, rss = zip(*(group_usage(g) for g in self.groups))
        return sum(cpu), sum(rss)

    def waiting(self) -> float:
        return sum(group_waiting(g) for g in self.groups)


@contextmanager
def page_servers(args, log_dir: Path) -> Iterator[Servers]:
    env = {"LOCATOR_MAX_VIEWERS": "0",  # measure, do not turn away
           "MALLOC_ARENA_MAX": "2",  # as ./run app starts the page
           "E2E_COUNTS_DIR": "",  # the browser tests' frame counter writes a file a frame: not the product
           **dict(e.split("=", 1) for e in args.env)}
    with ExitStack() as stack:
        servers = [stack.enter_context(streamlit_server(APP, env=env, log_dir=log_dir)) for _ in range(args.pages)]
        groups = [server.process.pid for server in servers]
        for group in groups:
            if args.server_cpus:
                pin_group(group, args.server_cpus)
        url = (stack.enter_context(nginx_proxy([s.port for s in servers], log_dir)) if args.pages > 1
               else servers[0].url)
        yield Servers(url, groups)


def measure(pw, args, n: int, y4m: Path, centres, log_dir: Path) -> Row:
    """A fresh server, ``n`` viewers pressing START one after another, then a window of ``args.seconds``."""
    with page_servers(args, log_dir) as servers, ExitStack() as stack:
        viewers = []
        for _ in range(n):
            viewer = Viewer(pw, y4m, servers.url, centres)
            stack.callback(viewer.close)
            viewer.start()
            viewers.append(viewer)
        page = viewers[0].page
        wait_for(page, lambda: all(v.counts().first_frame_s is not None for v in viewers), args.first_frame_timeout)
        page.wait_for_timeout(args.warmup * 1000)
        before, cpu0, t0 = [v.counts() for v in viewers], servers.usage()[0], time.monotonic()
        wait0 = servers.waiting()
        page.wait_for_timeout(args.seconds * 1000)
        after, (cpu1, rss), t1 = [v.counts() for v in viewers], servers.usage(), time.monotonic()
        wait1 = servers.waiting()
        window = t1 - t0
        return Row(n, [(a.changes - b.changes) / window for a, b in zip(after, before)],
                   [a.first_frame_s for a in after], (cpu1 - cpu0) / window, rss,
                   sum(a.invalid - b.invalid for a, b in zip(after, before)),
                   sum(a.frames - b.frames for a, b in zip(after, before)) / window, (wait1 - wait0) / window,
                   sum(a.sent - b.sent for a, b in zip(after, before)) / window / n)


def churn(pw, args, y4m: Path, centres, log_dir: Path) -> list[float]:
    """RSS of the server after each of ``args.churn`` viewers has streamed for a while and left."""
    series = []
    with page_servers(args, log_dir) as servers:
        for _ in range(args.churn):
            viewer = Viewer(pw, y4m, servers.url, centres)
            try:
                viewer.start()
                wait_for(viewer.page, lambda: viewer.counts().changes >= 30, args.first_frame_timeout)
                viewer.page.wait_for_timeout(args.churn_seconds * 1000)
            finally:
                viewer.close()
            time.sleep(args.settle)
            series.append(servers.usage()[1])
            print(f"  viewer {len(series)} left: server RSS {series[-1]:.0f} MB", flush=True)
    return series


def print_table(rows: list[Row], out=None) -> None:
    out = out or sys.stdout
    print(f"{'viewers':>7}  {'distinct fps per viewer':<34}{'total':>6}  {'min':>5}  {'server CPU':>10}  "
          f"{'RSS MB':>6}  {'shown/s':>7}  {'misread':>7}  {'waiting':>7}  {'sent/s':>6}  first frame s (each viewer)", file=out)
    for row in rows:
        each = " ".join(f"{f:4.1f}" for f in row.fps)
        firsts = " ".join("lost" if s is None else f"{s:.1f}" for s in row.first_frame_s)
        print(f"{row.viewers:>7}  {each:<34}{sum(row.fps):6.1f}  {min(row.fps):5.1f}  "
              f"{row.cpu_cores:8.2f} c  {row.rss_mb:6.0f}  {row.presented:7.1f}  {row.misread:7d}  {row.waiting:5.2f} c  "
              f"{row.sent:6.1f}  {firsts}", file=out)


def parse_cpus(text: str) -> set[int]:
    return {int(c) for c in text.split(",") if c.strip()} if text else set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", default="1,2,3,4", help="viewer counts, one row each (default 1,2,3,4)")
    parser.add_argument("--seconds", type=float, default=20, help="measuring window per row (default 20)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds after every viewer has video")
    parser.add_argument("--first-frame-timeout", type=float, default=60)
    parser.add_argument("--churn", type=int, default=0, help="then N viewers one after another: RSS series")
    parser.add_argument("--churn-seconds", type=float, default=5, help="how long each of them streams")
    parser.add_argument("--settle", type=float, default=3, help="seconds after a viewer leaves before RSS")
    parser.add_argument("--server-cpus", type=parse_cpus, default=set(), help="pin the server, e.g. 0")
    parser.add_argument("--viewer-cpus", type=parse_cpus, default=set(), help="pin the browsers, e.g. 1")
    parser.add_argument("--pages", type=int, choices=(1, 2), default=1,
                        help="page processes; 2: behind nginx as in deploy/nginx.conf (default 1)")
    parser.add_argument("--photo", type=Path, default=DEFAULT_PHOTO, help="the still hand (640x480 photo)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="host setting for the page server (repeatable), e.g. LOCATOR_DETECT_WORKERS=2")
    parser.add_argument("--log-dir", type=Path, help="keep the page servers' logs here")
    args = parser.parse_args(argv)
    if not args.photo.is_file():
        parser.error(f"no photo at {args.photo} (give --photo PATH)")
    from playwright.sync_api import sync_playwright

    print(f"load average before: {Path('/proc/loadavg').read_text().strip()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="loadtest-") as tmp:
        folder = Path(tmp)
        y4m, (width, height) = camera_file(folder, args.photo)
        centres = stamp_centres(width, height, mirrored=True)  # the page's selfie view is on by default
        if args.viewer_cpus:
            os.sched_setaffinity(0, args.viewer_cpus)  # Playwright and the browsers inherit it
        rows = []
        with loopback_network_namespace(), sync_playwright() as pw:
            for n in (int(v) for v in args.viewers.split(",") if v):
                rows.append(measure(pw, args, n, y4m, centres, args.log_dir or folder))
                print_table(rows[-1:])
            series = churn(pw, args, y4m, centres, args.log_dir or folder) if args.churn else []
    print(f"\nload average after: {Path('/proc/loadavg').read_text().strip()}")
    print_table(rows)
    if series:
        print(f"RSS after each of {len(series)} viewers left (MB): " + " ".join(f"{r:.0f}" for r in series))
        print(f"growth from the first to the last: {series[-1] - series[0]:+.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
