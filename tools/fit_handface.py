"""Fit the palm/back model (locator/handface.json) on the 11K Hands development photos.

    PYTHONPATH=. python tools/fit_handface.py ../shared/hands11k [--write]

Every photo is seen four ways: as it is and mirrored, each through the photo detector (with its margin
look) and through one plain look (what a live frame gets). The target is "palm toward the camera"
(labels.csv ``facing``). A logistic regression (L2, Newton steps; numpy only) on the features of
:mod:`locator.handface` is cross-validated by person (``subject``: 10 folds, no person in two folds);
a Platt scaling is fitted on the out-of-fold scores, so the shipped probabilities are calibrated on
hands the model did not see. Prints the out-of-fold figures (overall, per skin group, calibration) that
the README quotes, and with ``--write`` stores the model fitted on all photos with that calibration.
"""

from __future__ import annotations

import argparse
import csv
import json
import pickle
import sys
from pathlib import Path

import numpy as np

from locator.detector import HandDetector, Landmarker
from locator.geometry import chirality, hand_size
from locator.handface import FEATURES, SHADE_RANGE, WEIGHTS_FILE, face_features
from locator.images import read_photo

FOLDS = 10
RIDGE = 1.0
# The most the knuckle shade may move the log-odds from one end of its range to the other: enough to
# tip an unsure label (a label score of 0.8 is 1.4 log-odds), not to overturn a sure one. On the 11K
# photos alone it would take 10; on a studio photo of two hand backs it then made a sure "palm".
SHADE_SPAN = 4.0
# Below this calibrated confidence a wrong face is more than one chance in five: the hand is "unsure".
UNSURE_BELOW = 0.8
CALIBRATION_BINS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001)


def collect(root: Path) -> tuple[np.ndarray, np.ndarray, list[dict], list[dict]]:
    """Features, targets (1 = palm) and the label row (with ``look``, ``mirrored``) of every detected
    hand; and all label rows."""
    rows = list(csv.DictReader(open(root / "labels.csv", newline="")))
    features, targets, meta = [], [], []
    with HandDetector() as detector, Landmarker() as plain:
        for number, row in enumerate(rows, 1):
            rgb = read_photo(root / "images" / row["image"]).rgb
            for mirrored, picture in ((False, rgb), (True, np.ascontiguousarray(rgb[:, ::-1]))):
                # The photo pipeline's looks, and one plain look (what a live frame gets).
                for look, hands in (("photo", detector.detect(picture)), ("plain", plain.run(picture))):
                    if not hands:
                        continue
                    hand = max(hands, key=lambda h: hand_size(h.landmarks))
                    features.append(face_features(hand.label, hand.label_score, chirality(hand.landmarks) < 0,
                                                  hand.world, hand.knuckle_shade))
                    targets.append(row["facing"] == "palm")
                    meta.append({**row, "look": look, "mirrored": mirrored})
            if number % 100 == 0:
                print(f"  {number}/{len(rows)} photos", file=sys.stderr)
    return np.array(features), np.array(targets, dtype=float), meta, rows


def fit_logistic(x: np.ndarray, y: np.ndarray, ridge: float = RIDGE, offset: np.ndarray | float = 0.0) -> np.ndarray:
    """Weights (last: bias) of an L2-penalised logistic regression (bias not penalised), by Newton steps;
    ``offset``: a fixed part of each hand's log-odds."""
    design = np.column_stack([x, np.ones(len(x))])
    penalty = ridge * np.eye(design.shape[1])
    penalty[-1, -1] = 0.0
    w = np.zeros(design.shape[1])
    for _ in range(100):
        p = 1 / (1 + np.exp(-(design @ w + offset)))
        step = np.linalg.solve((design * (p * (1 - p))[:, None]).T @ design + penalty,
                               design.T @ (p - y) + penalty @ w)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return w


