"""Accuracy against hand-marked acupoint labels (the format of ``shared/hands/acupoints-dev.json``).

For each point code: the share of labelled points the locator puts within 0.05, 0.10 and 0.20 hand sizes
(PCK), and the median normalised error, in sample (the shipped rules, fitted on these labels) and
cross-validated by person (the fit re-run without each person, scored on that person); how often a point
is withheld as not placeable; hands found and missed, left/right and palm/back agreement, and hands
reported on photos that show none. The hand size is the labels' own ``scale`` (wrist to middle
knuckle), so the measure does not depend on what the detector thinks.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, get_args

import numpy as np

from .catalogue import CATALOGUE, FAMILIES, Acupoint, Facing
from .errors import LabelsError
from .fitting import PCK_THRESHOLDS, Sample, cross_validatable, fit_point, ring_radius, summarise, to_json
from .geometry import Landmark
from .hands import Handedness, LocatedHand, unplaceable_points
from .image_cues import CUE_OPTIONS
from .matching import gap, pair_nearest

# A labelled hand and a found hand are the same hand if wrist and middle knuckle are this close (mean,
# in hand sizes).
MATCH_LIMIT = 0.5
# Label entries that are not acupoints: landmarks marked on every hand to match labelled hands to found
# ones (and the two ends of the labels' ``scale``).
REFERENCES = {"wrist": Landmark.WRIST, "mcp3": Landmark.MIDDLE_MCP}
# What a label may say a hand is, as the locator's own types say it.
HANDS: tuple[str, ...] = get_args(Handedness)
FACINGS: tuple[str, ...] = get_args(Facing)


SERIES_SIZES = Counter(point.series for point in CATALOGUE if point.series)
SERIES_OF = {point.code: point.series for point in CATALOGUE}


def _pooled(errors: dict[str, list]) -> dict[str, list]:
    """Per point, plus a total per numbered series of points (the four webs), in name order."""
    pooled = dict(errors)
    for code in sorted(errors):
        series = SERIES_OF.get(code)
        if series:
            pooled.setdefault(f"{series} (all {SERIES_SIZES[series]})", []).extend(errors[code])
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


def load_label_files(paths: list[Path], catalogue: tuple[Acupoint, ...] = CATALOGUE) -> list[dict]:
    """Several label files of the same photos as one: each file's points joined onto the same hand (matched
    by the labels' own wrist and middle knuckle), so a hand marked in two rounds counts once."""
    merged = load_labels(paths[0], catalogue)
    by_image = {entry["image"]: entry for entry in merged}
    for path in paths[1:]:
        for entry in load_labels(path, catalogue):
            known = by_image.get(entry["image"])
            if known is None:
                merged.append(entry)
                by_image[entry["image"]] = entry
                continue
            costs = [[_reference_gap(new, old) for old in known["hands"]] for new in entry["hands"]]
            pairs = dict(pair_nearest(np.reshape(costs, (len(entry["hands"]), len(known["hands"]))), MATCH_LIMIT))
            for i, hand in enumerate(entry["hands"]):
                if i in pairs:
                    old = known["hands"][pairs[i]]
                    old["points"] = {**hand["points"], **old["points"]}
                else:
                    known["hands"].append(hand)
    return merged


def _reference_gap(a: dict, b: dict) -> float:
    """How far apart two labelled hands' wrist and middle knuckle are, in the first one's hand sizes."""
    return gap(_references(a), _references(b), a["scale"])


def _references(label: dict) -> np.ndarray:
    """A labelled hand's wrist and middle knuckle, in the order of ``REFERENCES``."""
    return np.array([label["points"][name] for name in REFERENCES])


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
            where = f"entry {number}" + (f" ({name})" if isinstance(name, str) and name else "")
            raise LabelsError(f"{path}: {where}: {problem}")
    return images


