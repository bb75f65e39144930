"""``python -m locator bench``: how fast and how steady the live path is on this machine.

A test video is made from a folder of hand photos (:mod:`locator.synthetic_video`): the clearest one-hand
photo is cut around its hand and moved over a 640x480 canvas (one-hand sequence); the same hand and its
mirror image side by side make the two-hand sequence. The live path (:class:`~locator.live.LivePipeline`,
the page's object) and the bare MediaPipe HandLandmarker in VIDEO mode run on the same frames in the same
run; the photo pipeline (IMAGE mode) runs on the photo folder. Medians are taken after a warm-up.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

from .detector import DetectorOptions, add_model_option
from .errors import UserError
from .outputs import check_output_file, write_output
from .synthetic_video import HAND_PX, HandVideo, pick_source

IMAGES_ENV = "LOCATOR_SAMPLES_DIR"  # the page's sample folder serves as the default photo folder
WARM_UP = 20           # frames left out of the medians
FRAME_MS = 1000 / 30   # the camera's rate: timestamps of the test video
NOISE_SIGMA = 3.0      # sensor-like noise (8-bit levels) on the still-hand frames
STEADY_FRAMES = 150
LAG_SPEED = 0.03       # hand sizes per frame for the lag test (about one hand size per second at 30 fps)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "bench", help="measure the live path (fps per stage, steadiness) and the photo pipeline",
        description="Build a test video from hand photos and measure the live path, the bare "
                    "MediaPipe landmarker on the same frames, the photo pipeline and memory.")
    parser.add_argument("--frames", type=int, default=300, metavar="N",
                        help="frames per sequence (one hand, two hands; default 300)")
    parser.add_argument("--size", default="640x480", metavar="WxH", help="frame size (default 640x480)")
    parser.add_argument("--images", type=Path, default=None, metavar="DIR",
                        help=f"folder of hand photos (default: ${IMAGES_ENV})")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON to FILE")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --json file")
    parser.add_argument("--long", type=float, default=0.0, metavar="MINUTES",
                        help="then run the live path this many minutes and print memory at intervals")
    add_model_option(parser)
    parser.set_defaults(run=run)


def _parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise UserError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 640x480") from None
    if not (64 <= width <= 4096 and 64 <= height <= 4096):
        raise UserError(f"--size {text!r}: each side must be 64-4096 pixels")
    return width, height


# --- measuring -----------------------------------------------------------------------------------

def rss_mb() -> float:
    """Current resident memory of this process in MB."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return peak_mb()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _median(values) -> float:
    values = list(values)
    return float(np.median(values)) if values else float("nan")


def live_pipeline(model, **params):
    """The page's live pipeline over MediaPipe's video detector, with the given model."""
    from .detector import VideoHandDetector
    from .live import LivePipeline

    return LivePipeline(VideoHandDetector(DetectorOptions(model=model)), **params)


def measure_live(pipeline, make_frame, count: int) -> dict:
    """Per-stage medians (ms) of the live path over ``count`` frames ``make_frame(k)``, as the page runs
    it: the browser's frame (yuv420p, made outside the timing) converted to RGB, processed, drawn and
    converted back. Without PyAV the convert stage is a copy."""
    try:
        import av
    except ImportError:
        av = None
    stages = {name: [] for name in ("convert", "detect", "smooth", "locate", "overlay", "whole")}
    used: dict[str, int] = {}
    counts = []
    ts0 = pipeline.last_timestamp_ms + 1000
    for k in range(count):
        frame = make_frame(k)
        packet = av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(format="yuv420p") if av else None
        start = time.perf_counter()
        rgb = packet.to_ndarray(format="rgb24") if av else frame.copy()
        t_conv = time.perf_counter()
        result = pipeline.process(rgb, int(ts0 + k * FRAME_MS))
        pipeline.draw(rgb, result)
        t_draw = time.perf_counter()
        if av is not None:
            av.VideoFrame.from_ndarray(rgb, format="rgb24")
        end = time.perf_counter()
        if k < WARM_UP:
            continue
        stages["convert"].append((t_conv - start + end - t_draw) * 1e3)
        for name in ("detect", "smooth", "locate", "overlay"):
            stages[name].append(result.timings[name])
        stages["whole"].append((end - start) * 1e3)
        used[result.detector] = used.get(result.detector, 0) + 1
        counts.append(len(result.hands))
    out = {name: round(_median(values), 3) for name, values in stages.items()}
    out["mean_whole"] = round(float(np.mean(stages["whole"])), 3)
    out["p95_whole"] = round(float(np.percentile(stages["whole"], 95)), 3)
    out["fps"] = round(1000 / out["whole"], 1)
    out["hands_found"] = {str(n): counts.count(n) for n in sorted(set(counts))}
    out["detector_use"] = used
    return out


