"""The acupoint catalogue: each point as data, with the rule that finds it beside its definition.

Locations follow the WHO Standard Acupuncture Point Locations (2008), summarised in our own words. Every
rule is a pure function from the ``(21, 2)`` landmarks to one image point, written as an affine
combination of landmarks (weights summing to one, checked by :func:`locator.hands.rule_weights`), so it
follows the hand through rotation, scaling and mirroring. The numbers in the rules were tuned on the
development labels in ``shared/hands/acupoints-dev.json``; ``python -m locator evaluate`` measures them.

Everything the product knows about a point lives in its entry: names, face, location and how-to text,
cautions and contraindications, marker colour, group, the short label on the picture, and the rule. The
overlay, the routine, the evaluation and the page read the entries; adding a point is one edit here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np

from .geometry import Landmark as L
from .geometry import lerp

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


# --- LI4 Hegu -------------------------------------------------------------------------------------
# WHO: on the dorsum of the hand, radial to the midpoint of the second metacarpal bone. Between the 1st
# and 2nd metacarpals; with thumb and index pressed together, the top of the muscle bulge.
# The rule follows the 2nd metacarpal alone: a point part-way from the index knuckle toward the wrist,
# moved to the thumb side by a multiple of the index-middle knuckle gap (the hand's own sideways unit,
# which foreshortens with the hand). It lands about a third of the way up the metacarpal and a fifth of a
# hand size to its thumb side. The thumb is left out on purpose: the labelled points keep their place
# beside the index bone whether the thumb is spread or pressed to the index finger, and a rule that
# followed the thumb's knuckle missed the pressed-thumb hand by 0.16 hand sizes.
HEGU_ALONG_METACARPAL = 0.41   # fraction of index knuckle -> wrist
HEGU_TOWARD_THUMB = 0.86       # index-middle knuckle gaps, away from the middle finger


def hegu(landmarks: np.ndarray) -> np.ndarray:
    on_metacarpal = lerp(landmarks[L.INDEX_MCP], landmarks[L.WRIST], HEGU_ALONG_METACARPAL)
    return on_metacarpal + HEGU_TOWARD_THUMB * (landmarks[L.INDEX_MCP] - landmarks[L.MIDDLE_MCP])


# --- PC8 Laogong ----------------------------------------------------------------------------------
# WHO: on the palm, in the depression between the 2nd and 3rd metacarpal bones, proximal to the
# metacarpophalangeal joints; where the tip of the middle finger rests when making a fist.
# Between the index and middle knuckles, moved a little toward the wrist.
LAOGONG_TOWARD_INDEX = 0.5     # 0 = on the middle knuckle, 1 = on the index knuckle
LAOGONG_TOWARD_WRIST = 0.125   # fraction of the knuckle line -> wrist


def laogong(landmarks: np.ndarray) -> np.ndarray:
    knuckles = lerp(landmarks[L.MIDDLE_MCP], landmarks[L.INDEX_MCP], LAOGONG_TOWARD_INDEX)
    return lerp(knuckles, landmarks[L.WRIST], LAOGONG_TOWARD_WRIST)


# --- EX-UE9 Baxie (the four finger webs) ----------------------------------------------------------
# On the back of the hand, at the margin of each web between two adjacent fingers, where the web skin
# meets the dorsum (proximal to the border of the web): 1 thumb-index, 2 index-middle, 3 middle-ring,
# 4 ring-little. MediaPipe's knuckle landmarks sit at the joint centres, well behind the web margin, so
# the webs are placed part-way from the mid-point of two knuckles toward the mid-point of the next joints.
WEB_TOWARD_NEXT_JOINTS = 0.35  # fraction of (knuckle mid-point -> middle-joint mid-point)
# The thumb-index web spans the long gap between the thumb's knuckle and the index knuckle.
THUMB_WEB_TOWARD_INDEX = 0.40  # 0 = thumb knuckle, 1 = index knuckle
THUMB_WEB_DISTAL = 0.10        # fraction of (that point -> mid-point of thumb IP and index PIP)


def _web_between(first_mcp: L, second_mcp: L) -> Callable[[np.ndarray], np.ndarray]:
    """Rule for the web between two fingers, given their knuckles (the next joint is index + 1)."""

    def web(landmarks: np.ndarray) -> np.ndarray:
        knuckles = lerp(landmarks[first_mcp], landmarks[second_mcp], 0.5)
        next_joints = lerp(landmarks[first_mcp + 1], landmarks[second_mcp + 1], 0.5)
        return lerp(knuckles, next_joints, WEB_TOWARD_NEXT_JOINTS)

    return web


def thumb_index_web(landmarks: np.ndarray) -> np.ndarray:
    margin = lerp(landmarks[L.THUMB_MCP], landmarks[L.INDEX_MCP], THUMB_WEB_TOWARD_INDEX)
    distal = lerp(landmarks[L.THUMB_IP], landmarks[L.INDEX_PIP], 0.5)
    return lerp(margin, distal, THUMB_WEB_DISTAL)


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
        rule=hegu, group="Large Intestine meridian", colour=ORANGE,
    ),
    Acupoint(
        code="PC8", pinyin="Laogong", hanzi="劳宫", english="Palace of Toil", face="palm",
        location=("In the palm, in the hollow between the index and middle finger bones, just on the "
                  "wrist side of the knuckles: where the tip of the middle finger lands in a fist."),
        how_to_press="Knead in small circles with the other thumb, gentle to moderate, 15-30 seconds.",
        cautions=(_NO_BROKEN_SKIN,),
        rule=laogong, group="Pericardium meridian", colour=CYAN,
    ),
    *(
        Acupoint(
            code=code, pinyin="Baxie", hanzi="八邪", english=f"Eight Pathogens {number}",
            face="back", location=_WEB_WHERE.format(between), how_to_press=_WEB_HOW,
            cautions=(_NO_BROKEN_SKIN,), rule=rule, group="EX-UE9 Baxie (finger webs)", colour=MAGENTA,
            reachable_from_both_faces=True,
            short_label=str(number),  # four webs side by side: full names would overlap
        )
        for number, (code, between), rule in zip((1, 2, 3, 4), FINGER_WEBS.items(), (
            thumb_index_web,
            _web_between(L.INDEX_MCP, L.MIDDLE_MCP),
            _web_between(L.MIDDLE_MCP, L.RING_MCP),
            _web_between(L.RING_MCP, L.PINKY_MCP),
        ))
    ),
)

BY_CODE: dict[str, Acupoint] = {point.code: point for point in CATALOGUE}