def check_entry(entry, codes: set[str]) -> str | None:
    """What is wrong with one labelled image, or None: image name, hands with hand/facing/scale and
    points that are catalogue codes with two numbers each, among them the references ``wrist`` and
    ``mcp3`` (a hand is matched to a found one by them)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("image"), str) or not entry["image"]:
        return "no 'image' file name"
    if not isinstance(entry.get("hands"), list):
        return "no 'hands' list"
    for number, hand in enumerate(entry["hands"], start=1):
        where = f"hand {number}"
        if not isinstance(hand, dict):
            return f"{where} is not an object"
        if hand.get("hand") not in HANDS or hand.get("facing") not in FACINGS:
            return f"{where}: 'hand' must be left/right and 'facing' palm/back/side"
        if not _is_number(hand.get("scale")) or not hand["scale"] > 0:
            return f"{where}: 'scale' must be a positive number"
        points = hand.get("points")
        if not isinstance(points, dict):
            return f"{where}: no 'points' object"
        for code, xy in points.items():
            if code not in REFERENCES and code not in codes:
                return f"{where}: unknown point code {code!r}"
            if not (isinstance(xy, list) and len(xy) == 2 and all(_is_number(v) for v in xy)):
                return f"{where}: point {code} must be [x, y]"
        missing = [name for name in REFERENCES if name not in points]
        if missing:
            return (f"{where}: no {' or '.join(repr(name) for name in missing)} point (marked on every hand, to "
                    f"match it to a found hand)")
    return None


def _is_number(value) -> bool:
    """A finite JSON number: not true/false (Python's ints), not NaN or Infinity (Python's json reads them)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def match(labelled: list[dict], found: list[LocatedHand]) -> list[tuple[dict, LocatedHand | None]]:
    """Pair each labelled hand with the found hand nearest in wrist and middle knuckle, or None."""
    landmarks = list(REFERENCES.values())
    costs = [[gap(_references(label), hand.landmarks[landmarks], label["scale"]) for hand in found]
             for label in labelled]
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
    """A labelled hand as the fit sees it: the detector's landmarks and the marked acupoints, which of
    them the hand's own shape withholds (a marked point was in the picture, whatever a rule says), and
    the image cues on its picture (scored after each fold's rule, as a user's photo gets them)."""
    targets = {code: np.asarray(xy, dtype=float) for code, xy in label["points"].items()
               if code not in REFERENCES}
    doubts = unplaceable_points(hand.landmarks)
    refine = None if hand.refine is None else lambda code, xy, cue: hand.refine(code, xy, (cue,))
    return Sample(hand.landmarks, label["scale"], group, targets,
                  frozenset(code for code in targets if doubts.get(code, doubts.get(None))), refine)


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
        if cross_validatable(code, samples):
            fitted = fit_point(code, FAMILIES[code], samples, CUE_OPTIONS.get(code, (None,)))
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
    points = {code: to_json(fit_point(code, families, samples, CUE_OPTIONS.get(code, (None,))))
              for code, families in FAMILIES.items()
              if cross_validatable(code, samples)}
    return {"note": f"Written by `python -m locator fit` from {labels_name}; do not edit by hand. Per point: "
                    "the chosen rule family and its coefficients (see catalogue.py), the image cue chosen "
                    "to show it by (image_cues.py; none when absent), the radius in hand sizes holding 80% "
                    "of the labels under cross-validation by person, and the figures.",
            "points": points}


# --- whole-photo labels: which hand, which face ------------------------------------------------------

PHOTO_LABEL_COLUMNS = ("image", "hand", "facing")
SCORE_BINS = (0.5, 0.8, 0.9, 0.95, 0.99, 1.0)


@dataclass(frozen=True)
class PhotoOutcome:
    """One labelled photo and the locator's answer for its main hand (the largest found), if any.

    An unsure hand gives no answer: neither its face nor (the same decision) its hand counts as right.
    """

    label: dict
    hand: LocatedHand | None

    @property
    def found(self) -> bool:
        return self.hand is not None

    @property
    def unsure(self) -> bool:
        return self.hand is not None and not self.hand.sure

    @property
    def answer(self) -> tuple[str, str] | None:
        """(hand, face) as reported, None when no hand was found or it is unsure."""
        return (self.hand.handedness, self.hand.facing) if self.found and not self.unsure else None

    @property
    def hand_right(self) -> bool:
        return self.answer is not None and self.answer[0] == self.label["hand"]

    @property
    def face_right(self) -> bool:
        return self.answer is not None and self.answer[1] == self.label["facing"]

    @property
    def both_right(self) -> bool:
        return self.hand_right and self.face_right

    @property
    def score(self) -> float:
        return self.hand.handedness_score if self.hand is not None else float("nan")


