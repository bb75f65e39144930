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

from .fitting import Combination, Family, Term, combination_weights
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
    traditional_use: str = ""   # what it is traditionally pressed for, in modest words; never a promise
    series: str = ""            # a numbered series drawn by number (the webs): the legend and totals use it
    reachable_from_both_faces: bool = False
    short_label: str = ""  # what the picture writes beside the marker (the hand map's many points: the
                           # code alone); the code and name if empty

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

# --- The hand map: wrist crease, palm, back and edge points ----------------------------------------
# Labelled in shared/hands/acupoints-extended-dev.json and fitted like the points above. MediaPipe's
# wrist landmark sits at the middle of the palmar wrist crease; "across the wrist" runs from the index
# knuckle's side (the thumb's, radial) to the little finger's (ulnar), in the hand's own proportions.
_ACROSS_TO_LITTLE = toward("across toward the little finger", at(L.PINKY_MCP), at(L.INDEX_MCP))
_UP_THE_HAND = toward("toward the knuckles", at(L.MIDDLE_MCP), at(L.WRIST))
_TO_LITTLE_KNUCKLE = toward("toward the little-finger knuckle", at(L.PINKY_MCP), at(L.WRIST))
_TO_THUMB_BASE_FROM_WRIST = toward("toward the thumb's base", at(L.THUMB_CMC), at(L.WRIST))
WRIST_CREASE = Family("wrist crease", at(L.WRIST), (_ACROSS_TO_LITTLE, _UP_THE_HAND))

# PC7 Daling. WHO: on the anterior wrist, at the midpoint of the palmar wrist crease, between the tendons
# of palmaris longus and flexor carpi radialis.
# The wrist landmark itself, nudged across and along the hand.
# HT7 Shenmen. WHO: on the anteromedial wrist, at the ulnar (little-finger) end of the palmar wrist
# crease, radial to the tendon of flexor carpi ulnaris.
# From the wrist landmark toward the little finger's knuckle (the hand's ulnar edge) and along the
# hand; or across the wrist.
HT7_FAMILIES = (Family("toward the little finger's edge", at(L.WRIST), (_TO_LITTLE_KNUCKLE, _UP_THE_HAND)),
                WRIST_CREASE)
# LU9 Taiyuan. WHO: on the anterolateral wrist, at the radial (thumb) end of the palmar wrist crease,
# between the radial styloid process and the scaphoid bone, ulnar to the abductor pollicis longus tendon.
# From the wrist landmark toward the thumb's base (the thumb's CMC joint lies just beyond the crease's
# thumb end) and along the hand; or across the wrist.
LU9_FAMILIES = (Family("toward the thumb's base", at(L.WRIST), (_TO_THUMB_BASE_FROM_WRIST, _UP_THE_HAND)),
                WRIST_CREASE)
# PC6 Neiguan. WHO: on the anterior forearm, between the same two tendons as PC7, 2 B-cun proximal to
# the palmar wrist crease. The cun is taken from the hand itself: the rule moves away from the knuckles
# by a fitted share of the hand's length (2 cun is about half of it on an adult hand).
NEIGUAN_FAMILIES = (
    Family("up the forearm", at(L.WRIST), (_UP_THE_HAND,)),
    Family("up the forearm and across", at(L.WRIST), (_UP_THE_HAND, _ACROSS_TO_LITTLE)),
)

# LU10 Yuji. WHO: on the lateral aspect of the hand, radial to the midpoint of the 1st metacarpal bone,
# at the border of the red and white flesh (the palm's skin meets the back's): the thumb's ball.
_THUMB_METACARPAL = mid(L.THUMB_CMC, L.THUMB_MCP)
YUJI_FAMILIES = (
    Family("thumb metacarpal", _THUMB_METACARPAL,
           (toward("along the thumb", at(L.THUMB_MCP), at(L.THUMB_CMC)),
            toward("away from the index finger", at(L.THUMB_MCP), at(L.INDEX_MCP)))),
    Family("thumb metacarpal and wrist", _THUMB_METACARPAL,
           (toward("along the thumb", at(L.THUMB_MCP), at(L.THUMB_CMC)),
            toward("away from the index finger", at(L.THUMB_MCP), at(L.INDEX_MCP)),
            toward("toward the wrist", at(L.WRIST), _THUMB_METACARPAL))),
)