def standardised_fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Fit on standardised features; return weights and bias on the raw features. The knuckle shade's
    weight is held to ``SHADE_SPAN`` log-odds over its range (then the others are refitted around it)."""
    mean, spread = x.mean(axis=0), x.std(axis=0) + 1e-9
    w = fit_logistic((x - mean) / spread, y)
    weights = w[:-1] / spread
    shade = FEATURES.index("knuckle_shade")
    cap = SHADE_SPAN / (SHADE_RANGE[1] - SHADE_RANGE[0])
    if abs(weights[shade]) > cap:
        weights[shade] = np.sign(weights[shade]) * cap
        others = [i for i in range(len(FEATURES)) if i != shade]
        w = fit_logistic((x[:, others] - mean[others]) / spread[others], y,
                         offset=weights[shade] * (x[:, shade] - mean[shade]))
        weights[others] = w[:-1] / spread[others]
    return weights, float(w[-1] - weights @ mean)


def person_folds(subjects: list[str], folds: int = FOLDS) -> np.ndarray:
    people = sorted(set(subjects))
    np.random.default_rng(0).shuffle(people)
    fold_of = {person: i % folds for i, person in enumerate(people)}
    return np.array([fold_of[s] for s in subjects])


def out_of_fold_scores(x: np.ndarray, y: np.ndarray, subjects: list[str]) -> np.ndarray:
    fold = person_folds(subjects)
    scores = np.zeros(len(y))
    for k in range(FOLDS):
        weights, bias = standardised_fit(x[fold != k], y[fold != k])
        scores[fold == k] = x[fold == k] @ weights + bias
    return scores


def report_photos(probability: np.ndarray, y: np.ndarray, meta: list[dict], rows: list[dict],
                  unsure_below: float) -> None:
    """Per photo, as the photo command sees it (a missed photo and an unsure hand count as wrong)."""
    for mirrored in (False, True):
        print(f"out of fold, photo pipeline, {'mirrored' if mirrored else 'as is'}: share of all photos "
              "with the right hand and face (found)")
        answer = {m["image"]: p for m, p in zip(meta, probability) if m["look"] == "photo" and m["mirrored"] == mirrored}
        for skin in ["all"] + sorted({r["skin"] for r in rows}):
            group = [r for r in rows if skin in ("all", r["skin"])]
            right = sum(r["image"] in answer and max(answer[r["image"]], 1 - answer[r["image"]]) >= unsure_below
                        and (answer[r["image"]] > 0.5) == (r["facing"] == "palm") for r in group)
            found = sum(r["image"] in answer for r in group)
            print(f"  {skin:<10} {len(group):4d} photos: right {right / len(group):.2%}  (found {found / len(group):.2%})")


def report(probability: np.ndarray, y: np.ndarray, meta: list[dict], unsure_below: float) -> None:
    right = (probability > 0.5) == (y > 0.5)
    confidence = np.maximum(probability, 1 - probability)
    answered = confidence >= unsure_below
    print(f"out of fold, {len(y)} detected hands ({len(set(m['subject'] for m in meta))} people):")
    print(f"  palm/back (and so left/right) right: {right.mean():.2%}; "
          f"answered (>= {unsure_below}): {answered.mean():.2%}, right among them {right[answered].mean():.2%}")
    for skin in sorted({m["skin"] for m in meta}):
        mask = np.array([m["skin"] == skin for m in meta])
        print(f"  {skin:<10} n={mask.sum():4d} right {right[mask].mean():.2%}  "
              f"answered {answered[mask].mean():.2%}, right among them {right[mask & answered].mean():.2%}")
    print("  calibration (confidence bin: n, right):")
    for low, high in zip(CALIBRATION_BINS, CALIBRATION_BINS[1:]):
        mask = (confidence >= low) & (confidence < high)
        if mask.any():
            print(f"    [{low:.2f}, {min(high, 1):.2f}) {mask.sum():5d}  {right[mask].mean():.2%}")
    sure = confidence >= 0.9
    print(f"  at >= 0.90: {sure.sum()} answers, {right[sure].mean():.2%} right")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the 11K Hands development folder (labels.csv, images/)")
    parser.add_argument("--write", action="store_true", help=f"write {WEIGHTS_FILE.name}")
    parser.add_argument("--cache", type=Path, metavar="FILE",
                        help="keep the detected features in FILE (pickle) and reuse them on the next run")
    args = parser.parse_args()

    if args.cache and args.cache.exists():
        x, y, meta, rows = pickle.loads(args.cache.read_bytes())
    else:
        x, y, meta, rows = collect(args.root)
        if args.cache:
            args.cache.write_bytes(pickle.dumps((x, y, meta, rows)))
    neutral = np.nanmean(x, axis=0)
    x = np.where(np.isnan(x), neutral, x)  # what the model does with a missing cue
    subjects = [m["subject"] for m in meta]
    scores = out_of_fold_scores(x, y, subjects)
    platt = fit_logistic(scores[:, None], y, ridge=0.0)  # calibration fitted on out-of-fold scores only
    probability = 1 / (1 + np.exp(-(platt[0] * scores + platt[1])))
    right = (probability > 0.5) == (y > 0.5)
    report(probability, y, meta, UNSURE_BELOW)
    report_photos(probability, y, meta, rows, UNSURE_BELOW)

    weights, bias = standardised_fit(x, y)
    model = {
        "features": list(FEATURES),
        "weights": [round(float(w), 6) for w in platt[0] * weights],
        "bias": round(float(platt[0] * bias + platt[1]), 6),
        "neutral": [round(float(v), 6) for v in neutral],
        "unsure_below": UNSURE_BELOW,
        "fitted_on": f"{args.root.name}: {len(set(subjects))} people, {len(y)} detected hands "
                     "(photo and plain look, as is and mirrored); Platt scaling fitted out of fold",
        "out_of_fold_right": round(float(right.mean()), 4),
    }
    print(json.dumps(model, indent=1))
    if args.write:
        WEIGHTS_FILE.write_text(json.dumps(model, indent=1) + "\n")
        print(f"wrote {WEIGHTS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