def own_work_warm(pipeline, frame: np.ndarray, repeats: int = 200) -> float:
    """Milliseconds of smoothing + decision/rules/image cues + overlay repeated back to back on one frame's
    hands (warm caches): what our own code costs without MediaPipe's inference evicting it between frames."""
    from .live import draw

    result = pipeline.process(frame, pipeline.last_timestamp_ms + 1000)
    canvas = frame.copy()
    times = []
    for k in range(repeats):
        start = time.perf_counter()
        steady = pipeline.smoother(result.raw, (result.timestamp_ms + k) / 1000)
        result.hands = [pipeline.locate(hand, frame) for hand in steady]
        draw(canvas, result)
        times.append((time.perf_counter() - start) * 1e3)
    return _median(times[10:])


def measure_bare(model, make_frame, count: int, num_hands: int) -> dict:
    """The bare HandLandmarker in VIDEO mode (through the adapter, nothing else) on the same frames."""
    from .detector import Landmarker

    times, found = [], []
    with Landmarker(DetectorOptions(model=model, max_hands=num_hands), video=True) as landmarker:
        for k in range(count):
            frame = make_frame(k)
            start = time.perf_counter()
            hands = landmarker.run(frame, int(k * FRAME_MS))
            times.append((time.perf_counter() - start) * 1e3)
            found.append(hands)
    ms = _median(times[WARM_UP:])
    return {"ms": round(ms, 3), "fps": round(1000 / ms, 1), "hands": found}


def agreement(pipeline_model, make_frame, count: int, reference: list) -> dict:
    """How the live path's detections (before smoothing) compare with the bare num_hands=2 landmarker
    run on every frame: same number of hands, and wrist distance in % of hand size."""
    from .geometry import hand_size

    same_count, gaps = 0, []
    with live_pipeline(pipeline_model, smoothing=False) as pipeline:
        for k in range(count):
            raw = pipeline.process(make_frame(k), int(k * FRAME_MS)).raw
            ref = reference[k]
            same_count += len(raw) == len(ref)
            for hand in raw:
                if ref:
                    size = max(float(hand_size(hand.landmarks)), 1.0)
                    gap = min(np.abs(hand.landmarks - r.landmarks).max() for r in ref)
                    gaps.append(100 * gap / size)
    return {"same_hand_count_pct": round(100 * same_count / count, 1),
            "median_landmark_gap_pct": round(_median(gaps), 2),
            "p95_landmark_gap_pct": round(float(np.percentile(gaps, 95)), 2) if gaps else None}


def steadiness(model, video: HandVideo, params: dict | None = None) -> dict:
    """Spread of each marker on a still hand with sensor noise, raw and smoothed (in % of hand size),
    and the lag in frames of the smoothed markers behind a hand moving at a steady speed."""
    params = params or {}
    rng = np.random.default_rng(11)
    still = video.still().astype(np.float32)
    raw_pts, smooth_pts, sizes = [], [], []
    with live_pipeline(model, **params) as pipeline:
        for k in range(STEADY_FRAMES):
            noisy = np.clip(still + rng.normal(0, NOISE_SIGMA, still.shape), 0, 255).astype(np.uint8)
            result = pipeline.process(noisy, int(k * FRAME_MS))
            if len(result.hands) != 1 or k < WARM_UP:
                continue
            raw = pipeline.locate(result.raw[0], noisy)
            raw_pts.append([p.xy for p in raw.points])
            smooth_pts.append([p.xy for p in result.hands[0].points])
            sizes.append(raw.size)
        if len(raw_pts) < 10:
            raise UserError("steadiness: the still test hand was not found")
        size = _median(sizes)

        def spread(points: list) -> np.ndarray:  # per marker: RMS distance from its mean position
            xy = np.asarray(points)
            return 100 * np.sqrt(((xy - xy.mean(axis=0)) ** 2).sum(axis=2).mean(axis=0)) / size

        raw_spread, smooth_spread = spread(raw_pts), spread(smooth_pts)

        lags = {}
        start_ms = (STEADY_FRAMES + 30) * FRAME_MS
        for per_frame in (LAG_SPEED, LAG_SPEED / 2):
            pipeline.reset()
            lags[per_frame], start_ms = _lag(pipeline, video, per_frame * video.hand_px, start_ms)
    return {
        "noise_sigma": NOISE_SIGMA, "hand_size_px": round(size, 1),
        "raw_spread_pct": {"median": round(float(np.median(raw_spread)), 3),
                           "max": round(float(raw_spread.max()), 3)},
        "smoothed_spread_pct": {"median": round(float(np.median(smooth_spread)), 3),
                                "max": round(float(smooth_spread.max()), 3)},
        "spread_ratio": round(float((smooth_spread / np.maximum(raw_spread, 1e-9)).max()), 3),
        "lag_frames": round(lags[LAG_SPEED], 2),
        "lag_speed_px_per_frame": round(LAG_SPEED * video.hand_px, 2),
        "lag_frames_half_speed": round(lags[LAG_SPEED / 2], 2),
    }


