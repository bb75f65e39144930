"""Accuracy against hand-marked acupoint labels (the format of ``shared/hands/acupoints-dev.json``).

For each point code: the share of labelled points the locator puts within 0.05, 0.10 and 0.20 hand sizes
(PCK), and the median normalised error, in sample (the shipped rules, fitted on these labels) and
cross-validated by person (the fit re-run without each person, scored on that person); how often a point
is withheld as not placeable; hands found and missed, left/right and palm/back agreement, and hands
reported on photos that show none. The hand size is the labels' own ``scale`` (wrist to middle
knuckle), so the measure does not depend on what the detector thinks.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from .catalogue import CATALOGUE, FAMILIES, Acupoint
from .errors import LabelsError
from .fitting import PCK_THRESHOLDS, Sample, fit_point, ring_radius, summarise, to_json
from .geometry import Landmark
from .hands import LocatedHand
from .matching import gap, pair_nearest

# A labelled hand and a found hand are the same hand if wrist and middle knuckle are this close (mean,
# in hand sizes).
MATCH_LIMIT = 0.5
# Label entries that are not acupoints: landmarks marked to match labelled hands to found ones.
REFERENCES = {"wrist": Landmark.WRIST, "mcp3": Landmark.MIDDLE_MCP}


GROUP_SIZES = Counter(point.group for point in CATALOGUE)
GROUP_OF = {point.code: point.group for point in CATALOGUE}


def _pooled(errors: dict[str, list]) -> dict[str, list]:
    """Per point, plus a total per group of several points (the four webs), in name order."""
    pooled = dict(errors)
    for code in sorted(errors):
        group = GROUP_OF[code]
        if GROUP_SIZES[group] > 1:
            pooled.setdefault(f"{group} (all {GROUP_SIZES[group]})", []).extend(errors[code])
    return dict(sorted(pooled.items()))


@dataclass
class Report:
    """In-sample errors (the shipped rules) and cross-validated ones (the fit re-run without each
    person), per labelled point; whether each labelled point was placeable; the decisions' agreement."""

    errors: dict[str, list[float]] = field(default_factory=dict)  # code -> normalised errors
    cross_validated: dict[str, list[float]] = field(default_factory=dict)
    placeable: dict[str, list[bool]] = field(default_factory=dict)
    radius: dict[str, float] = field(default_factory=dict)
    hands_labelled: int = 0
    hands_found: int = 0
    handedness_agree: int = 0
    facing_agree: int = 0
    negative_images: int = 0
    negative_hands: int = 0
    missed: list[str] = field(default_factory=list)

    def unplaceable_summary(self) -> dict:
        """How often ``placeable: false`` fires on labelled points, and the cross-validated errors of the
        points it withholds against those it places (points with a fitted rule family)."""
        codes = sorted(self.cross_validated)
        flags = np.array([flag for code in codes for flag in self.placeable[code]], dtype=bool)
        errors = np.array([error for code in codes for error in self.cross_validated[code]])
        return {"points": int(flags.size), "unplaceable": int((~flags).sum()),
                "withheld": summarise(errors[~flags]), "placed": summarise(errors[flags])}

    def to_json(self) -> dict:
        return {
            "points": {code: summarise(errors) for code, errors in _pooled(self.errors).items()},
            "cross_validated": {code: {**summarise(errors), **({"radius": self.radius[code]}
                                                               if code in self.radius else {})}
                                for code, errors in _pooled(self.cross_validated).items()},
            "cross_validated_placed": {
                code: summarise(errors) for code, errors in _pooled({
                    code: [e for e, placed in zip(errors, self.placeable[code]) if placed]
                    for code, errors in self.cross_validated.items()}).items()},
            "placeable": self.unplaceable_summary(),
            "hands_labelled": self.hands_labelled, "hands_found": self.hands_found,
            "handedness_agree": self.handedness_agree, "facing_agree": self.facing_agree,
            "negative_images": self.negative_images, "hands_on_negatives": self.negative_hands,
            "missed": self.missed,
        }

    def format(self) -> str:
        figures = self.to_json()
        width = max(len(code) for code in figures["points"]) + 2 if figures["points"] else 18
        header = f"{'point':<{width}}{'n':>4}" + "".join(f"{f'PCK@{t:.2f}':>10}" for t in PCK_THRESHOLDS) \
            + f"{'median':>9}"
        lines = []
        for title, table, extra in (("in sample (the shipped rules on the labels they were fitted on)",
                                     figures["points"], False),
                                    ("cross-validated by person (refitted without the held-out person)",
                                     figures["cross_validated"], True),
                                    ("cross-validated, on the points placed (placeable: true)",
                                     figures["cross_validated_placed"], False)):
            lines += [title + ":", header + (f"{'80% ring':>10}" if extra else "")]
            for code, row in ((c, r) for c, r in table.items() if r["n"]):
                lines.append(f"{code:<{width}}{row['n']:>4}" + "".join(f"{row[f'pck@{t:.2f}']:>10.2f}"
                                                                  for t in PCK_THRESHOLDS)
                             + f"{row['median']:>9.3f}" + (f"{row['radius']:>10.3f}" if 'radius' in row else ""))
        found = max(self.hands_found, 1)
        doubt = figures["placeable"]
        lines += [
            f"placeable: false on {doubt['unplaceable']} of {doubt['points']} labelled points;"
            f" cross-validated median error of those withheld {doubt['withheld'].get('median', float('nan')):.3f},"
            f" of those placed {doubt['placed'].get('median', float('nan')):.3f}"
            f" (PCK@0.10 {doubt['withheld'].get('pck@0.10', float('nan')):.2f} vs"
            f" {doubt['placed'].get('pck@0.10', float('nan')):.2f})",
            f"hands found: {self.hands_found} of {self.hands_labelled} labelled"
            + (f" (missed: {', '.join(self.missed)})" if self.missed else ""),
            f"left/right agreement: {self.handedness_agree}/{self.hands_found}"
            f" ({self.handedness_agree / found:.0%})",
            f"palm/back agreement: {self.facing_agree}/{self.hands_found} ({self.facing_agree / found:.0%})",
            f"no-hand photos: {self.negative_images}, hands reported on them: {self.negative_hands}",
        ]
        return "\n".join(lines)


