"""Can the palmar wrist crease, seen in the picture, place the wrist points? (a developer tool: tried, not kept)

    PYTHONPATH=. python tools/wrist_crease.py --labels ../shared/hands/acupoints-dev.json \
        ../shared/hands/acupoints-extended-dev.json --images ../shared/hands/images [--cache /tmp/crease.pkl]

PC7, HT7 and LU9 lie on the palmar wrist crease, PC6 2 cun up the forearm from PC7; their rules hang on
MediaPipe's wrist landmark, which scatters about 0.07 hand sizes along the hand around the marked crease.
The crease is a thin dark line across the wrist. The cue tried here: take the crease as the rules draw it
(the polyline LU9 -> PC7 -> HT7 of the fold's own rules), slide it along the hand's axis (detector's wrist
-> middle knuckle) by t in [-REACH, +REACH] hand sizes, and read the picture's mean luminance along it: a
1-D profile in t. The crease is the strongest thin valley of that profile (largest response to a second
derivative of Gaussian of width SIGMA hand sizes, positions whose line leaves the picture ignored); its
strength is that response over the profile's median absolute response. When the strength reaches FLOOR
the four points move by t along the axis; otherwise they stay.

Everything is cross-validated by person, as ``locator evaluate`` does: each held-out person's points come
from rules fitted (family chosen) without that person, and the crease shift is applied to those. Prints:

1. per hand, along the axis (hand sizes, + toward the knuckles): the marked PC7 and the valley, both
   relative to the fold's rule PC7, and the valley's strength; the medians for the webcam person (14 of
   the labels) and for the others: is the valley nearer the labels than the rule?
2. per point: PCK@0.10 / PCK@0.20 / median without the cue, and with it for every setting of a small grid
   (SIGMA, REACH, FLOOR) fixed for all folds;
3. the same with the setting chosen inside each fold (least mean error of the four points on the training
   people, their own rule points from an inner leave-one-person-out), the honest figure for a tuned cue;
   which settings the folds chose, and the one the same choice makes on all people (what would ship).

``--log-luminance`` reads log(luminance + 8) instead (darker skin and dim pictures weigh the same);
``--agree D`` moves the points only when the crease's thumb half and little-finger half find their own
valleys within D hand sizes of each other (a crease runs across the whole wrist, a shadow does not);
``--still LU9`` leaves those points where their rules put them. Both were added after seeing the plain
cue's figures (LU9 lost in most settings): read their figures as chosen on these hands.
The detector runs as ``locate`` runs it (the photo path's detection picture); ``--cache`` keeps the
landmarks and pictures in a file outside the repository.
"""

from __future__ import annotations

import argparse
import functools
import pickle
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import numpy as np

from locator.catalogue import FAMILIES
from locator.cli import photo_options
from locator.detector import HandDetector
from locator.evaluate import labelled_hands, load_label_files, sample
from locator.fitting import PCK_THRESHOLDS, Sample, choose, fitted_weights
from locator.geometry import Landmark as L
from locator.photos import detection_picture, locate_in_photo, read_detection_photo

CODES = ("PC7", "HT7", "LU9", "PC6")
LUMINANCE = np.array([0.299, 0.587, 0.114])
STEP = 0.005          # profile step along the axis, hand sizes
CURVE_SAMPLES = 16    # points read along the crease polyline (its inner 80%: the wrist's edges are shadows)
SIGMAS = (0.008, 0.012, 0.02, 0.03)   # valley width, hand sizes (a crease is about 1-2 mm of a 9 cm hand)
REACHES = (0.15, 0.2)                 # largest shift, hand sizes (two to three times the wrist's scatter)
FLOORS = (0.0, 2.0, 3.0, 4.0, 6.0)    # least strength that moves the points
NO_CUE = (SIGMAS[0], REACHES[0], np.inf)
GOAL = (0.70, 0.90)  # the hand-map issue's target for every point with 8 or more labels


class Hand(NamedTuple):
    """A labelled hand in its detection picture's pixels, with that picture's luminance."""

    name: str
    sample: Sample
    gray: np.ndarray


