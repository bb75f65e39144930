"""Close-up hands on the live path: the 11K Hands photos whose hand the palm detector misses at 640x480.

    PYTHONPATH=. python tools/close_ups.py ../shared/hands11k

Each 11K photo is scaled to fill a 640x480 frame; those where one plain look (IMAGE mode) finds no hand
(hands cut by the frame's edge, as when held close to a webcam) become 30-frame videos drifting a few
pixels (:func:`locator.synthetic_video.close_up`), run through the live path without the margin look
(``margin_every=0``, as before it) and with it. Prints, per photo and in all, the frames with a hand and
the frames with the labelled hand and face.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from locator.detector import DetectorOptions, Landmarker, VideoHandDetector
from locator.evaluate import load_photo_labels
from locator.images import read_photo
from locator.live import LivePipeline
from locator.synthetic_video import close_up

SIZE = (640, 480)
FRAMES = 30


def frames_found(frames, label: dict, margin_every: int) -> tuple[int, int]:
    """(frames with a hand, frames with the labelled hand and face) through a fresh live path."""
    with LivePipeline(VideoHandDetector(DetectorOptions(margin_every=margin_every)), mirrored=False) as live:
        hands = [live.process(frame, k * 33).hands for k, frame in enumerate(frames)]
    right = sum(bool(h) and (h[0].handedness, h[0].facing) == (label["hand"], label["facing"]) for h in hands)
    return sum(bool(h) for h in hands), right


def main(folder: Path) -> None:
    totals = {"before": [0, 0], "after": [0, 0]}
    videos = 0
    with Landmarker(DetectorOptions()) as plain:
        for label in load_photo_labels(folder / "labels.csv"):
            rgb = read_photo(folder / "images" / label["image"]).rgb
            if plain.run(close_up(rgb, SIZE, 0)):
                continue
            frames = [close_up(rgb, SIZE, k) for k in range(FRAMES)]
            videos += 1
            line = [label["image"], label["subject"]]
            for name, every in (("before", 0), ("after", DetectorOptions().margin_every)):
                found, right = frames_found(frames, label, every)
                totals[name][0] += found
                totals[name][1] += right
                line.append(f"{name}: {found}/{FRAMES} found, {right} right")
            print("  ".join(line), flush=True)
    for name, (found, right) in totals.items():
        print(f"{name}: {videos} close-up videos, {videos * FRAMES} frames: hand found on {found} "
              f"({found / max(videos * FRAMES, 1):.1%}), labelled hand and face on {right} "
              f"({right / max(videos * FRAMES, 1):.1%})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="?", default=Path("../shared/hands11k"),
                        help="the 11K Hands folder (labels.csv and images/); default ../shared/hands11k")
    folder = parser.parse_args().folder
    if not (folder / "labels.csv").is_file():
        parser.error(f"{folder}: no labels.csv there (the 11K Hands folder has labels.csv and images/)")
    main(folder)