def _lag(pipeline, video: HandVideo, speed: float, start_ms: float) -> tuple[float, float]:
    """Frames by which the smoothed markers trail the raw ones on a hand sliding at ``speed`` px/frame."""
    gaps = []
    n = int((0.8 * video.width) / speed)
    for k in range(n):
        frame = video.sliding(k, speed)
        result = pipeline.process(frame, int(start_ms + k * FRAME_MS))
        if len(result.hands) == 1 and k >= WARM_UP:
            raw = pipeline.locate(result.raw[0], frame)
            gaps.append(np.mean([r.xy[0] - s.xy[0] for r, s in zip(raw.points, result.hands[0].points)]))
    lag = float(np.median(gaps)) / speed if len(gaps) > 5 else float("nan")
    return lag, start_ms + (n + 30) * FRAME_MS


def photo_speed(model, images: Path):
    """Photos/s of the photo pipeline (reading included, as ``locate`` without ``--out`` and ``evaluate``
    run it: nothing drawn) and of the bare IMAGE-mode landmarker (one look at the detector's picture),
    photo by photo in turn so that a busy machine slows both alike; their ratio is what the pipeline's
    own looks and work cost. Then, also in turn, the picture ``locate --out`` and the page draw on is
    read (the results keep it): what drawing adds, per photo, before any drawing."""
    from .detector import PHOTO_MAX_HANDS, HandDetector, Landmarker
    from .images import find_images
    from .photos import DETECTION_SIDE, analyse_photo, larger_picture

    paths = find_images(images)
    if not paths:
        raise UserError(f"{images}: folder has no images")
    results, pipeline_s, bare_s, picture_s = [], 0.0, 0.0, 0.0
    options = DetectorOptions(model=model, max_hands=PHOTO_MAX_HANDS)  # as ``locate`` runs it
    with HandDetector(options) as detector, Landmarker(options) as bare:
        analyse_photo(paths[0], detector)  # warm-up
        for path in paths:
            start = time.perf_counter()
            result = analyse_photo(path, detector, picture_side=DETECTION_SIDE)
            pipeline_s += time.perf_counter() - start
            results.append(result)
            if result.photo is None:
                continue
            start = time.perf_counter()
            bare.run(result.photo.rgb)
            bare_s += time.perf_counter() - start
            start = time.perf_counter()
            result.photo = larger_picture(path, result.photo) or result.photo
            picture_s += time.perf_counter() - start
    rate = len(paths) / pipeline_s
    read = sum(result.photo is not None for result in results)
    bare_rate = read / bare_s if bare_s else None
    return {"photos": len(paths), "seconds": round(pipeline_s, 2), "photos_per_s": round(rate, 2),
            "bare_image_photos_per_s": round(bare_rate, 2) if bare_rate else None,
            "ratio_to_bare_image": round(rate / bare_rate, 3) if bare_rate else None,
            "picture_to_draw_on_ms": round(1e3 * picture_s / read, 1) if read else None}, results