def load_labels(path: Path, catalogue: tuple[Acupoint, ...] = CATALOGUE) -> list[dict]:
    """The ``images`` of a label file, checked entry by entry against ``catalogue`` (:func:`check_entry`)."""
    try:
        images = json.loads(path.read_text(encoding="utf-8"))["images"]
    except FileNotFoundError:
        raise LabelsError(f"{path}: no such labels file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
        raise LabelsError(f"{path}: not a labels file (expected JSON with an 'images' list)") from None
    if not isinstance(images, list):
        raise LabelsError(f"{path}: 'images' is not a list")
    codes = {point.code for point in catalogue}
    for number, entry in enumerate(images, start=1):
        problem = check_entry(entry, codes)
        if problem:
            name = entry.get("image") if isinstance(entry, dict) else None
            raise LabelsError(f"{path}: entry {number}" + (f" ({name})" if isinstance(name, str) else "")
                              + f": {problem}")
    return images


def check_entry(entry, codes: set[str]) -> str | None:
    """What is wrong with one labelled image, or None: image name, hands with hand/facing/scale and
    points that are catalogue codes (or the references ``wrist``, ``mcp3``) with two numbers each."""
    if not isinstance(entry, dict) or not isinstance(entry.get("image"), str):
        return "no 'image' file name"
    if not isinstance(entry.get("hands"), list):
        return "no 'hands' list"
    for number, hand in enumerate(entry["hands"], start=1):
        where = f"hand {number}"
        if not isinstance(hand, dict):
            return f"{where} is not an object"
        if hand.get("hand") not in ("left", "right") or hand.get("facing") not in ("palm", "back", "side"):
            return f"{where}: 'hand' must be left/right and 'facing' palm/back/side"
        if not isinstance(hand.get("scale"), (int, float)) or not hand["scale"] > 0:
            return f"{where}: 'scale' must be a positive number"
        points = hand.get("points")
        if not isinstance(points, dict):
            return f"{where}: no 'points' object"
        for code, xy in points.items():
            if code not in REFERENCES and code not in codes:
                return f"{where}: unknown point code {code!r}"
            if not (isinstance(xy, list) and len(xy) == 2 and all(isinstance(v, (int, float)) for v in xy)):
                return f"{where}: point {code} must be [x, y]"
    return None


def match(labelled: list[dict], found: list[LocatedHand]) -> list[tuple[dict, LocatedHand | None]]:
    """Pair each labelled hand with the found hand nearest in wrist and middle knuckle, or None."""
    costs = []
    for label in labelled:
        refs = [name for name in REFERENCES if name in label["points"]]
        marked = np.array([label["points"][name] for name in refs])
        costs.append([gap(marked, hand.landmarks[[REFERENCES[name] for name in refs]], label["scale"])
                      for hand in found])
    pairs = dict(pair_nearest(costs, MATCH_LIMIT))
    return [(label, found[pairs[i]] if i in pairs else None) for i, label in enumerate(labelled)]


def labelled_hands(labels: list[dict], images_dir: Path, locate: Callable[[Path], list[LocatedHand]]
                   ) -> Iterator[tuple[str, str, dict, LocatedHand | None]]:
    """(photo#number, group, label, found hand or None) for every labelled hand. The group is the photo's
    person, or the photo itself when no person is given (cross-validation keeps a group on one side)."""
    for entry in labels:
        found = locate(images_dir / entry["image"])
        for number, (label, hand) in enumerate(match(entry["hands"], found), start=1):
            yield f"{entry['image']}#{number}", entry.get("person") or entry["image"], label, hand


def sample(group: str, label: dict, hand: LocatedHand) -> Sample:
    """A labelled hand as the fit sees it: the detector's landmarks and the marked acupoints."""
    targets = {code: np.asarray(xy, dtype=float) for code, xy in label["points"].items()
               if code not in REFERENCES}
    return Sample(hand.landmarks, label["scale"], group, targets,
                  frozenset(code for code in targets if not hand.point(code).placeable))


def evaluate(labels: list[dict], images_dir: Path, locate: Callable[[Path], list[LocatedHand]],
             negatives: Iterable[Path] = ()) -> Report:
    """Run ``locate`` on every labelled photo (and the no-hand photos) and score it, in sample and
    cross-validated by person (the fit re-run with each person held out)."""
    report = Report()
    samples = []
    for name, group, label, hand in labelled_hands(labels, images_dir, locate):
        report.hands_labelled += 1
        if hand is None:
            report.missed.append(name)
            continue
        report.hands_found += 1
        report.handedness_agree += hand.handedness == label["hand"]
        report.facing_agree += hand.facing == label["facing"]
        samples.append(sample(group, label, hand))
        for code, xy in samples[-1].targets.items():
            point = hand.point(code)
            report.errors.setdefault(code, []).append(float(np.linalg.norm(xy - point.xy)) / label["scale"])
            report.placeable.setdefault(code, []).append(point.placeable)
    for code in FAMILIES:
        if code in report.errors:
            fitted = fit_point(code, FAMILIES[code], samples)
            report.cross_validated[code] = list(fitted.cross_validated)
            report.radius[code] = ring_radius(fitted)
    for path in negatives:
        report.negative_images += 1
        report.negative_hands += len(locate(path))
    report.errors = dict(sorted(report.errors.items()))
    return report


def fit_rules(labels: list[dict], images_dir: Path, locate: Callable[[Path], list[LocatedHand]],
              labels_name: str) -> dict:
    """Every catalogue point with labels, its family chosen and fitted on all labelled hands: the content
    of ``fitted_rules.json`` (what the catalogue reads, and the figures behind it)."""
    samples = [sample(group, label, hand) for _, group, label, hand in labelled_hands(labels, images_dir, locate)
               if hand is not None]
    points = {code: to_json(fit_point(code, families, samples)) for code, families in FAMILIES.items()
              if any(code in s.targets for s in samples)}
    return {"note": f"Written by `python -m locator fit` from {labels_name}; do not edit by hand. Per point: "
                    "the chosen rule family and its coefficients (see catalogue.py), the radius in hand "
                    "sizes holding 80% of the labels under cross-validation by person, and the figures.",
            "points": points}
