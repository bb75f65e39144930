"""Compare ways of fitting the acupoint rules, each cross-validated by person (a developer tool).

    PYTHONPATH=. python tools/compare_fits.py --labels ../shared/hands/acupoints-dev.json \
        ../shared/hands/acupoints-extended-dev.json --images ../shared/hands/images [--cache /tmp/hands.pkl]

The shipped procedure (:func:`locator.fitting.fit_point`: family chosen by the one-standard-error rule,
least squares) against alternatives that were tried and not kept. Every alternative starts from the
family the shipped procedure chooses on the training people and then fits its own way, all inside each
leave-one-person-out fold, so no figure is chosen on the hands it is scored on:

- least absolute deviations (iteratively reweighted least squares): a median-like fit, less pulled by
  the few hands far off;
- each person weighted once: the 14 webcam hands of one person count as one person, not 14;
- a ridge correction: the family plus a term toward every other landmark, the extra terms shrunk by a
  ridge penalty chosen by an inner leave-one-person-out over RIDGE_PENALTIES (still an affine rule);
- a back-of-hand shift: two extra terms (across the knuckles, toward the wrist) used only on hands the
  locator sees from the back: the palm's web fold and the back's web margin are different skin lines.
  Not an affine rule of the landmarks alone (it depends on the face decision);
- label-noise weights: each hand weighted by 1 / (rule's variance + the label's variance), the label's
  from the two annotators' spread (mean of two marks: spread^2 / 8 per axis), the rule's from the
  training residuals (iterated), so a hand the annotators disagree on pulls less;
- more wrist families: the shipped choice among the wrist points' families plus three more (the
  palm's base: also toward the thumb's base and the little-finger knuckle; the middle finger: also back
  along its first phalanx; the fingers: also back by the four fingers' mean length, a scale that does not
  hang on the wrist landmark), for a wrist landmark that sits off the crease.

``--mirror-average`` changes the landmarks instead of the fit: each hand's landmarks are the mean of
those found in the photo and in its mirror image (flipped back), a second look at twice the detection.

``--people N`` checks the rule that with fewer than ``MIN_GROUPS_TO_CHOOSE`` people the first family is
kept (written after looking at LI4's folds) on the other points: on 30 random sets of N people, each point
with more people and more than one family, the cross-validated error with the first family always and
with the one-standard-error choice at any number of people.

Prints, per point, n and the cross-validated PCK@0.10, PCK@0.20 and median of each. ``--cache`` keeps the
detector's landmarks in a file (outside the repository) so that a re-run takes seconds; by default the
detector runs as ``locate``, ``evaluate`` and ``fit`` run it (up to 6 hands, with its tiles).
"""

from __future__ import annotations

import argparse
import pickle
import random
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Callable, NamedTuple, Sequence
from unittest.mock import patch

import numpy as np

from locator import fitting
from locator.catalogue import FAMILIES, at, toward
from locator.detector import PHOTO_MAX_HANDS, DetectorOptions, HandDetector, _copies
from locator.evaluate import labelled_hands, load_label_files, load_labels, sample
from locator.fitting import Family, Sample, Term, choose, combination_weights, fit_point, summarise
from locator.geometry import Landmark as L
from locator.hands import locate_hand
from locator.images import read_photo
from locator.photos import analyse_photo, detection_picture

RIDGE_PENALTIES = (0.01, 0.1, 1.0)
BACK_SHIFT = (Term("back: across the knuckles", {L.INDEX_MCP: 1.0}, {L.PINKY_MCP: 1.0}),
              Term("back: toward the wrist", {L.WRIST: 1.0}, {L.MIDDLE_MCP: 1.0}))
Predictor = Callable[[Sample, str], np.ndarray]  # (hand, its face) -> the point, pixels
_PALM_BASE = (toward("toward the thumb's base", at(L.THUMB_CMC), at(L.WRIST)),
              toward("toward the little-finger knuckle", at(L.PINKY_MCP), at(L.WRIST)))
_MIDDLE_PHALANX = (toward("back along the middle finger", at(L.MIDDLE_MCP), at(L.MIDDLE_PIP)),)
_FINGERS = (toward("back by the fingers' length",
                   {k: 0.25 for k in (L.INDEX_MCP, L.MIDDLE_MCP, L.RING_MCP, L.PINKY_MCP)},
                   {k: 0.25 for k in (L.INDEX_TIP, L.MIDDLE_TIP, L.RING_TIP, L.PINKY_TIP)}),)
WRIST_FAMILIES = {code: tuple(Family(f"{family.name}, {extra_name}", family.origin, family.terms + extra)
                              for family in FAMILIES[code][:1]
                              for extra_name, extra in (("palm base", _PALM_BASE), ("middle finger", _MIDDLE_PHALANX),
                                                        ("fingers", _FINGERS)))
                  for code in ("PC7", "HT7", "LU9", "PC6")}


