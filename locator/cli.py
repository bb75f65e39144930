"""The command line: ``python -m locator {locate,evaluate,samples,bench} ...``.

Each sub-command registers itself with ``set_defaults(run=...)``; ``run(args)`` returns the exit code.
A :class:`UserError` anywhere becomes one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Iterator, TextIO

from . import bench, samples
from .detector import PHOTO_MAX_HANDS, add_model_option
from .errors import UserError
from .images import IMAGE_SUFFIXES, find_images

os.environ.setdefault("GLOG_minloglevel", "2")  # keep MediaPipe's C++ start-up chatter off the terminal


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m locator",
                                     description="Find acupoints on hands in photos and live video.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _register_locate(commands)
    _register_evaluate(commands)
    samples.register(commands)
    bench.register(commands)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except UserError as error:
        print(f"locator: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("locator: interrupted", file=sys.stderr)
        return 130


# --- locate ---------------------------------------------------------------------------------------

def _register_locate(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "locate", help="find acupoints on photos: annotated images and coordinates",
        description="Find hands and acupoints in photos (files or folders, searched recursively).")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="image files or folders")
    parser.add_argument("--out", type=Path, metavar="DIR", help="write annotated PNG images to DIR")
    parser.add_argument("--json", metavar="FILE", help="write JSON Lines, one object per image ('-': stdout)")
    parser.add_argument("--mirrored", action="store_true",
                        help="the photos are mirrored (selfie view): swaps left and right")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")
    parser.add_argument("--max-hands", type=_positive_int, default=PHOTO_MAX_HANDS, metavar="N",
                        help=f"find at most N hands per photo (default: {PHOTO_MAX_HANDS})")
    add_model_option(parser)
    parser.set_defaults(run=_run_locate)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _inputs(paths: list[Path]) -> Iterator[tuple[Path, Path]]:
    """(image path, path of its annotated copy relative to --out) for every input; folders recursively."""
    for path in paths:
        if path.is_dir():
            images = find_images(path)
            if not images:
                raise UserError(f"{path}: folder has no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
            for image in images:
                yield image, Path(path.name) / image.relative_to(path)
        else:
            yield path, Path(path.name)


def _run_locate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .detector import HandDetector
    from .overlay import annotate_photo
    from .photos import analyse_photo

    jobs, failures = [], 0
    for path in args.paths:
        try:
            jobs.extend(_inputs([path]))
        except UserError as error:  # a bad folder is reported, the others still run
            print(f"locator: error: {error}", file=sys.stderr)
            failures += 1
    if not jobs:
        return 1
    outputs = _plan_outputs(jobs, args.out, args.overwrite) if args.out else [None] * len(jobs)
    json_target = _open_json(args.json, args.overwrite)
    human = sys.stderr if args.json == "-" else sys.stdout
    with HandDetector(args.model, max_hands=args.max_hands) as detector, json_target as json_out, tqdm(
            total=len(jobs), unit="photo", file=sys.stderr, disable=len(jobs) < 5 or None) as bar:
        for (path, _), output in zip(jobs, outputs):
            result = analyse_photo(path, detector, args.mirrored)
            if result.error is None and output is not None:
                try:
                    _write_png(output, annotate_photo(result.photo.rgb, result.hands, 1 / result.photo.scale))
                except OSError as error:
                    result.error = f"cannot write {output}: {error.strerror or error}"
            failures += result.error is not None
            if json_out is not None:
                json_out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
                json_out.flush()
            bar.write(_summary_line(result), file=human)
            bar.update(1)
    if failures:
        print(f"locator: {failures} of {len(jobs)} inputs failed", file=sys.stderr)
    return 1 if failures else 0


def _plan_outputs(jobs: list[tuple[Path, Path]], out: Path, overwrite: bool) -> list[Path]:
    """Where each annotated image goes: never onto an input, never over a file unless --overwrite."""
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: exists and is not a folder")
    inputs = {path.resolve() for path, _ in jobs if path.exists()}
    planned: list[Path] = []
    for _, relative in jobs:
        target = out / relative.with_suffix(".annotated.png")
        stem, number = target.with_suffix("").with_suffix(""), 2
        while target in planned:  # two inputs with the same name: keep both
            target = stem.with_name(f"{stem.name}-{number}.annotated.png")
            number += 1
        if target.resolve() in inputs:
            raise UserError(f"{target}: would overwrite an input image; choose another --out")
        if target.exists() and not overwrite:
            raise UserError(f"{target}: already exists (use --overwrite to replace it)")
        planned.append(target)
    return planned


def _open_json(target: str | None, overwrite: bool):
    if target is None:
        return nullcontext(None)
    if target == "-":
        return nullcontext(sys.stdout)
    path = Path(target)
    if path.exists() and not overwrite:
        raise UserError(f"--json {path}: already exists (use --overwrite to replace it)")
    try:
        return path.open("w", encoding="utf-8")
    except OSError as error:
        raise UserError(f"--json {path}: cannot write ({error.strerror or error})") from None


def _write_png(path: Path, rgb) -> None:
    from .overlay import encode_png

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encode_png(rgb))


def _summary_line(result) -> str:
    if result.error:
        return f"{result.image}: error: {result.error}"
    if not result.hands:
        return f"{result.image}: no hand found"
    hands = "; ".join(
        f"{hand.handedness} {hand.facing} ({hand.handedness_score:.0%}): "
        + ", ".join(p.code for p in hand.points if p.on_visible_face)
        for hand in result.hands)
    return f"{result.image}: {hands}"


# --- evaluate -------------------------------------------------------------------------------------

def _register_evaluate(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "evaluate", help="measure accuracy against hand-marked labels",
        description="Compare the locator with hand-marked labels: acupoints (JSON, the format of "
                    "acupoints-dev.json) or whole-photo labels (CSV with columns image, hand, facing).")
    parser.add_argument("--labels", type=Path, required=True, metavar="FILE",
                        help="acupoint labels (.json) or whole-photo labels (.csv)")
    parser.add_argument("--images", type=Path, required=True, metavar="DIR")
    parser.add_argument("--negatives", default="nohand_*", metavar="GLOB",
                        help="photos in DIR that show no hand (default: nohand_*)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--by", metavar="COLUMN", help="CSV labels: also give the figures per value of COLUMN")
    parser.add_argument("--mirrored", action="store_true",
                        help="CSV labels: locate in the mirror image of every photo, told it is mirrored "
                             "(the answers must be the same)")
    add_model_option(parser)
    parser.set_defaults(run=_run_evaluate)


def _run_evaluate(args: argparse.Namespace) -> int:
    from .detector import HandDetector
    from .evaluate import evaluate, evaluate_photos, load_labels, load_photo_labels
    from .photos import analyse_photo

    photo_labels = args.labels.suffix.lower() == ".csv"
    if not photo_labels and (args.by or args.mirrored):
        raise UserError("--by and --mirrored need whole-photo labels (a .csv file)")
    labels = load_photo_labels(args.labels) if photo_labels else load_labels(args.labels)
    if not args.images.is_dir():
        raise UserError(f"--images {args.images}: not a folder")
    with HandDetector(args.model) as detector:
        def locate(path: Path):
            result = analyse_photo(path, detector, flip=args.mirrored)
            if result.error:
                raise UserError(f"{path}: {result.error}")
            return result.hands

        if photo_labels:
            report = evaluate_photos(labels, args.images, locate, args.by)
        else:
            report = evaluate(labels, args.images, locate, sorted(args.images.glob(args.negatives)))
    print(report.format())
    if args.json:
        args.json.write_text(json.dumps(report.to_json(), indent=1) + "\n")
    return 0
