"""Where the wrist points miss, hand by hand, and what limits them (a developer tool).

    PYTHONPATH=. python tools/wrist_errors.py --labels ../shared/hands/acupoints-dev.json \
        ../shared/hands/acupoints-extended-dev.json --images ../shared/hands/images [--cache /tmp/hands.pkl]

PC7, HT7 and LU9 lie on the palmar wrist crease, PC6 2 cun up the forearm from PC7. Every figure is
cross-validated by person as ``locator evaluate`` does it (family chosen and fitted without the hand's
person; the wrist points have no image cue): the tool checks that its errors are
:func:`locator.fitting.fit_point`'s. Prints:

1. per point and hand, worst first: the error and the vector from the point shown to the label, along the
   hand's axis (detector's wrist -> middle knuckle, + toward the knuckles) and across it (+ toward the
   little finger), in hand sizes; the person, the camera (``MANIFEST.tsv``'s notes: webcam or another
   photo), the hand's size in the picture (the labels' scale over the picture's longer side) and the
   two annotators' spread (- where the label file gives none);
2. per group (camera; hand size in the picture below or above the median): PCK@0.10 and the mean vector;
3. what limits PCK@0.10: how far apart two label rounds mark the crease's middle (PC7 in the last file,
   ``wrist`` in the first); the figure if the crease's place along the hand were known (each point moved
   along the axis by the labelled PC7's offset from the fold's PC7); the hands whose annotators are 0.10
   or more apart; the webcam person's hands with the rule fitted on that person's other hands (leave one
   hand out), and the other people's with the rule fitted on the other people only.

``--cache`` is ``tools/compare_fits.py``'s (the same hands, landmarks and spreads).
"""

from __future__ import annotations

import argparse
import csv
import pickle
from pathlib import Path
from typing import Callable

import numpy as np

from compare_fits import Hand, collect
from locator.catalogue import FAMILIES
from locator.detector import PHOTO_MAX_HANDS
from locator.evaluate import load_label_files
from locator.fitting import Sample, choose, fit_point, fitted_weights
from locator.geometry import Landmark as L

CODES = ("PC7", "HT7", "LU9", "PC6")
THRESHOLD = 0.10
WEBCAM = "webcam"


def axes(landmarks: np.ndarray) -> np.ndarray:
    """``(2, 2)``: the unit vectors along the hand (wrist -> middle knuckle) and across it (toward the
    little finger, whichever hand and face)."""
    along = landmarks[L.MIDDLE_MCP] - landmarks[L.WRIST]
    along = along / np.linalg.norm(along)
    across = np.array([-along[1], along[0]])
    return np.array([along, across if (landmarks[L.PINKY_MCP] - landmarks[L.INDEX_MCP]) @ across > 0 else -across])


def held_out_points(samples: list[Sample], code: str) -> np.ndarray:
    """``(n, 2)``: each hand's point under the rule chosen and fitted without its group (pixels)."""
    groups = np.array([s.group for s in samples])
    points = np.empty((len(samples), 2))
    for group in sorted(set(groups)):
        training = [s for s, g in zip(samples, groups) if g != group]
        weights = fitted_weights(choose(FAMILIES[code], training, code), training, code)
        for i in np.flatnonzero(groups == group):
            points[i] = weights @ samples[i].landmarks
    return points


def errors_of(samples: list[Sample], code: str) -> np.ndarray:
    """Each hand's error (hand sizes) under the rule chosen and fitted without its group."""
    points = held_out_points(samples, code)
    return np.array([np.linalg.norm(p - s.targets[code]) / s.scale for p, s in zip(points, samples)])


def each_hand_alone(samples: list[Sample]) -> list[Sample]:
    """The same hands, each its own group (to leave one hand out within one person)."""
    return [Sample(s.landmarks, s.scale, str(i), s.targets, s.withheld) for i, s in enumerate(samples)]


def photos_of(manifest: Path) -> dict[str, tuple[str, int]]:
    """Per photo: ``webcam`` or ``photo`` (from its notes), and the picture's longer side in pixels."""
    with manifest.open(encoding="utf-8") as rows:
        return {row["filename"]: (WEBCAM if row["notes"].startswith(WEBCAM) else "photo",
                                  max(int(side) for side in row["size_px"].split("x")))
                for row in csv.DictReader(rows, delimiter="\t")}


def pck(errors) -> str:
    errors = np.asarray(errors, dtype=float)
    return f"{np.mean(errors <= THRESHOLD):.2f} (n {errors.size:>2})" if errors.size else "-"


