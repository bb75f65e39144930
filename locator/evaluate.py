"""Accuracy against hand-marked acupoint labels (the format of ``shared/hands/acupoints-dev.json``).

For each point code: the share of labelled points the locator puts within 0.05, 0.10 and 0.20 hand sizes
(PCK), and the median normalised error; plus hands found and missed, left/right and palm/back agreement,
and hands reported on photos that show none. The hand size is the labels' own ``scale`` (wrist to middle
knuckle), so the measure does not depend on what the detector thinks.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .catalogue import CATALOGUE, Acupoint
from .errors import LabelsError
from .geometry import Landmark
from .hands import LocatedHand
from .matching import gap, pair_nearest

PCK_THRESHOLDS = (0.05, 0.10, 0.20)
# A labelled hand and a found hand are the same hand if wrist and middle knuckle are this close (mean,
# in hand sizes).
MATCH_LIMIT = 0.5
# Label entries that are not acupoints: landmarks marked to match labelled hands to found ones.
REFERENCES = {"wrist": Landmark.WRIST, "mcp3": Landmark.MIDDLE_MCP}


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
    pairs = dict(pair_nearest(np.reshape(costs, (len(labelled), len(found))), MATCH_LIMIT))
    return [(label, found[pairs[i]] if i in pairs else None) for i, label in enumerate(labelled)]


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
            group_sizes = Counter(point.acupoint.group for point in hand.points)
            for code, xy in label["points"].items():
                if code in REFERENCES:
                    continue
                point = hand.point(code)
                error = float(np.linalg.norm(np.subtract(xy, point.xy))) / label["scale"]
                report.errors.setdefault(code, []).append(error)
                if group_sizes[point.acupoint.group] > 1:  # a family of points also gets a total
                    total = f"{point.acupoint.group} (all {group_sizes[point.acupoint.group]})"
                    report.errors.setdefault(total, []).append(error)
    for path in negatives:
        report.negative_images += 1
        report.negative_hands += len(locate(path))
    report.errors = dict(sorted(report.errors.items()))
    return report
