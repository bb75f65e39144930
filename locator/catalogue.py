"""The acupoint catalogue: each point as data, with the rule that finds it beside its definition.

Locations follow the WHO Standard Acupuncture Point Locations (2008), summarised in our own words. Every
rule is a pure function from the ``(21, 2)`` landmarks to one image point, written as an affine
combination of landmarks (weights summing to one, checked by :func:`locator.hands.rule_weights`), so it
follows the hand through rotation, scaling and mirroring. Each rule is a small family of readable shapes
whose numbers are fitted on the development labels (``shared/hands/acupoints-dev.json``) by
``python -m locator fit`` and kept in ``fitted_rules.json``; ``python -m locator evaluate`` measures
them, in sample and cross-validated by person.

Everything the product knows about a point lives in its entry: names, face, location and how-to text,
cautions and contraindications, marker colour, group, the short label on the picture, and the rule with
its ring radius from the fit. The overlay, the routine, the evaluation and the page read the entries;
adding a point: its families and its entry here, its labels, then re-run the fit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

import numpy as np

from .fitting import Combination, Family, Term
from .geometry import Landmark as L

Face = Literal["palm", "back"]
Facing = Literal["palm", "back", "side"]
RGB = tuple[int, int, int]
Contraindication = Literal["pregnancy"]


@dataclass(frozen=True)
class Acupoint:
    """One acupoint: names, where it is, how to press it, and the rule that places it on a hand."""

    code: str
    pinyin: str
    hanzi: str
    english: str
    face: Face
    location: str
    how_to_press: str
    cautions: tuple[str, ...]
    rule: Callable[[np.ndarray], np.ndarray]
    group: str                  # meridian or family of points: evaluation totals and the legend use it
    colour: RGB                 # of the marker; points of one group share it
    contraindications: frozenset[Contraindication] = frozenset()  # when a routine must leave it out
    radius: float = 0.0  # hand sizes: 80% of development labels fall this close, cross-validated
    reachable_from_both_faces: bool = False
    short_label: str = ""  # what the picture writes beside the marker; the code and name if empty

    @property
    def name(self) -> str:
        return self.pinyin

    @property
    def label(self) -> str:
        return self.short_label or f"{self.code} {self.pinyin}"

    def visible_from(self, facing: Facing) -> bool:
        """Whether the point lies on (or at the margin of) the face turned toward the camera."""
        if facing == "side":
            return self.reachable_from_both_faces
        return facing == self.face or self.reachable_from_both_faces


# Each rule below is a family of readable shapes, fitted by ``python -m locator fit`` (see
# :mod:`locator.fitting`) on the development labels: the command chooses a family per point by
# cross-validation over people and writes the coefficients, with the 80% error radius, to
# ``fitted_rules.json``, which this module reads. The families are listed simplest first.


def at(landmark: L) -> Combination:
    return {landmark: 1.0}


def mid(a: L, b: L) -> Combination:
    return {a: 0.5, b: 0.5}


def toward(name: str, head: Combination, tail: Combination) -> Term:
    return Term(name, head, tail)


# --- LI4 Hegu -------------------------------------------------------------------------------------
# WHO: on the dorsum of the hand, radial to the midpoint of the second metacarpal bone. Between the 1st
# and 2nd metacarpals; with thumb and index pressed together, the top of the muscle bulge.
# Start at the index knuckle; move along the 2nd metacarpal toward the wrist and sideways, away from the
# middle finger, by the index-middle knuckle gap (the hand's own sideways unit, which foreshortens with
# the hand). The richer shapes also follow the thumb's base (CMC joint) and knuckle, which bound the
# space between the 1st and 2nd metacarpals.
_ALONG_INDEX_BONE = toward("along the 2nd metacarpal", at(L.WRIST), at(L.INDEX_MCP))
_AWAY_FROM_MIDDLE = toward("away from the middle knuckle", at(L.INDEX_MCP), at(L.MIDDLE_MCP))
_TO_THUMB_BASE = toward("toward the thumb's base", at(L.THUMB_CMC), at(L.INDEX_MCP))
_TO_THUMB_KNUCKLE = toward("toward the thumb's knuckle", at(L.THUMB_MCP), at(L.INDEX_MCP))
HEGU_FAMILIES = (
    Family("index bone", at(L.INDEX_MCP), (_ALONG_INDEX_BONE, _AWAY_FROM_MIDDLE)),
    Family("index bone and thumb base", at(L.INDEX_MCP), (_ALONG_INDEX_BONE, _AWAY_FROM_MIDDLE, _TO_THUMB_BASE)),
    Family("between the 1st and 2nd metacarpals", at(L.INDEX_MCP), (_TO_THUMB_KNUCKLE, _TO_THUMB_BASE)),
)

# --- PC8 Laogong ----------------------------------------------------------------------------------
# WHO: on the palm, in the depression between the 2nd and 3rd metacarpal bones, proximal to the
# metacarpophalangeal joints; where the tip of the middle finger rests when making a fist.
# Between the index and middle knuckles, moved toward the wrist (and sideways by the knuckle gap).
_INDEX_MIDDLE = mid(L.INDEX_MCP, L.MIDDLE_MCP)
_TO_WRIST = toward("toward the wrist", at(L.WRIST), _INDEX_MIDDLE)
LAOGONG_FAMILIES = (
    Family("knuckles toward the wrist", _INDEX_MIDDLE,
           (_TO_WRIST, toward("toward the index knuckle", at(L.INDEX_MCP), at(L.MIDDLE_MCP)))),
    Family("knuckles toward the wrist and thumb base", _INDEX_MIDDLE,
           (_TO_WRIST, toward("toward the index knuckle", at(L.INDEX_MCP), at(L.MIDDLE_MCP)),
            toward("toward the thumb's base", at(L.THUMB_CMC), _INDEX_MIDDLE))),
)

# --- EX-UE9 Baxie (the four finger webs) ----------------------------------------------------------
# On the back of the hand, at the margin of each web between two adjacent fingers, where the web skin
# meets the dorsum (proximal to the border of the web): 1 thumb-index, 2 index-middle, 3 middle-ring,
# 4 ring-little. MediaPipe's knuckle landmarks sit at the joint centres, well behind the web margin, so
# a web starts at the mid-point of two knuckles and moves along the two proximal phalanges (toward the
# mid-point of the next joints); the richer shape also moves across the gap and toward the wrist.


def web_families(first_mcp: L, second_mcp: L) -> tuple[Family, ...]:
    """Rule shapes for the web between two fingers, given their knuckles (the next joint is index + 1)."""
    knuckles = mid(first_mcp, second_mcp)
    along = toward("along the proximal phalanges", mid(L(first_mcp + 1), L(second_mcp + 1)), knuckles)
    return (
        Family("toward the next joints", knuckles, (along,)),
        Family("phalanges, gap and wrist", knuckles,
               (along, toward("across the gap", at(first_mcp), at(second_mcp)),
                toward("toward the wrist", at(L.WRIST), knuckles))),
    )


# The thumb-index web spans the long gap between the thumb's knuckle and the index knuckle; its margin
# moves with the thumb's spread, which the richer shape follows through the thumb's own bones.
_TOWARD_INDEX = toward("toward the index knuckle", at(L.INDEX_MCP), at(L.THUMB_MCP))
THUMB_WEB_FAMILIES = (
    Family("thumb and index knuckles", at(L.THUMB_MCP),
           (_TOWARD_INDEX, toward("toward the thumb and index middle joints",
                                  mid(L.THUMB_IP, L.INDEX_PIP), at(L.THUMB_MCP)))),
    Family("thumb and index bones", at(L.THUMB_MCP),
           (_TOWARD_INDEX, toward("along the thumb", at(L.THUMB_IP), at(L.THUMB_MCP)),
            toward("along the index finger", at(L.INDEX_PIP), at(L.INDEX_MCP)),
            toward("toward the thumb's base", at(L.THUMB_CMC), at(L.THUMB_MCP)))),
)

FAMILIES: dict[str, tuple[Family, ...]] = {
    "LI4": HEGU_FAMILIES,
    "PC8": LAOGONG_FAMILIES,
    "EX-UE9-1": THUMB_WEB_FAMILIES,
    "EX-UE9-2": web_families(L.INDEX_MCP, L.MIDDLE_MCP),
    "EX-UE9-3": web_families(L.MIDDLE_MCP, L.RING_MCP),
    "EX-UE9-4": web_families(L.RING_MCP, L.PINKY_MCP),
}
FITTED_RULES = Path(__file__).with_name("fitted_rules.json")  # written by ``python -m locator fit``


@dataclass(frozen=True, eq=False)
class FittedRule:
    """A fitted rule: fixed weights of the 21 landmarks (they sum to one)."""

    weights: np.ndarray

    def __call__(self, landmarks: np.ndarray) -> np.ndarray:
        return self.weights @ landmarks


_FITTED = json.loads(FITTED_RULES.read_text())["points"] if FITTED_RULES.exists() else {}


def fitted(code: str) -> dict:
    """The catalogue fields that come from the fit: the rule (chosen family, fitted coefficients) and the
    radius of the ring that holds 80% of the development labels under cross-validation. A point not yet
    fitted (just added) sits at its first family's origin, with no ring, until the fit is re-run."""
    entry = _FITTED.get(code, {"family": FAMILIES[code][0].name, "radius": 0.0,
                               "coefficients": {term.name: 0.0 for term in FAMILIES[code][0].terms}})
    family = next(f for f in FAMILIES[code] if f.name == entry["family"])
    coefficients = [entry["coefficients"][term.name] for term in family.terms]
    return {"rule": FittedRule(family.weights(coefficients)), "radius": entry["radius"]}