class Hand(NamedTuple):
    """A labelled hand as the fit sees it, the face the locator decided, the annotators' spread per point,
    and its name (photo#number)."""

    sample: Sample
    face: str
    spread: dict[str, float]
    name: str


def mirror_averaged(detector: HandDetector) -> Callable[[Path], list]:
    """``locate(path)`` whose hands have the mean landmarks of the photo's look and its mirror image's."""
    def locate(path: Path):
        photo = read_photo(path)
        small = detection_picture(photo)
        hands, width = detector.detect(small), small.shape[1]
        flipped = [replace(h, landmarks=h.landmarks * (-1, 1) + (width, 0))
                   for h in detector.detect(np.ascontiguousarray(small[:, ::-1]))]
        twins = dict(_copies(hands, flipped))
        hands = [replace(h, landmarks=(h.landmarks + flipped[twins[i]].landmarks) / 2) if i in twins else h
                 for i, h in enumerate(hands)]
        return [locate_hand(h.scaled(photo.full_size[0] / width), frame_size=photo.full_size) for h in hands]
    return locate


def collect(labels: list[Path], images: Path, max_hands: int, mirror_average: bool = False) -> list[Hand]:
    """Every labelled hand the detector finds, as the fit sees it, with the face the locator decided and
    the annotators' spread (read from each file: joining the files keeps the first file's). Without the
    image cues' ``refine`` (no alternative here applies them, and it cannot go into ``--cache``)."""
    spreads = {(entry["image"], code, tuple(xy)): hand.get("spread", {}).get(code)
               for path in labels for entry in load_labels(path) for hand in entry["hands"]
               for code, xy in hand["points"].items()}
    with HandDetector(DetectorOptions(max_hands=max_hands)) as detector:
        def locate(path: Path):
            return analyse_photo(path, detector).hands
        if mirror_average:
            locate = mirror_averaged(detector)
        return [Hand(replace(sample(group, label, hand), refine=None), hand.facing,
                     {code: spreads.get((name.split("#")[0], code, tuple(xy))) for code, xy in label["points"].items()},
                     name)
                for name, group, label, hand in labelled_hands(load_label_files(labels), images, locate)
                if hand is not None]


def solve(family: Family, extra: Sequence[Term], hands: Sequence[Hand], code: str,
          weights: np.ndarray | None = None, ridge: float = 0.0, back_only: bool = False) -> Predictor:
    """Weighted least squares of the family's terms plus ``extra`` ones (ridge-penalised; with
    ``back_only`` used on back-facing hands only), errors in hand sizes."""
    terms = tuple(family.terms) + tuple(extra)
    origin = combination_weights(family.origin)
    directions = np.array([combination_weights(t.head) - combination_weights(t.tail) for t in terms])

    def columns(s: Sample, face: str) -> np.ndarray:
        a = (directions @ s.landmarks).T / s.scale
        if back_only and face != "back":
            a[:, len(family.terms):] = 0
        return a

    placed = [(s, f) for s, f, *_ in hands if code not in s.withheld]
    w = np.ones(len(placed)) if weights is None else weights
    a = np.concatenate([np.sqrt(wi) * columns(s, f) for wi, (s, f) in zip(w, placed)])
    b = np.concatenate([np.sqrt(wi) * (s.targets[code] - origin @ s.landmarks) / s.scale
                        for wi, (s, f) in zip(w, placed)])
    penalty = np.diag([0.0] * len(family.terms) + [ridge * len(placed)] * len(extra))
    c = np.linalg.solve(a.T @ a + penalty + 1e-12 * np.eye(len(terms)), a.T @ b)
    return lambda s, face: origin @ s.landmarks + (columns(s, face) @ c) * s.scale


def cross_validate(hands: Sequence[Hand], code: str,
                   procedure: Callable[[Sequence[Hand]], Predictor]) -> np.ndarray:
    """Each hand's error, in hand sizes, under ``procedure`` run on the other people's hands."""
    groups = np.array([h.sample.group for h in hands])
    out = np.empty(len(hands))
    for group in sorted(set(groups)):
        predict = procedure([h for h, g in zip(hands, groups) if g != group])
        for i in np.flatnonzero(groups == group):
            s, face, *_ = hands[i]
            out[i] = np.linalg.norm(predict(s, face) - s.targets[code]) / s.scale
    return out


def least_absolute(family: Family, hands, code: str, rounds: int = 30) -> Predictor:
    weights = None
    for _ in range(rounds):
        predict = solve(family, (), hands, code, weights)
        residuals = [np.linalg.norm(predict(s, f) - s.targets[code]) / s.scale
                     for s, f, *_ in hands if code not in s.withheld]
        weights = 1 / np.maximum(residuals, 0.01)
    return predict