def collect(labels: list[Path], images: Path) -> list[Hand]:
    """Every labelled hand with a wrist point that the detector finds, as ``locate`` finds it, scaled to the
    detection picture (where a cue would read the pixels)."""
    pictures = {}

    def locate(path: Path):
        photo = read_detection_photo(path)
        pictures[path.name] = detection_picture(photo), photo.full_size[0]
        return locate_in_photo(photo, detector)

    hands = []
    with HandDetector(photo_options(None)) as detector:
        for name, group, label, hand in labelled_hands(load_label_files(labels), images, locate):
            if hand is None or not set(CODES) & set(label["points"]):
                continue
            picture, full_width = pictures[name.split("#")[0]]
            s = sample(group, label, hand)
            to_picture = picture.shape[1] / full_width
            hands.append(Hand(name, Sample(s.landmarks * to_picture, s.scale * to_picture, s.group,
                                           {c: xy * to_picture for c, xy in s.targets.items()}, s.withheld),
                              (picture.astype(np.float32) @ LUMINANCE.astype(np.float32))))
    return hands


def bilinear(gray: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """``gray`` at the ``(..., 2)`` points ``xy`` (x, y), bilinear; points must lie inside the picture."""
    x0 = np.minimum(np.floor(xy[..., 0]).astype(int), gray.shape[1] - 2)
    y0 = np.minimum(np.floor(xy[..., 1]).astype(int), gray.shape[0] - 2)
    fx, fy = xy[..., 0] - x0, xy[..., 1] - y0
    return ((gray[y0, x0] * (1 - fx) + gray[y0, x0 + 1] * fx) * (1 - fy)
            + (gray[y0 + 1, x0] * (1 - fx) + gray[y0 + 1, x0 + 1] * fx) * fy)


def valley_filter(sigma: float) -> np.ndarray:
    """A zero-sum second derivative of Gaussian of width ``sigma`` (hand sizes) sampled at STEP: positive
    on a dark line as wide as ``sigma``, zero on a flat or evenly sloping profile."""
    half = int(np.ceil(4 * sigma / STEP))
    k = np.arange(-half, half + 1) * STEP
    kernel = (k ** 2 / sigma ** 4 - 1 / sigma ** 2) * np.exp(-k ** 2 / (2 * sigma ** 2))
    kernel -= kernel.mean()
    return kernel / np.abs(kernel).sum()


def crease_shift(gray: np.ndarray, landmarks: np.ndarray, rule: dict[str, np.ndarray], sigma: float,
                 reach: float, agree: float | None = None) -> tuple[float, float]:
    """(t, strength): the shift along the hand's axis, in hand sizes, that puts the rules' crease
    (LU9 -> PC7 -> HT7) on the strongest thin dark valley of the picture, and that valley's strength
    (0 when no shift keeps the crease inside the picture). With ``agree``, a crease runs across the whole
    wrist: the thumb half (LU9 -> PC7) and the little-finger half (PC7 -> HT7) must each find their own
    valley within ``agree`` hand sizes of the other's, or the strength is 0 (a shadow or a fold at one
    side is not the crease)."""
    half = CURVE_SAMPLES // 2
    crease = np.concatenate([rule["LU9"] + np.linspace(0.1, 1, half)[:, None] * (rule["PC7"] - rule["LU9"]),
                             rule["PC7"] + np.linspace(0, 0.9, half)[:, None] * (rule["HT7"] - rule["PC7"])])
    t, strength = valley_along(gray, landmarks, crease, sigma, reach)
    if agree is not None:
        thumb_half = valley_along(gray, landmarks, crease[:half], sigma, reach)[0]
        little_half = valley_along(gray, landmarks, crease[half:], sigma, reach)[0]
        if abs(thumb_half - little_half) > agree:
            strength = 0.0
    return t, strength


def valley_along(gray: np.ndarray, landmarks: np.ndarray, line: np.ndarray, sigma: float,
                 reach: float) -> tuple[float, float]:
    """(t, strength) of the strongest thin dark valley met by the ``(n, 2)`` pixel ``line`` slid along the
    hand's axis by t in [-reach, reach] hand sizes (the profile of its mean luminance)."""
    axis = landmarks[L.MIDDLE_MCP] - landmarks[L.WRIST]
    t = np.arange(-reach, reach + STEP / 2, STEP)
    xy = line[None] + t[:, None, None] * axis
    height, width = gray.shape
    inside = ((xy[..., 0] >= 0) & (xy[..., 0] <= width - 1) & (xy[..., 1] >= 0) & (xy[..., 1] <= height - 1)).all(1)
    profile = np.where(inside, bilinear(gray, np.where(inside[:, None, None], xy, 0.0)).mean(axis=1), 0.0)
    kernel = valley_filter(sigma)
    response = np.convolve(profile, kernel[::-1], mode="same")
    usable = np.convolve(~inside, np.ones(len(kernel)), mode="same") == 0   # the filter sees only the picture
    usable[: len(kernel) // 2] = usable[len(t) - len(kernel) // 2:] = False  # and the whole filter
    if not usable.any():
        return 0.0, 0.0
    response = np.where(usable, response, -np.inf)
    best = int(np.argmax(response))
    return float(t[best]), float(response[best] / (np.median(np.abs(response[usable])) + 1e-9))


def along(landmarks: np.ndarray, offset: np.ndarray) -> float:
    """``offset`` projected on the hand's axis, in hand sizes (detector's wrist to middle knuckle)."""
    axis = landmarks[L.MIDDLE_MCP] - landmarks[L.WRIST]
    return float(offset @ axis / (axis @ axis))


class Study:
    """The fold rules and the crease shifts, computed once and reused by every setting."""

    def __init__(self, hands: list[Hand], agree: float | None = None, still: frozenset[str] = frozenset()):
        self.hands = hands
        self.agree = agree
        self.still = still  # points the cue leaves where their rules put them
        self.groups = np.array([h.sample.group for h in hands])

    @functools.lru_cache(maxsize=None)
    def rules(self, excluded: frozenset[str]) -> dict[str, np.ndarray]:
        """Each point's rule weights, family chosen and fitted without the ``excluded`` people."""
        weights = {}
        for code in CODES:
            training = [h.sample for h in self.hands if h.sample.group not in excluded and code in h.sample.targets]
            weights[code] = fitted_weights(choose(FAMILIES[code], training, code), training, code)
        return weights

    @functools.lru_cache(maxsize=None)
    def points(self, i: int, excluded: frozenset[str], setting: tuple[float, float, float]) -> dict[str, np.ndarray]:
        """Hand ``i``'s four points: the rules without ``excluded``, moved by the crease when sure enough."""
        landmarks = self.hands[i].sample.landmarks
        rule = {code: weights @ landmarks for code, weights in self.rules(excluded).items()}
        sigma, reach, floor = setting
        if np.isinf(floor):
            return rule
        t, strength = self.shift(i, excluded, sigma, reach)
        move = t * (landmarks[L.MIDDLE_MCP] - landmarks[L.WRIST]) if strength >= floor else 0.0
        return {code: xy if code in self.still else xy + move for code, xy in rule.items()}

    @functools.lru_cache(maxsize=None)
    def shift(self, i: int, excluded: frozenset[str], sigma: float, reach: float) -> tuple[float, float]:
        hand = self.hands[i]
        rule = {code: weights @ hand.sample.landmarks for code, weights in self.rules(excluded).items()}
        return crease_shift(hand.gray, hand.sample.landmarks, rule, sigma, reach, self.agree)

    def error(self, i: int, code: str, excluded: frozenset[str], setting) -> float:
        s = self.hands[i].sample
        return float(np.linalg.norm(self.points(i, excluded, setting)[code] - s.targets[code]) / s.scale)

    def cross_validated(self, setting) -> dict[str, np.ndarray]:
        """Each labelled hand's error per point, the fold's rules and ``setting`` without its person."""
        return {code: np.array([self.error(i, code, frozenset({h.sample.group}), setting)
                                for i, h in enumerate(self.hands) if code in h.sample.targets]) for code in CODES}

    def chosen_in_fold(self, settings) -> tuple[dict[str, np.ndarray], dict[str, tuple]]:
        """Errors with the setting chosen inside each fold: the least mean error of the four points over the
        training people, each scored with rules fitted without it too (inner leave-one-person-out)."""
        errors = {code: {} for code in CODES}
        picks = {}
        for held in sorted(set(self.groups)):
            training = [i for i in range(len(self.hands)) if self.groups[i] != held]

            def training_error(setting) -> float:
                return float(np.mean([self.error(i, code, frozenset({held, self.groups[i]}), setting)
                                      for i in training for code in CODES if code in self.hands[i].sample.targets]))

            picks[held] = min(settings, key=training_error)
            for i in np.flatnonzero(self.groups == held):
                for code in CODES:
                    if code in self.hands[i].sample.targets:
                        errors[code][i] = self.error(i, code, frozenset({held}), picks[held])
        return {code: np.array([e[i] for i in sorted(e)]) for code, e in errors.items()}, picks


def figures(errors: dict[str, np.ndarray]) -> str:
    return "  ".join(f"{code} {np.mean(e <= PCK_THRESHOLDS[1]):.2f}/{np.mean(e <= PCK_THRESHOLDS[2]):.2f}"
                     f"/{np.median(e):.3f}" for code, e in errors.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, nargs="+", required=True)
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--cache", type=Path, help="keep the landmarks and pictures in this file")
    parser.add_argument("--log-luminance", action="store_true", help="read log(luminance + 8)")
    parser.add_argument("--agree", type=float, help="the crease's two halves must agree within this many "
                                                    "hand sizes (see crease_shift)")
    parser.add_argument("--still", nargs="+", default=[], choices=CODES, help="points the cue does not move")
    args = parser.parse_args()
    if args.cache and args.cache.exists():
        hands = pickle.loads(args.cache.read_bytes())
    else:
        hands = collect(args.labels, args.images)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(hands))
    if args.log_luminance:
        hands = [h._replace(gray=np.log(h.gray + 8.0)) for h in hands]
    study = Study(hands, args.agree, frozenset(args.still))
    webcam = max(set(study.groups), key=list(study.groups).count)

    middle = (SIGMAS[1], REACHES[1])
    print(f"1. along the axis, relative to the fold's rule PC7 (sigma {middle[0]}, reach {middle[1]}):")
    print(f"{'hand':24}{'person':16}{'label':>8}{'valley':>8}{'strength':>10}")
    rows = []
    for i, hand in enumerate(hands):
        if "PC7" not in hand.sample.targets:
            continue
        held = frozenset({hand.sample.group})
        rule = study.points(i, held, NO_CUE)["PC7"]
        label = along(hand.sample.landmarks, hand.sample.targets["PC7"] - rule)
        t, strength = study.shift(i, held, *middle)
        rows.append((hand.sample.group == webcam, abs(label), abs(t - label)))
        print(f"{hand.name:24}{hand.sample.group:16}{label:>8.3f}{t:>8.3f}{strength:>10.1f}")
    rows = np.array(rows)
    for name, inside in ((f"{webcam} (webcam)", rows[:, 0] == 1), ("the other people", rows[:, 0] == 0)):
        print(f"  {name}: {int(inside.sum())} hands, median |label - rule| {np.median(rows[inside, 1]):.3f},"
              f" |label - valley| {np.median(rows[inside, 2]):.3f}, valley nearer on {int(np.sum(rows[inside, 2] < rows[inside, 1]))}")

    print("\n2. cross-validated PCK@0.10/PCK@0.20/median per point")
    baseline = study.cross_validated(NO_CUE)
    print(f"{'no cue (the shipped rules)':32}{figures(baseline)}")
    settings = [(sigma, reach, floor) for sigma in SIGMAS for reach in REACHES for floor in FLOORS]
    keeps = goals = 0
    for setting in settings:
        errors = study.cross_validated(setting)
        keep = all(np.mean(errors[c] <= 0.1) >= np.mean(baseline[c] <= 0.1) and
                   np.mean(errors[c] <= 0.2) >= min(np.mean(baseline[c] <= 0.2), 0.9) for c in CODES)
        goal = all(np.mean(e <= 0.1) >= GOAL[0] and np.mean(e <= 0.2) >= GOAL[1] for e in errors.values())
        keeps, goals = keeps + keep, goals + goal
        print(f"{'sigma %.3f reach %.2f floor %g' % setting:32}{figures(errors)}"
              + ("  (loses no point)" if keep else "") + ("  (goal)" if goal else ""))
    print(f"settings that lose no point: {keeps} of {len(settings)} (the strictest ones move nothing);"
          f" that reach PCK@0.10 >= {GOAL[0]} and PCK@0.20 >= {GOAL[1]} on every point: {goals}")

    chosen, picks = study.chosen_in_fold(settings + [NO_CUE])
    print(f"\n3. {'setting chosen in each fold':29}{figures(chosen)}")
    print(f"   held out {webcam}: chosen {picks[webcam]}; in all {len(picks)} folds: "
          + ", ".join(f"{setting} {n}" for setting, n in Counter(picks.values()).most_common()))
    everyone = min(settings + [NO_CUE], key=lambda setting: np.mean(np.concatenate(
        list(study.cross_validated(setting).values()))))
    print(f"   the same choice on all people (what would ship): {everyone}")


if __name__ == "__main__":
    main()