def between_metacarpals(first_mcp: L, second_mcp: L) -> tuple[Family, ...]:
    """Points in the groove between two metacarpals: from the mid-point of the two knuckles, toward the
    wrist and across the groove (the shape of PC8 Laogong, for the other grooves and for the back)."""
    knuckles = mid(first_mcp, second_mcp)
    return (
        Family("knuckles toward the wrist", knuckles,
               (toward("toward the wrist", at(L.WRIST), knuckles),
                toward("across the groove", at(second_mcp), at(first_mcp)))),
        Family("toward the wrist", knuckles, (toward("toward the wrist", at(L.WRIST), knuckles),)),
    )


# HT8 Shaofu. WHO: on the palm, between the 4th and 5th metacarpal bones, in the depression proximal to
# the 5th metacarpophalangeal joint; where the tip of the little finger rests in a fist.
# EX-UE8 Wailaogong. On the back of the hand, between the 2nd and 3rd metacarpals, about 0.5 cun
# proximal to the knuckles: Laogong's partner on the back.
# TE3 Zhongzhu. WHO: on the dorsum of the hand, in the depression between the 4th and 5th metacarpal
# bones, proximal to the 4th metacarpophalangeal joint.
# EX-UE7 Yaotongdian. On the back of the hand, two points: between the 2nd and 3rd and between the 4th and
# 5th metacarpals, in the depressions where the bases meet the shafts (midway between the dorsal wrist
# crease and the knuckles).
# SI3 Houxi. WHO: on the dorsum of the hand, in the depression proximal to the 5th metacarpophalangeal
# joint, on its ulnar (little-finger) edge, at the border of the red and white flesh.
HOUXI_FAMILIES = (
    Family("behind the little-finger knuckle", at(L.PINKY_MCP),
           (toward("toward the wrist", at(L.WRIST), at(L.PINKY_MCP)),
            toward("out to the edge", at(L.PINKY_MCP), at(L.RING_MCP)))),
    Family("behind the little-finger knuckle, along its finger", at(L.PINKY_MCP),
           (toward("toward the wrist", at(L.WRIST), at(L.PINKY_MCP)),
            toward("out to the edge", at(L.PINKY_MCP), at(L.RING_MCP)),
            toward("along the little finger", at(L.PINKY_PIP), at(L.PINKY_MCP)))),
)