@dataclass
class PhotoReport:
    """Hands found, left/right and palm/back per photo; overall, per group, and a calibration table."""

    outcomes: list[PhotoOutcome]
    by: str | None = None

    def groups(self) -> dict[str, list[PhotoOutcome]]:
        groups = {"all": self.outcomes}
        if self.by:
            for value in sorted({o.label[self.by] for o in self.outcomes}):
                groups[f"{self.by}={value}"] = [o for o in self.outcomes if o.label[self.by] == value]
        return groups

    @staticmethod
    def rates(outcomes: list[PhotoOutcome]) -> dict[str, float]:
        """Shares of the photos (a missed photo counts as wrong) and of the answers given."""
        n = max(len(outcomes), 1)
        answered = [o for o in outcomes if o.found and not o.unsure]
        return {"photos": len(outcomes), "found": sum(o.found for o in outcomes) / n,
                "hand": sum(o.hand_right for o in outcomes) / n, "face": sum(o.face_right for o in outcomes) / n,
                "both": sum(o.both_right for o in outcomes) / n, "unsure": sum(o.unsure for o in outcomes) / n,
                "answered_right": sum(o.both_right for o in answered) / max(len(answered), 1)}

    def calibration(self) -> list[dict]:
        """For answers given (found, not unsure) per score bin: how many, and the share fully right."""
        answered = [o for o in self.outcomes if o.found and not o.unsure]
        table = []
        for low, high in zip(SCORE_BINS, SCORE_BINS[1:] + (1.0001,)):
            inside = [o for o in answered if low <= o.score < high]
            if inside:
                table.append({"from": low, "to": min(high, 1.0), "answers": len(inside),
                              "right": sum(o.both_right for o in inside) / len(inside)})
        sure = [o for o in answered if o.score >= 0.9]
        table.append({"from": 0.9, "to": 1.0, "answers": len(sure),
                      "right": sum(o.both_right for o in sure) / max(len(sure), 1)})
        return table

    def to_json(self) -> dict:
        return {"groups": {name: {k: round(v, 4) for k, v in self.rates(group).items()}
                           for name, group in self.groups().items()},
                "calibration": [{k: round(v, 4) for k, v in row.items()} for row in self.calibration()],
                "missed": [o.label["image"] for o in self.outcomes if not o.found]}

    def format(self) -> str:
        columns = ("found", "hand", "face", "both", "unsure")
        lines = [f"{'group':<22}{'photos':>7}" + "".join(f"{c:>8}" for c in columns) + f"{'answers right':>15}"]
        for name, group in self.groups().items():
            rates = self.rates(group)
            lines.append(f"{name:<22}{rates['photos']:>7}" + "".join(f"{rates[c]:>8.1%}" for c in columns)
                         + f"{rates['answered_right']:>15.1%}")
        lines.append("(shares of all photos; a missed photo counts as wrong; 'answers right': both right, "
                     "among hands reported palm/back/side)")
        lines.append("calibration of the answers given (score: answers, both right):")
        rows = self.calibration()
        for row in rows[:-1]:
            lines.append(f"  [{row['from']:.2f}, {row['to']:.2f}{']' if row['to'] == 1.0 else ')'}"
                         f"{row['answers']:>7}{row['right']:>9.1%}")
        lines.append(f"  score >= 0.90: {rows[-1]['answers']} answers, {rows[-1]['right']:.1%} right")
        missed = [o.label["image"] for o in self.outcomes if not o.found]
        if missed:
            lines.append(f"missed: {', '.join(missed)}")
        return "\n".join(lines)


def load_photo_labels(path: Path) -> list[dict]:
    """CSV rows with at least ``image``, ``hand`` (left/right) and ``facing`` (palm/back/side), checked row
    by row (:func:`check_photo_row`); other columns (e.g. ``skin``) can group the figures."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            columns = reader.fieldnames or []
            rows = [(reader.line_num, row) for row in reader]
    except FileNotFoundError:
        raise LabelsError(f"{path}: no such labels file") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise LabelsError(f"{path}: not a CSV labels file ({error})") from None
    missing = [c for c in PHOTO_LABEL_COLUMNS if c not in columns]
    if missing:
        raise LabelsError(f"{path}: CSV labels need the columns {', '.join(PHOTO_LABEL_COLUMNS)} "
                          f"(missing: {', '.join(missing)})")
    for line, row in rows:
        problem = check_photo_row(row)
        if problem:
            name = row["image"]
            raise LabelsError(f"{path}: line {line}" + (f" ({name})" if name else "") + f": {problem}")
    return [row for _, row in rows]


def check_photo_row(row: dict) -> str | None:
    """What is wrong with one CSV row of whole-photo labels, or None: an image name, a hand and a facing
    as the JSON labels have them, and as many fields as the header has columns (a short row would be
    scored as wrong or grouped under nothing; a long one has its fields shifted, e.g. by a comma)."""
    if not row["image"]:
        return "no image file name"
    for column, allowed in (("hand", HANDS), ("facing", FACINGS)):
        if row[column] not in allowed:
            return f"{column!r} must be {'/'.join(allowed)}, got " + ("nothing" if row[column] is None
                                                                       else repr(row[column]))
    if None in row.values():
        return "fewer fields than the header has columns"
    if None in row:
        return "more fields than the header has columns"
    return None


def evaluate_photos(labels: list[dict], images_dir: Path, locate: Callable[[Path], list[LocatedHand]],
                    by: str | None = None) -> PhotoReport:
    """Run ``locate`` on every labelled photo; score the largest hand found against the photo's label."""
    if by is not None and labels and by not in labels[0]:
        raise LabelsError(f"--by {by}: no such column (have: {', '.join(labels[0])})")
    outcomes = []
    for label in labels:
        found = locate(images_dir / label["image"])
        outcomes.append(PhotoOutcome(label, max(found, key=lambda h: h.size) if found else None))
    return PhotoReport(outcomes, by)
