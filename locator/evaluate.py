"""Accuracy against hand-marked acupoint labels (the format of ``shared/hands/acupoints-dev.json``).

For each point code: the share of labelled points the locator puts within 0.05, 0.10 and 0.20 hand sizes
(PCK), and the median normalised error; plus hands found and missed, left/right and palm/back agreement,
and hands reported on photos that show none. The hand size is the labels' own ``scale`` (wrist to middle
knuckle), so the measure does not depend on what the detector thinks.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .errors import UserError
from .geometry import Landmark
from .hands import LocatedHand

PCK_THRESHOLDS = (0.05, 0.10, 0.20)
# A labelled hand and a found hand are the same hand if wrist and middle knuckle are this close (mean,
# in hand sizes).
MATCH_LIMIT = 0.5
WEBS = "EX-UE9 (all four)"


@dataclass
class Report:
    errors: dict[str, list[float]] = field(default_factory=dict)  # code -> normalised errors
    hands_labelled: int = 0
    hands_found: int = 0
    handedness_agree: int = 0
    facing_agree: int = 0
    negative_images: int = 0
    negative_hands: int = 0
    missed: list[str] = field(default_factory=list)

    def pck(self, code: str, threshold: float) -> float:
        errors = np.asarray(self.errors[code])
        return float(np.mean(errors <= threshold)) if errors.size else float("nan")

    def median(self, code: str) -> float:
        return float(np.median(self.errors[code])) if self.errors[code] else float("nan")

    def to_json(self) -> dict:
        return {
            "points": {code: {"n": len(errors), "median": round(self.median(code), 4),
                              **{f"pck@{t:.2f}": round(self.pck(code, t), 4) for t in PCK_THRESHOLDS}}
                       for code, errors in self.errors.items()},
            "hands_labelled": self.hands_labelled, "hands_found": self.hands_found,
            "handedness_agree": self.handedness_agree, "facing_agree": self.facing_agree,
            "negative_images": self.negative_images, "hands_on_negatives": self.negative_hands,
            "missed": self.missed,
        }

    def format(self) -> str:
        lines = [f"{'point':<18}{'n':>4}" + "".join(f"{f'PCK@{t:.2f}':>10}" for t in PCK_THRESHOLDS)
                 + f"{'median':>9}"]
        for code in self.errors:
            lines.append(f"{code:<18}{len(self.errors[code]):>4}"
                         + "".join(f"{self.pck(code, t):>10.2f}" for t in PCK_THRESHOLDS)
                         + f"{self.median(code):>9.3f}")
        found = max(self.hands_found, 1)
        lines += [
            f"hands found: {self.hands_found} of {self.hands_labelled} labelled"
            + (f" (missed: {', '.join(self.missed)})" if self.missed else ""),
            f"left/right agreement: {self.handedness_agree}/{self.hands_found}"
            f" ({self.handedness_agree / found:.0%})",
            f"palm/back agreement: {self.facing_agree}/{self.hands_found} ({self.facing_agree / found:.0%})",
            f"no-hand photos: {self.negative_images}, hands reported on them: {self.negative_hands}",
        ]
        return "\n".join(lines)


def load_labels(path: Path) -> list[dict]:
    try:
        images = json.loads(path.read_text())["images"]
    except FileNotFoundError:
        raise UserError(f"{path}: no such labels file") from None
    except (json.JSONDecodeError, KeyError, TypeError):
        raise UserError(f"{path}: not a labels file (expected JSON with an 'images' list)") from None
    return images


def match(labelled: list[dict], found: list[LocatedHand]) -> list[tuple[dict, LocatedHand | None]]:
    """Pair each labelled hand with the found hand nearest in wrist and middle knuckle, or None."""
    costs = []
    for i, label in enumerate(labelled):
        for j, hand in enumerate(found):
            refs = [(name, index) for name, index in (("wrist", Landmark.WRIST), ("mcp3", Landmark.MIDDLE_MCP))
                    if name in label["points"]]
            cost = np.mean([np.linalg.norm(np.subtract(label["points"][name], hand.landmarks[index]))
                            for name, index in refs]) / label["scale"]
            costs.append((cost, i, j))
    pairs: dict[int, LocatedHand] = {}
    used: set[int] = set()
    for cost, i, j in sorted(costs):
        if cost <= MATCH_LIMIT and i not in pairs and j not in used:
            pairs[i] = found[j]
            used.add(j)
    return [(label, pairs.get(i)) for i, label in enumerate(labelled)]


def evaluate(labels: list[dict], images_dir: Path, locate: Callable[[Path], list[LocatedHand]],
             negatives: Iterable[Path] = ()) -> Report:
    """Run ``locate`` on every labelled photo (and the no-hand photos) and score it."""
    report = Report()
    for entry in labels:
        found = locate(images_dir / entry["image"])
        for number, (label, hand) in enumerate(match(entry["hands"], found), start=1):
            report.hands_labelled += 1
            if hand is None:
                report.missed.append(f"{entry['image']}#{number}")
                continue
            report.hands_found += 1
            report.handedness_agree += hand.handedness == label["hand"]
            report.facing_agree += hand.facing == label["facing"]
            for code, xy in label["points"].items():
                if code in ("wrist", "mcp3"):
                    continue
                error = float(np.linalg.norm(np.subtract(xy, hand.point(code).xy))) / label["scale"]
                report.errors.setdefault(code, []).append(error)
                if code.startswith("EX-UE9-"):
                    report.errors.setdefault(WEBS, []).append(error)
    for path in negatives:
        report.negative_images += 1
        report.negative_hands += len(locate(path))
    report.errors = dict(sorted(report.errors.items()))
    return report


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
    """CSV rows with at least ``image``, ``hand`` (left/right) and ``facing`` (palm/back); other columns
    (e.g. ``skin``) can group the figures."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except FileNotFoundError:
        raise UserError(f"{path}: no such labels file") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise UserError(f"{path}: not a CSV labels file ({error})") from None
    missing = [c for c in PHOTO_LABEL_COLUMNS if not rows or c not in rows[0]]
    if missing:
        raise UserError(f"{path}: CSV labels need the columns {', '.join(PHOTO_LABEL_COLUMNS)} "
                        f"(missing: {', '.join(missing)})")
    return rows


def evaluate_photos(labels: list[dict], images_dir: Path, locate: Callable[[Path], list[LocatedHand]],
                    by: str | None = None) -> PhotoReport:
    """Run ``locate`` on every labelled photo; score the largest hand found against the photo's label."""
    if by is not None and labels and by not in labels[0]:
        raise UserError(f"--by {by}: no such column (have: {', '.join(labels[0])})")
    outcomes = []
    for label in labels:
        found = locate(images_dir / label["image"])
        outcomes.append(PhotoOutcome(label, max(found, key=lambda h: h.size) if found else None))
    return PhotoReport(outcomes, by)