def long_run(model, video: HandVideo, minutes: float, frames: int) -> dict:
    from tqdm import tqdm

    samples = []
    deadline = time.monotonic() + minutes * 60
    interval = max(5.0, minutes * 60 / 12)
    next_sample = time.monotonic()
    k = 0
    with live_pipeline(model) as pipeline, tqdm(total=round(minutes * 60), unit="s", file=sys.stderr,
                                               disable=None, bar_format="{l_bar}{bar}| {n}/{total} s") as bar:
        start = time.monotonic()
        while True:
            now = time.monotonic()
            if now >= next_sample or now >= deadline:
                samples.append({"seconds": round(now - start, 1), "frames": k, "rss_mb": round(rss_mb(), 1)})
                bar.write(f"  {samples[-1]['seconds']:7.1f} s  {k:7d} frames  rss {samples[-1]['rss_mb']:.1f} MB",
                          file=sys.stdout)
                next_sample = now + interval
                if now >= deadline:
                    break
            rgb = video.mixed(k % frames, frames)
            pipeline.draw(rgb, pipeline.process(rgb, int(k * FRAME_MS)))
            k += 1
            bar.n = min(bar.total, round(now - start))
            bar.refresh() if k % 30 == 0 else None
    half = samples[len(samples) // 2:]
    growth = half[-1]["rss_mb"] - half[0]["rss_mb"] if len(half) > 1 else 0.0
    return {"minutes": minutes, "frames": k, "samples": samples,
            "growth_second_half_mb": round(growth, 1), "flat": abs(growth) < 10}


# --- the command ---------------------------------------------------------------------------------

def run(args: argparse.Namespace) -> int:
    from .detector import resolve_model_path

    size = _parse_size(args.size)
    if args.frames < WARM_UP + 10:
        raise UserError(f"--frames must be at least {WARM_UP + 10}")
    if not (math.isfinite(args.long) and args.long >= 0):  # checked now, not after the rest of the bench
        raise UserError(f"--long {args.long:g}: expected a number of minutes, 0 or more")
    images = args.images or (Path(os.environ[IMAGES_ENV]) if os.environ.get(IMAGES_ENV) else None)
    if images is None:
        raise UserError(f"no photo folder: give --images DIR (hand photos, e.g. the sample set) or set {IMAGES_ENV}")
    if images.is_file():
        raise UserError(f"{images}: is a file, not a folder of hand photos")
    if not images.is_dir():
        raise UserError(f"image folder not found: {images}")
    if args.json:
        check_output_file(args.json, "--json", args.overwrite)
    model = resolve_model_path(args.model)
    out = lambda text="": print(text, flush=True)  # noqa: E731

    out(f"bench: {size[0]}x{size[1]}, {args.frames} frames per sequence, median after {WARM_UP} warm-up "
        f"frames, {os.cpu_count()} cores")
    photos, results = photo_speed(model, images)
    source_rgb, source_landmarks, source_name = pick_source(results, HAND_PX * size[1])
    video = HandVideo(source_rgb, source_landmarks, size)
    out(f"test video from {source_name} (hand {video.hand_px:.0f} px; two hands = it and its mirror image)")

    n = args.frames
    sequences = {"one_hand": video.one_hand, "two_hands": video.two_hands, "no_hand": video.empty}
    live, bare1, bare2 = {}, {}, {}
    with live_pipeline(model) as pipeline:
        for name, make in sequences.items():
            live[name] = measure_live(pipeline, make, n)
            live[name]["own_work_warm"] = round(own_work_warm(pipeline, make(0)), 3)
        live_rss = rss_mb()
    for name, make in sequences.items():
        bare2[name] = measure_bare(model, make, n, 2)
        bare1[name] = measure_bare(model, make, n, 1)
    mixed = lambda k: video.mixed(k, n)  # noqa: E731
    mixed_ref = measure_bare(model, mixed, n, 2)
    agree = agreement(model, mixed, n, mixed_ref["hands"])
    steady = steadiness(model, video)

    own_work = {name: live[name]["smooth"] + live[name]["locate"] + live[name]["overlay"] for name in sequences}
    figures = {
        "frame_size": list(size), "frames_per_sequence": args.frames, "warm_up": WARM_UP,
        "cpu_count": os.cpu_count(), "source_photo": source_name,
        "live": live,
        "bare_video": {name: {"num_hands_2_ms": bare2[name]["ms"], "num_hands_2_fps": bare2[name]["fps"],
                              "num_hands_1_ms": bare1[name]["ms"], "num_hands_1_fps": bare1[name]["fps"]}
                       for name in sequences},
        "ratio_live_to_bare2": {name: round(live[name]["fps"] / bare2[name]["fps"], 2) for name in sequences},
        "own_work_pct_of_detector": {  # decision + rules, smoothing, overlay
            name: round(100 * own_work[name] / live[name]["detect"], 1) for name in sequences},
        "own_work_and_convert_pct_of_detector": {
            name: round(100 * (own_work[name] + live[name]["convert"]) / live[name]["detect"], 1)
            for name in sequences},
        "agreement_with_bare2_mixed": agree,
        "photo_pipeline": photos,
        "steadiness": steady,
        "peak_memory_mb": round(peak_mb(), 1),
        "rss_after_live_mb": round(live_rss, 1),
    }
    if args.long > 0:
        out(f"long run: {args.long:g} minutes")
        figures["long"] = long_run(model, video, args.long, args.frames)
        figures["peak_memory_mb"] = round(peak_mb(), 1)
    print_table(figures, out)
    if args.json:
        write_output(args.json, (json.dumps(figures, indent=2) + "\n").encode(), "--json")
    return 0


def print_table(f: dict, out) -> None:
    names = list(f["live"])

    def row(label: str, value_of, fmt: str = "12.2f") -> None:
        """One table line: ``label`` and ``value_of(sequence name)`` formatted per column."""
        out(f"  {label:32}" + "".join(format(value_of(n), fmt) for n in names))

    def header(title: str) -> None:
        out()
        out(f"{title:34}" + "".join(f"{n:>12}" for n in names))

    header("live path, ms per frame (median)")
    for label, key in [("convert (yuv420p <-> rgb24)", "convert"), ("detect (VIDEO mode)", "detect"),
                       ("decision + rules", "locate"), ("smoothing", "smooth"), ("overlay", "overlay"),
                       ("whole live path", "whole"), ("whole, mean", "mean_whole"),
                       ("whole, 95th percentile", "p95_whole")]:
        row(label, lambda n, key=key: f["live"][n][key])
    row("own work, % of detect", lambda n: f"{f['own_work_pct_of_detector'][n]:.1f}%", ">12")
    row("  own work, warm caches, ms", lambda n: f["live"][n]["own_work_warm"])
    row("  same + convert, % of detect",
        lambda n: f"{f['own_work_and_convert_pct_of_detector'][n]:.1f}%", ">12")
    header("frames per second")
    row("whole live path", lambda n: f["live"][n]["fps"], "12.1f")
    row("bare VIDEO, num_hands=2", lambda n: f["bare_video"][n]["num_hands_2_fps"], "12.1f")
    row("bare VIDEO, num_hands=1", lambda n: f["bare_video"][n]["num_hands_1_fps"], "12.1f")
    row("ratio live / bare num_hands=2", lambda n: f["ratio_live_to_bare2"][n])
    row("hands found (frames)", lambda n: str(f["live"][n]["hands_found"]), ">12")
    a = f["agreement_with_bare2_mixed"]
    out(f"  detections vs bare num_hands=2 (1->2->1 hands): same count {a['same_hand_count_pct']}% of frames, "
        f"landmark gap median {a['median_landmark_gap_pct']}% / p95 {a['p95_landmark_gap_pct']}% of hand size")
    p = f["photo_pipeline"]
    out()
    out(f"photo pipeline (IMAGE mode): {p['photos_per_s']:.2f} photos/s ({p['photos']} photos in {p['seconds']} s)")
    if p["bare_image_photos_per_s"]:
        out(f"  bare IMAGE-mode landmarker, one look at the same pictures: {p['bare_image_photos_per_s']:.2f} "
            f"photos/s; ratio pipeline / bare {p['ratio_to_bare_image']:.3f}")
        out(f"  reading the picture to draw on (locate --out, the page) adds {p['picture_to_draw_on_ms']:.1f} "
            "ms per photo")
    s = f["steadiness"]
    out(f"steadiness (still hand {s['hand_size_px']} px, noise sigma {s['noise_sigma']}): marker spread, % of "
        f"hand size, median/max over markers: raw {s['raw_spread_pct']['median']:.3f}/{s['raw_spread_pct']['max']:.3f}"
        f", smoothed {s['smoothed_spread_pct']['median']:.3f}/{s['smoothed_spread_pct']['max']:.3f}"
        f" (ratio {s['spread_ratio']:.2f})")
    out(f"lag of smoothed markers behind raw, hand moving {s['lag_speed_px_per_frame']} px/frame: "
        f"{s['lag_frames']:.2f} frames (at half that speed: {s['lag_frames_half_speed']:.2f} frames)")
    out(f"memory: peak (maxrss) {f['peak_memory_mb']:.0f} MB for the whole bench; resident after the live "
        f"runs {f['rss_after_live_mb']:.0f} MB")
    if "long" in f:
        g = f["long"]
        out(f"long run: {g['frames']} frames in {g['minutes']:g} min, rss growth over the second half "
            f"{g['growth_second_half_mb']:+.1f} MB ({'flat' if g['flat'] else 'NOT flat'})")