def label_noise_weights(family: Family, hands, code: str, rounds: int = 5) -> Predictor:
    placed = [h for h in hands if code not in h.sample.withheld]
    known = [h.spread.get(code) for h in placed if h.spread.get(code) is not None]
    spread = np.array([h.spread.get(code) if h.spread.get(code) is not None else np.median(known or [0.0])
                       for h in placed])
    label_variance = spread ** 2 / 8
    weights = None
    for _ in range(rounds):
        predict = solve(family, (), hands, code, weights)
        squared = np.array([np.sum(((predict(s, f) - s.targets[code]) / s.scale) ** 2) / 2 for s, f, *_ in placed])
        weights = 1 / (max(float(np.mean(squared - label_variance)), 1e-4) + label_variance)
    return predict


def person_weighted(family: Family, hands, code: str) -> Predictor:
    sizes = Counter(h.sample.group for h in hands if code not in h.sample.withheld)
    return solve(family, (), hands, code,
                 np.array([1 / sizes[h.sample.group] for h in hands if code not in h.sample.withheld]))


def ridge_correction(family: Family, hands, code: str) -> Predictor:
    origin = combination_weights(family.origin)
    extra = tuple(Term(f"toward landmark {j}", {j: 1.0}, family.origin) for j in range(21) if origin[j] != 1.0)
    inner = {ridge: np.mean(cross_validate(hands, code, lambda t, r=ridge: solve(family, extra, t, code, ridge=r)))
             for ridge in RIDGE_PENALTIES}
    return solve(family, extra, hands, code, ridge=min(inner, key=inner.get))


def back_shift(family: Family, hands, code: str) -> Predictor:
    return solve(family, BACK_SHIFT, hands, code, back_only=True)


ALTERNATIVES = {"least absolute deviations": least_absolute, "each person once": person_weighted,
                "ridge correction": ridge_correction, "back-of-hand shift": back_shift,
                "label-noise weights": label_noise_weights}


def first_family_or_choice(hands: Sequence[Hand], people: int, draws: int = 30) -> None:
    """Print, per point, the mean error and PCK@0.10 over ``draws`` random sets of ``people`` people, with
    the first family always and with the choice among families whatever the number of people."""
    rng = random.Random(0)
    print(f"{people} people, {draws} draws: mean error and PCK@0.10, first family always | chosen")
    for code, families in FAMILIES.items():
        samples = [h.sample for h in hands if code in h.sample.targets]
        groups = sorted({s.group for s in samples})
        if len(families) < 2 or len(groups) < people + 2:
            continue
        figures = {10**9: [], 0: []}
        for _ in range(draws):
            chosen = set(rng.sample(groups, people))
            subset = [s for s in samples if s.group in chosen]
            placed = np.array([code not in s.withheld for s in subset])
            for minimum in figures:
                with patch.object(fitting, "MIN_GROUPS_TO_CHOOSE", minimum):
                    errors = fit_point(code, families, subset).cross_validated[placed]
                figures[minimum].append((errors.mean(), np.mean(errors <= 0.1)))
        print(f"{code:10}{len(groups):>4} people  " + " | ".join(
            f"{np.mean(f, axis=0)[0]:.4f} {np.mean(f, axis=0)[1]:.3f}" for f in figures.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, nargs="+", required=True)
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--cache", type=Path, help="keep the detector's landmarks in this file")
    parser.add_argument("--max-hands", type=int, default=PHOTO_MAX_HANDS,
                        help="hands the detector looks for (default: as `locator evaluate` and `fit`)")
    parser.add_argument("--people", type=int, help="check the family choice on random sets of this many people")
    parser.add_argument("--mirror-average", action="store_true",
                        help="landmarks averaged with the mirror image's (see above)")
    args = parser.parse_args()
    if args.cache and args.cache.exists():
        hands = pickle.loads(args.cache.read_bytes())
    else:
        hands = collect(args.labels, args.images, args.max_hands, args.mirror_average)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(hands))
    if args.people:
        first_family_or_choice(hands, args.people)
        return
    print(f"{'point':10}{'n':>4}  " + "".join(f"{name[:22]:>24}" for name in
                                              ["shipped", *ALTERNATIVES, "more wrist families"]))
    print(f"{'':16}" + "  PCK@0.10/0.20 median" * (2 + len(ALTERNATIVES)))
    for code, families in FAMILIES.items():
        labelled = [h for h in hands if code in h.sample.targets]
        if not labelled:
            continue
        samples = [h.sample for h in labelled]
        results = [fit_point(code, families, samples).cross_validated]
        for alternative in ALTERNATIVES.values():
            results.append(cross_validate(labelled, code, lambda t, a=alternative: a(
                choose(families, [h.sample for h in t], code), t, code)))
        results.append(fit_point(code, families + WRIST_FAMILIES.get(code, ()), samples).cross_validated)
        cells = [summarise(errors) for errors in results]
        print(f"{code:10}{len(labelled):>4}  " + "".join(
            f"{c['pck@0.10']:>9.2f}/{c['pck@0.20']:.2f}{c['median']:>8.3f}" for c in cells))


if __name__ == "__main__":
    main()
