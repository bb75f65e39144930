"""The command line: ``python -m locator {locate,evaluate,fit,points,routine,samples,bench} ...``.

Each sub-command registers itself with ``set_defaults(run=...)``; ``run(args)`` returns the exit code.
A :class:`~locator.errors.UserError` anywhere becomes one line on stderr and exit code 2, never a
traceback; outputs are written only once the inputs are known to work, and atomically.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, TextIO

from . import bench, samples
from .detector import MODEL_ENV, PHOTO_MAX_HANDS, DetectorOptions, add_model_option
from .errors import ImageError, LabelsError, ModelError, OutputError, UserError
from .images import IMAGE_SUFFIXES, find_images
from .outputs import atomic_output, check_output_file, check_output_folder, write_atomically, write_output

os.environ.setdefault("GLOG_minloglevel", "2")  # keep MediaPipe's C++ start-up chatter off the terminal


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m locator",
                                     description="Find acupoints on hands in photos and live video.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _register_locate(commands)
    _register_evaluate(commands)
    _register_fit(commands)
    _register_points(commands)
    _register_routine(commands)
    samples.register(commands)
    bench.register(commands)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ModelError as error:
        print(f"locator: error: {error} (give --model PATH or set {MODEL_ENV})", file=sys.stderr)
        return 2
    except UserError as error:
        print(f"locator: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("locator: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (``| head``): stop quietly, as other tools do
        sys.stderr.close()
        return 1


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
    from .overlay import annotate_photo, encode_png
    from .images import WORKING_SIDE
    from .photos import DETECTION_SIDE, analyse_photo

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
    json_path = _check_json_target(args.json, args.overwrite)
    human = sys.stderr if args.json == "-" else sys.stdout
    # The model loads before any output is opened: a bad model leaves every earlier output as it was.
    with HandDetector(DetectorOptions(model=args.model, max_hands=args.max_hands)) as detector, \
            _json_output(json_path) as json_out, tqdm(total=len(jobs), unit="photo", file=sys.stderr, disable=len(jobs) < 5 or None) as bar:
        for (path, _), output in zip(jobs, outputs):
            result = analyse_photo(path, detector, args.mirrored,
                                   picture_side=WORKING_SIDE if output is not None else DETECTION_SIDE)
            if result.error is None and output is not None:
                picture = annotate_photo(result.photo.rgb, result.hands, 1 / result.photo.scale)
                try:
                    write_atomically(output, encode_png(picture))
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
    check_output_folder(out, "--out")
    inputs = {path.resolve() for path, _ in jobs if path.exists()}
    planned: list[Path] = []
    for _, relative in jobs:
        target = out / relative.with_suffix(".annotated.png")
        stem, number = target.with_suffix("").with_suffix(""), 2
        while target in planned:  # two inputs with the same name: keep both
            target = stem.with_name(f"{stem.name}-{number}.annotated.png")
            number += 1
        if target.resolve() in inputs:
            raise OutputError(f"{target}: would overwrite an input image; choose another --out")
        if target.exists() and not overwrite:
            raise OutputError(f"{target}: already exists (use --overwrite to replace it)")
        planned.append(target)
    return planned


def _check_json_target(target: str | None, overwrite: bool) -> Path | str | None:
    """The --json target, refused early if it would replace a file without --overwrite."""
    if target is None or target == "-":
        return target
    path = Path(target)
    check_output_file(path, "--json", overwrite)
    return path


@contextmanager
def _json_output(target: Path | str | None) -> Iterator[TextIO | None]:
    if target is None or target == "-":
        yield sys.stdout if target == "-" else None
        return
    try:
        with atomic_output(target) as out:
            yield out
    except OSError as error:
        raise OutputError(f"--json {target}: cannot write ({error.strerror or error})") from None


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
                    "acupoints-dev.json; several files of the same photos are joined per hand) or "
                    "whole-photo labels (CSV with columns image, hand, facing).")
    parser.add_argument("--labels", type=Path, required=True, nargs="+", metavar="FILE",
                        help="acupoint labels (.json, one or more) or whole-photo labels (one .csv)")
    parser.add_argument("--images", type=Path, required=True, metavar="DIR")
    parser.add_argument("--negatives", default="nohand_*", metavar="GLOB",
                        help="photos in DIR that show no hand (default: nohand_*)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --json file")
    parser.add_argument("--by", metavar="COLUMN", help="CSV labels: also give the figures per value of COLUMN")
    parser.add_argument("--mirrored", action="store_true",
                        help="CSV labels: locate in the mirror image of every photo, told it is mirrored "
                             "(the answers must be the same)")
    add_model_option(parser)
    parser.set_defaults(run=_run_evaluate)


def photo_options(model: str | None) -> DetectorOptions:
    """The photo pipeline's settings as ``locate`` and the page's photo mode run it by default: ``evaluate``
    and ``fit`` measure and fit on the landmarks a user gets."""
    return DetectorOptions(model=model, max_hands=PHOTO_MAX_HANDS)


def _photo_locator(detector, flip: bool = False):
    """``locate(path) -> hands`` for the labelled photos (in their mirror image with ``flip``); a photo
    that cannot be read stops the run."""
    from .photos import DETECTION_SIDE, analyse_photo

    def locate(path: Path):
        result = analyse_photo(path, detector, flip=flip, picture_side=DETECTION_SIDE)
        if result.error:
            raise ImageError(f"{path}: {result.error}")
        return result.hands

    return locate


def _labels_and_images(args: argparse.Namespace, photo_labels: bool = False) -> list[dict]:
    from .evaluate import load_label_files, load_photo_labels

    labels = load_photo_labels(args.labels[0]) if photo_labels else load_label_files(args.labels)
    if not (labels if photo_labels else [hand for entry in labels for hand in entry["hands"]]):
        raise LabelsError(f"{', '.join(map(str, args.labels))}: no labelled hands, nothing to {args.command}")
    if not args.images.is_dir():
        raise UserError(f"--images {args.images}: not a folder")
    return labels


def _run_evaluate(args: argparse.Namespace) -> int:
    from .detector import HandDetector
    from .evaluate import evaluate, evaluate_photos

    photo_labels = len(args.labels) == 1 and args.labels[0].suffix.lower() == ".csv"
    if not photo_labels and (args.by or args.mirrored):
        raise UserError("--by and --mirrored need whole-photo labels (a .csv file)")
    labels = _labels_and_images(args, photo_labels)
    try:
        negatives = sorted(args.images.glob(args.negatives))
    except (ValueError, NotImplementedError):  # an empty or an absolute pattern
        raise UserError(f"--negatives {args.negatives!r}: expected a file name pattern inside --images, "
                        f"e.g. nohand_*") from None
    if args.json:
        check_output_file(args.json, "--json", args.overwrite)
    with HandDetector(photo_options(args.model)) as detector:
        if photo_labels:
            report = evaluate_photos(labels, args.images, _photo_locator(detector, args.mirrored), args.by)
        else:
            report = evaluate(labels, args.images, _photo_locator(detector), negatives)
    print(report.format())
    if args.json:
        write_output(args.json, (json.dumps(report.to_json(), indent=1) + "\n").encode(), "--json")
    return 0


# --- fit ------------------------------------------------------------------------------------------

def _register_fit(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "fit", help="fit the acupoint rules to hand-marked labels (a developer tool)",
        description="Choose and fit every rule's family on the labels, cross-validated by person; print "
                    "the constants and whether they equal the shipped ones (locator/fitted_rules.json).")
    parser.add_argument("--labels", type=Path, required=True, nargs="+", metavar="FILE",
                        help="label files of the same photos (their points are joined per hand)")
    parser.add_argument("--images", type=Path, required=True, metavar="DIR")
    parser.add_argument("--write", action="store_true", help="write the constants into the package")
    add_model_option(parser)
    parser.set_defaults(run=_run_fit)


def _run_fit(args: argparse.Namespace) -> int:
    from .catalogue import FITTED_RULES
    from .detector import HandDetector
    from .evaluate import fit_rules
    from .fitting import same_constants

    labels = _labels_and_images(args)
    if args.write:
        check_output_file(FITTED_RULES, "--write", overwrite=True)
    with HandDetector(photo_options(args.model)) as detector:
        fitted = fit_rules(labels, args.images, _photo_locator(detector),
                           " + ".join(path.name for path in args.labels))
    for code, point in fitted["points"].items():
        terms = ", ".join(f"{value:+.4f} x {name}" for name, value in point["coefficients"].items())
        cv = point["cross_validated"]
        cue = f"; image cue {point['image_cue']}" if "image_cue" in point else ""
        print(f"{code}: {point['family']}: {terms}{cue}; 80% ring {point['radius']:.3f};"
              f" cross-validated PCK@0.10 {cv['pck@0.10']:.2f}, median {cv['median']:.3f} (n {cv['n']})")
    if args.write:
        write_output(FITTED_RULES, (json.dumps(fitted, indent=1, ensure_ascii=False) + "\n").encode(), "--write")
        print(f"written to {FITTED_RULES}")
        return 0
    same = FITTED_RULES.exists() and same_constants(json.loads(FITTED_RULES.read_text())["points"],
                                                    fitted["points"])
    print(f"{FITTED_RULES.name}: {'the same constants' if same else 'DIFFERENT from these (use --write)'}")
    return 0 if same else 1


# --- points and routines ---------------------------------------------------------------------------

def _register_points(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("points", help="list the catalogue's points (the codes routine files use)",
                                 description="List every point of the catalogue: code, names, face, group.")
    parser.set_defaults(run=_run_points)


def _run_points(args: argparse.Namespace) -> int:
    from .catalogue import CATALOGUE

    for point in CATALOGUE:
        print(f"{point.code:10} {point.pinyin} {point.hanzi} ({point.english}); {point.face}; {point.group}")
    return 0


# --- routine --------------------------------------------------------------------------------------

def _register_routine(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "routine", help="check routine files and print the steps the page would walk through",
        description="Check routine files (TOML, see locator/routines/ for examples) and print each one's "
                    "steps. A bad file is one line naming its line and problem; the others are still "
                    "checked. The page offers the files in the host's folder LOCATOR_ROUTINES_DIR.")
    parser.add_argument("files", type=Path, nargs="+", metavar="FILE")
    parser.set_defaults(run=_run_routine)


def _run_routine(args: argparse.Namespace) -> int:
    from .errors import RoutineFileError
    from .routine_files import load_routine
    from .steps import expand

    bad = 0
    for path in args.files:
        try:
            routine = load_routine(path)
        except RoutineFileError as error:
            print(f"locator: error: {error}", file=sys.stderr)
            bad += 1
            continue
        steps = expand(routine.entries)
        print(f"{path}: \"{routine.title}\", {len(steps)} steps, "
              f"{sum(step.hold_seconds for step in steps):g} s ({routine.source})")
        for number, step in enumerate(steps, start=1):
            print(f"  {number:2}. {step.title}: {step.hold_seconds:g} s")
    if bad:
        print(f"{bad} of {len(args.files)} routine files could not be used", file=sys.stderr)
    return 1 if bad else 0