# The four webs in order, by code: the fingers each lies between (the routine names them too).
FINGER_WEBS: dict[str, str] = {"EX-UE9-1": "thumb and index", "EX-UE9-2": "index and middle",
                               "EX-UE9-3": "middle and ring", "EX-UE9-4": "ring and little"}

_WEB_HOW = ("Pinch the web between the thumb and index finger of the other hand and knead it for "
            "5-10 seconds, moderate pressure; then the next web.")
_WEB_WHERE = ("At the edge of the web between the {} fingers, where the web skin meets the back of "
              "the hand.")
_NO_BROKEN_SKIN = "Not on broken skin, open wounds or an acutely inflamed hand."
# Marker colours, chosen to stand out from skin tones and from each other.
ORANGE, CYAN, MAGENTA = (255, 140, 0), (0, 200, 255), (230, 40, 200)

CATALOGUE: tuple[Acupoint, ...] = (
    Acupoint(
        code="LI4", pinyin="Hegu", hanzi="合谷", english="Union Valley", face="back",
        location=("On the back of the hand, between the thumb and index-finger bones, on the thumb "
                  "side of the middle of the index-finger bone; with the thumb pressed to the index "
                  "finger, the top of the muscle bulge."),
        how_to_press=("Press firmly with the thumb of the other hand, fingers underneath, toward the "
                      "index-finger bone; hold steady 10-30 seconds."),
        cautions=("Traditionally avoided in pregnancy: skip this point if you are pregnant.",
                  _NO_BROKEN_SKIN),
        contraindications=frozenset({"pregnancy"}),
        **fitted("LI4"), group="Large Intestine meridian", colour=ORANGE,
    ),
    Acupoint(
        code="PC8", pinyin="Laogong", hanzi="劳宫", english="Palace of Toil", face="palm",
        location=("In the palm, in the hollow between the index and middle finger bones, just on the "
                  "wrist side of the knuckles: where the tip of the middle finger lands in a fist."),
        how_to_press="Knead in small circles with the other thumb, gentle to moderate, 15-30 seconds.",
        cautions=(_NO_BROKEN_SKIN,),
        **fitted("PC8"), group="Pericardium meridian", colour=CYAN,
    ),
    *(
        Acupoint(
            code=code, pinyin="Baxie", hanzi="八邪", english=f"Eight Pathogens {number}",
            face="back", location=_WEB_WHERE.format(between), how_to_press=_WEB_HOW,
            cautions=(_NO_BROKEN_SKIN,), **fitted(code), group="EX-UE9 Baxie (finger webs)",
            colour=MAGENTA, reachable_from_both_faces=True,
            short_label=str(number),  # four webs side by side: full names would overlap
        )
        for number, (code, between) in enumerate(FINGER_WEBS.items(), start=1)
    ),
)

BY_CODE: dict[str, Acupoint] = {point.code: point for point in CATALOGUE}