def offset(hand: Hand, code: str, point: np.ndarray) -> np.ndarray:
    """From ``point`` to the label, along and across the hand, in hand sizes."""
    return axes(hand.sample.landmarks) @ (hand.sample.targets[code] - point) / hand.sample.scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, nargs="+", required=True)
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--cache", type=Path, help="keep the detector's landmarks in this file")
    args = parser.parse_args()
    if args.cache and args.cache.exists():
        hands: list[Hand] = pickle.loads(args.cache.read_bytes())
    else:
        hands = collect(args.labels, args.images, PHOTO_MAX_HANDS)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(hands))
    photos = photos_of(args.images.parent / "MANIFEST.tsv")
    camera = {h.name: photos[h.name.split("#")[0]][0] for h in hands}
    size = {h.name: h.sample.scale / photos[h.name.split("#")[0]][1] for h in hands}
    labelled = {code: [h for h in hands if code in h.sample.targets] for code in CODES}
    shown = {code: dict(zip((h.name for h in labelled[code]),
                            held_out_points([h.sample for h in labelled[code]], code))) for code in CODES}

    print("1. cross-validated by person: the error and the vector from the point shown to the label (hand sizes)")
    for code in CODES:
        errors = errors_of([h.sample for h in labelled[code]], code)
        assert np.allclose(errors, fit_point(code, FAMILIES[code], [h.sample for h in labelled[code]]).cross_validated)
        print(f"{code}: PCK@{THRESHOLD:.2f} {pck(errors)}\n  {'hand':24}{'person':22}{'camera':>7}{'size':>6}"
              f"{'error':>7}{'along':>7}{'across':>7}{'spread':>7}")
        for i in np.argsort(-errors):
            hand = labelled[code][i]
            along, across = offset(hand, code, shown[code][hand.name])
            spread = hand.spread.get(code)
            print(f"  {hand.name:24}{hand.sample.group[:21]:22}{camera[hand.name]:>7}{size[hand.name]:>6.2f}"
                  f"{errors[i]:>7.3f}{along:>+7.3f}{across:>+7.3f}"
                  + (f"{spread:>7.3f}" if spread is not None else f"{'-':>7}"))

    median = float(np.median([size[h.name] for h in hands if set(CODES) & set(h.sample.targets)]))
    groups: dict[str, Callable[[str], bool]] = {
        f"camera {WEBCAM}": lambda name: camera[name] == WEBCAM, "camera photo": lambda name: camera[name] != WEBCAM,
        f"size < {median:.2f}": lambda name: size[name] < median,
        f"size >= {median:.2f}": lambda name: size[name] >= median}
    print(f"\n2. per group: PCK@{THRESHOLD:.2f} (n), mean vector along/across")
    for title, inside in groups.items():
        cells = []
        for code in CODES:
            offsets = np.array([offset(h, code, shown[code][h.name]) for h in labelled[code] if inside(h.name)])
            cells.append(f"{code} {pck(np.linalg.norm(offsets, axis=1))}"
                         f" {offsets[:, 0].mean():+.3f}/{offsets[:, 1].mean():+.3f}")
        print(f"  {title:16}" + "   ".join(cells))

    print(f"\n3. what limits PCK@{THRESHOLD:.2f}")
    first_round = {f"{entry['image']}#{number}": np.asarray(hand["points"]["wrist"], dtype=float)
                   for entry in load_label_files(args.labels) for number, hand in enumerate(entry["hands"], start=1)}
    rounds = [np.linalg.norm(h.sample.targets["PC7"] - first_round[h.name]) / h.sample.scale for h in labelled["PC7"]]
    print(f"  the crease's middle, PC7 ({args.labels[-1].name}) against wrist ({args.labels[0].name}): median "
          f"{np.median(rounds):.3f} apart, 0.10 or more on {sum(d >= THRESHOLD for d in rounds)} of {len(rounds)}")
    for code in CODES:
        on_crease = [h for h in labelled[code] if "PC7" in h.sample.targets]
        crease_known = [np.linalg.norm(offset(h, code, shown[code][h.name])
                                       - [offset(h, "PC7", shown["PC7"][h.name])[0], 0.0]) for h in on_crease]
        spreads = [h.spread.get(code) for h in labelled[code]]
        apart = sum(spread is not None and spread >= THRESHOLD for spread in spreads)
        webcam = [h.sample for h in labelled[code] if camera[h.name] == WEBCAM]
        others = [h.sample for h in labelled[code] if camera[h.name] != WEBCAM]
        print(f"  {code}: the crease's place along the hand known {pck(crease_known)}; annotators >= {THRESHOLD:.2f} "
              f"apart on {apart} of {len(spreads)} ({sum(s is None for s in spreads)} without a spread);\n"
              f"       webcam hands, rule fitted on the same person's other hands"
              f" {pck(errors_of(each_hand_alone(webcam), code))};"
              f" the other people's, rule fitted on the other people only {pck(errors_of(others, code))}")


if __name__ == "__main__":
    main()