FAMILIES: dict[str, tuple[Family, ...]] = {
    "LI4": HEGU_FAMILIES,
    "PC8": LAOGONG_FAMILIES,
    "EX-UE9-1": THUMB_WEB_FAMILIES,
    "EX-UE9-2": web_families(L.INDEX_MCP, L.MIDDLE_MCP),
    "EX-UE9-3": web_families(L.MIDDLE_MCP, L.RING_MCP),
    "EX-UE9-4": web_families(L.RING_MCP, L.PINKY_MCP),
    "PC7": (WRIST_CREASE,), "HT7": HT7_FAMILIES, "LU9": LU9_FAMILIES,
    "PC6": NEIGUAN_FAMILIES,
    "LU10": YUJI_FAMILIES,
    "HT8": between_metacarpals(L.RING_MCP, L.PINKY_MCP),
    "EX-UE8": between_metacarpals(L.INDEX_MCP, L.MIDDLE_MCP),
    "TE3": between_metacarpals(L.RING_MCP, L.PINKY_MCP),
    "EX-UE7-1": between_metacarpals(L.INDEX_MCP, L.MIDDLE_MCP),
    "EX-UE7-2": between_metacarpals(L.RING_MCP, L.PINKY_MCP),
    "SI3": HOUXI_FAMILIES,
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
    family = next((f for f in FAMILIES[code] if f.name == entry["family"]), None)
    missing = [term.name for term in family.terms if term.name not in entry["coefficients"]] if family else []
    if family is None or missing:  # said as such, not as a bare StopIteration or KeyError at import
        problem = (f"rule family {entry['family']!r} is not among FAMILIES[{code!r}]" if family is None
                   else f"rule family {family.name!r} has no coefficient for {missing}")
        raise LookupError(f"fitted_rules.json: {code}'s {problem} (renamed since the fit? "
                          f"run `python -m locator fit --write`)")
    coefficients = [entry["coefficients"][term.name] for term in family.terms]
    return {"rule": FittedRule(family.weights(coefficients)), "radius": entry["radius"]}


def fitted_cue(code: str) -> str | None:
    """The name of the image cue the fit chose for ``code`` (:mod:`locator.image_cues`), or None."""
    return _FITTED.get(code, {}).get("image_cue")


def geometric(combination: Combination) -> dict:
    """The catalogue fields of a point placed by geometry alone (a fingertip, a joint): no labels, no fit,
    no ring beyond the marker."""
    return {"rule": FittedRule(combination_weights(combination)), "radius": 0.0}


# --- Points placed by geometry alone (no labels needed) --------------------------------------------
# PC9 Zhongchong. WHO: on the middle finger, at the centre of its tip.
# EX-UE11 Shixuan. On the tips of the ten fingers, about 0.1 cun from the free margin of each nail: a
# little back from the fingertip landmark, toward the last joint.
# EX-UE10 Sifeng. On the palm side of the 2nd to 5th fingers, at the centre of the middle (proximal
# interphalangeal) joints: the joint landmarks themselves.
# LI1 Shangyang. WHO: on the index finger, radial (thumb side) to the distal phalanx, 0.1 finger-cun from
# the radial corner of the nail: part-way from the last joint to the tip, moved away from the middle
# finger by a third of the finger-to-finger gap (about half a finger's width).
# LU11 Shaoshang. WHO: on the thumb, radial to the distal phalanx, 0.1 finger-cun from the radial corner
# of the thumbnail: part-way from the thumb's last joint to its tip, moved away from the index finger.
FINGERTIPS = {1: L.THUMB_TIP, 2: L.INDEX_TIP, 3: L.MIDDLE_TIP, 4: L.RING_TIP, 5: L.PINKY_TIP}
NAIL_MARGIN = 0.15  # share of (tip -> last joint): 0.1 cun back from the free margin of the nail
NAIL_BASE = 0.4     # share of (last joint -> tip) where the nail's base corners lie
SHANGYANG_SIDEWAYS = 0.35  # of (middle finger's middle joint -> index finger's), away from the middle
SHAOSHANG_SIDEWAYS = 0.12  # of (index knuckle -> thumb knuckle), away from the index finger


def _tip(finger: int) -> Combination:
    tip = FINGERTIPS[finger]
    return {tip: 1 - NAIL_MARGIN, L(tip - 1): NAIL_MARGIN}


def _shangyang() -> Combination:
    return {L.INDEX_DIP: 1 - NAIL_BASE, L.INDEX_TIP: NAIL_BASE,
            L.INDEX_PIP: SHANGYANG_SIDEWAYS, L.MIDDLE_PIP: -SHANGYANG_SIDEWAYS}


def _shaoshang() -> Combination:
    return {L.THUMB_IP: 1 - NAIL_BASE, L.THUMB_TIP: NAIL_BASE,
            L.THUMB_MCP: SHAOSHANG_SIDEWAYS, L.INDEX_MCP: -SHAOSHANG_SIDEWAYS}


# The four webs in order, by code: the fingers each lies between (the routine names them too).
FINGER_WEBS: dict[str, str] = {"EX-UE9-1": "thumb and index", "EX-UE9-2": "index and middle",
                               "EX-UE9-3": "middle and ring", "EX-UE9-4": "ring and little"}

_WEB_HOW = ("Pinch the web between the thumb and index finger of the other hand and knead it for "
            "5-10 seconds, moderate pressure; then the next web.")
_WEB_WHERE = ("At the edge of the web between the {} fingers, where the skin of the palm meets that of "
              "the back (seen from either side).")
_NO_BROKEN_SKIN = "Not on broken skin, open wounds or an acutely inflamed hand."
_GENTLE = "Press gently with the tip of the other thumb or index finger, 5-10 seconds; never on a cut or a sore nail."
# Marker colours, one per meridian (and for the extra points), chosen to stand out from skin tones.
ORANGE, CYAN, MAGENTA = (255, 140, 0), (0, 200, 255), (230, 40, 200)
RED, BLUE, YELLOW, PURPLE = (240, 60, 60), (90, 110, 255), (255, 225, 0), (170, 90, 255)
GREEN, WHITE, TEAL, PINK = (40, 220, 120), (245, 245, 245), (0, 170, 170), (255, 120, 170)
LARGE_INTESTINE, PERICARDIUM, HEART, LUNG = ("Large Intestine meridian", "Pericardium meridian",
                                             "Heart meridian", "Lung meridian")
SMALL_INTESTINE, TRIPLE_ENERGIZER, EXTRA = "Small Intestine meridian", "Triple Energizer meridian", "Extra points"

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
        **fitted("LI4"), group=LARGE_INTESTINE, colour=ORANGE,
        traditional_use="Traditionally pressed for headache and tension in the face and jaw.",
    ),
    Acupoint(
        code="PC8", pinyin="Laogong", hanzi="劳宫", english="Palace of Toil", face="palm",
        location=("In the palm, in the hollow between the index and middle finger bones, just on the "
                  "wrist side of the knuckles: where the tip of the middle finger lands in a fist."),
        how_to_press="Knead in small circles with the other thumb, gentle to moderate, 15-30 seconds.",
        cautions=(_NO_BROKEN_SKIN,),
        **fitted("PC8"), group=PERICARDIUM, colour=CYAN,
        traditional_use="Traditionally rubbed to ease tired, tense hands and to calm.",
    ),
    *(
        Acupoint(
            code=code, pinyin="Baxie", hanzi="八邪", english=f"Eight Pathogens {number}",
            face="back", location=_WEB_WHERE.format(between), how_to_press=_WEB_HOW,
            cautions=(_NO_BROKEN_SKIN,), **fitted(code), group=EXTRA, series="EX-UE9 Baxie (finger webs)",
            colour=MAGENTA, reachable_from_both_faces=True,
            short_label=str(number),  # four webs side by side: full names would overlap
            traditional_use="Traditionally kneaded for stiff, swollen or tired fingers.",
        )
        for number, (code, between) in enumerate(FINGER_WEBS.items(), start=1)
    ),
    # --- the hand map: the palm side and the wrist ---
    Acupoint(
        code="PC7", short_label="PC7", pinyin="Daling", hanzi="大陵", english="Great Mound", face="palm",
        location="On the inside of the wrist, in the middle of the wrist crease, between the two tendons.",
        how_to_press="Press gently with the other thumb, small circles, 15-30 seconds.",
        cautions=(_NO_BROKEN_SKIN,), **fitted("PC7"), group=PERICARDIUM, colour=CYAN,
        traditional_use="Traditionally pressed for tired, aching wrists (a typing break point).",
    ),
    Acupoint(
        code="HT7", short_label="HT7", pinyin="Shenmen", hanzi="神门", english="Spirit Gate", face="palm",
        location="On the inside of the wrist, at the little-finger end of the wrist crease, in the hollow "
                 "beside the tendon.",
        how_to_press="Press gently with the other thumb, steady or in small circles, 15-30 seconds.",
        cautions=(_NO_BROKEN_SKIN,), **fitted("HT7"), group=HEART, colour=RED,
        traditional_use="Traditionally pressed to settle and calm, for example before sleep.",
    ),
    Acupoint(
        code="LU9", short_label="LU9", pinyin="Taiyuan", hanzi="太渊", english="Great Abyss", face="palm",
        location="On the inside of the wrist, at the thumb end of the wrist crease, in the hollow beside "
                 "the pulse (press beside it, not on it).",
        how_to_press="Press lightly with the other thumb, 10-20 seconds.",
        cautions=(_NO_BROKEN_SKIN,), **fitted("LU9"), group=LUNG, colour=BLUE,
        traditional_use="Traditionally pressed for wrist discomfort and for the breath.",
    ),
    Acupoint(
        code="PC6", short_label="PC6", pinyin="Neiguan", hanzi="内关", english="Inner Pass", face="palm",
        location="On the inside of the forearm, two thumb-widths (2 cun) up from the middle of the wrist "
                 "crease, between the two tendons. Shown only when that part of the forearm is in the picture.",
        how_to_press="Press firmly with the other thumb, steady, 30 seconds to a minute.",
        cautions=(_NO_BROKEN_SKIN,), **fitted("PC6"), group=PERICARDIUM, colour=CYAN,
        traditional_use="Traditionally pressed for nausea and travel sickness.",
    ),
    Acupoint(
        code="LU10", short_label="LU10", pinyin="Yuji", hanzi="鱼际", english="Fish Border", face="palm",
        location="On the ball of the thumb, at the middle of the thumb's long bone, where the palm's skin "
                 "meets the back's.",
        how_to_press="Knead with the other thumb in small circles, moderate pressure, 15-30 seconds.",
        cautions=(_NO_BROKEN_SKIN,), **fitted("LU10"), group=LUNG, colour=BLUE,
        traditional_use="Traditionally kneaded for a sore throat and for a thumb tired from phones and mice.",
    ),
    Acupoint(
        code="HT8", short_label="HT8", pinyin="Shaofu", hanzi="少府", english="Lesser Mansion", face="palm",
        location="In the palm, between the ring- and little-finger bones, just behind the knuckles: where "
                 "the tip of the little finger lands in a fist.",
        how_to_press="Press with the other thumb, moderate pressure, 15-30 seconds.",
        cautions=(_NO_BROKEN_SKIN,), **fitted("HT8"), group=HEART, colour=RED,
        traditional_use="Traditionally pressed to calm and for warm, restless palms.",
    ),
    *(
        Acupoint(
            code=f"EX-UE10-{number}", pinyin="Sifeng", hanzi="四缝", english=f"Four Seams {number}",
            face="palm", location=f"On the palm side of the {finger} finger, in the middle of its middle joint's "
                                  "crease.",
            how_to_press=_GENTLE, cautions=(_NO_BROKEN_SKIN,), **geometric({joint: 1.0}), group=EXTRA,
            series="EX-UE10 Sifeng (middle finger joints)", colour=GREEN, short_label=f"s{number}",
            traditional_use="Traditionally pressed for stiff finger joints.",
        )
        for number, (finger, joint) in enumerate(
            (("index", L.INDEX_PIP), ("middle", L.MIDDLE_PIP), ("ring", L.RING_PIP), ("little", L.PINKY_PIP)),
            start=1)
    ),
    Acupoint(
        code="PC9", short_label="PC9", pinyin="Zhongchong", hanzi="中冲", english="Central Hub", face="palm",
        location="At the centre of the tip of the middle finger.",
        how_to_press=_GENTLE, cautions=(_NO_BROKEN_SKIN,), **geometric({L.MIDDLE_TIP: 1.0}),
        group=PERICARDIUM, colour=CYAN, reachable_from_both_faces=True,
        traditional_use="Traditionally pinched to refresh when drowsy.",
    ),
    *(
        Acupoint(
            code=f"EX-UE11-{number}", pinyin="Shixuan", hanzi="十宣", english=f"Ten Diffusions {number}",
            face="palm", location=f"On the tip of the {finger}, just in front of the nail's free edge.",
            how_to_press=_GENTLE, cautions=(_NO_BROKEN_SKIN,), **geometric(_tip(number)), group=EXTRA,
            series="EX-UE11 Shixuan (fingertips)", colour=WHITE, short_label=f"t{number}",
            reachable_from_both_faces=True,
            traditional_use="Traditionally pinched to revive and refresh.",
        )
        for number, finger in enumerate(("thumb", "index finger", "middle finger", "ring finger",
                                         "little finger"), start=1)
    ),
    # --- the hand map: the back of the hand and its edges ---
    Acupoint(
        code="EX-UE8", short_label="EX-UE8", pinyin="Wailaogong", hanzi="外劳宫", english="Outer Palace of Toil", face="back",
        location="On the back of the hand, between the index- and middle-finger bones, just behind the "
                 "knuckles: Laogong's partner on the back.",
        how_to_press="Press with the other thumb, moderate pressure, 15-30 seconds.",
        cautions=(_NO_BROKEN_SKIN,), **fitted("EX-UE8"), group=EXTRA, colour=TEAL,
        traditional_use="Traditionally pressed for a stiff neck.",
    ),
    Acupoint(
        code="TE3", short_label="TE3", pinyin="Zhongzhu", hanzi="中渚", english="Central Islet", face="back",
        location="On the back of the hand, between the ring- and little-finger bones, in the hollow just "
                 "behind the knuckles.",
        how_to_press="Press with the other thumb, moderate pressure, 15-30 seconds.",
        cautions=(_NO_BROKEN_SKIN,), **fitted("TE3"), group=TRIPLE_ENERGIZER, colour=PURPLE,
        traditional_use="Traditionally pressed for headache and stiff fingers.",
    ),
    *(
        Acupoint(
            code=f"EX-UE7-{number}", pinyin="Yaotongdian", hanzi="腰痛点", english=f"Lumbar Pain Point {number}",
            face="back", location=f"On the back of the hand, in the groove between the {bones} bones, where "
                                  "the bones' bases meet their shafts (midway from the wrist to the knuckles).",
            how_to_press="Press firmly with the other thumb, 10-30 seconds, while gently moving the lower back.",
            cautions=(_NO_BROKEN_SKIN,), **fitted(f"EX-UE7-{number}"), group=EXTRA,
            series="EX-UE7 Yaotongdian (lower back points)", colour=PINK, short_label=f"y{number}",
            traditional_use="Traditionally pressed for the lower back (as after the waist massage).",
        )
        for number, bones in ((1, "index- and middle-finger"), (2, "ring- and little-finger"))
    ),
    Acupoint(
        code="LI1", short_label="LI1", pinyin="Shangyang", hanzi="商阳", english="Shang Yang", face="back",
        location="On the index finger, beside the thumb-side corner of the nail's base.",
        how_to_press=_GENTLE, cautions=(_NO_BROKEN_SKIN,), **geometric(_shangyang()),
        group=LARGE_INTESTINE, colour=ORANGE, reachable_from_both_faces=True,
        traditional_use="Traditionally pressed for a sore throat.",
    ),
    Acupoint(
        code="LU11", short_label="LU11", pinyin="Shaoshang", hanzi="少商", english="Lesser Shang", face="back",
        location="On the thumb, beside the outer corner of the nail's base (the side away from the index).",
        how_to_press=_GENTLE, cautions=(_NO_BROKEN_SKIN,), **geometric(_shaoshang()),
        group=LUNG, colour=BLUE, reachable_from_both_faces=True,
        traditional_use="Traditionally pressed for a sore throat.",
    ),
    Acupoint(
        code="SI3", short_label="SI3", pinyin="Houxi", hanzi="后溪", english="Back Ravine", face="back",
        location="On the little-finger edge of the hand, just behind the little finger's knuckle, where "
                 "the palm's skin meets the back's (make a loose fist: the end of the crease).",
        how_to_press="Press into the hollow with the other thumb, or roll the edge of the hand on a table "
                     "edge, 15-30 seconds.",
        cautions=(_NO_BROKEN_SKIN,), **fitted("SI3"), group=SMALL_INTESTINE, colour=YELLOW,
        reachable_from_both_faces=True,
        traditional_use="Traditionally pressed for a stiff neck and upper back after long sitting.",
    ),
)

BY_CODE: dict[str, Acupoint] = {point.code: point for point in CATALOGUE}
