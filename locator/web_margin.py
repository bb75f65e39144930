"""The web margin cue: each finger web (EX-UE9-1..4) moves along its fingers to where the picture shows
the web's skin ending.

WHO: Baxie is "at the margin of each web", where the web skin meets the gap between two fingers. The
rules put it from the landmarks, and MediaPipe's knuckles and middle joints wander along the fingers,
so the rules' error runs along them. With the fingers spread, the picture shows the gap between them
(background); the margin is the last skin before it. So: a short band of pixels through the rule's
point, along the two fingers (for the thumb web, along the bisector of the thumb and the index finger),
a few pixels wide. Its proximal end lies on the web's own skin: each pixel's colour is compared with
that skin (its median and spread, so the same numbers serve light and very dark skin, any lighting),
and along the band the largest difference across it is kept (the gap need not pass exactly through
the rule's point). The margin is where that profile rises most sharply; the point moves there along
the band, keeping the rule's position across it, if the rise is clear (at least ``step`` spreads, and
the rest of the band stays that far above the skin before it: a gap, not a crease); else it stays where
the rule put it. Pure numpy; a few hundred pixels per web.

How clear a rise must be, and how much brightness counts beside colour, are not set by hand: a few
settings (:func:`options`; for the thumb web also a longer band) and "no cue" are offered to the fit,
which chooses per web, inside every fold of the cross-validation as for the rules
(:func:`locator.fitting.choose_option`). The rest (the band's width, the skin taken from its proximal
end, an edge two samples wide, the two band lengths offered) was settled looking at all 40 development
hands, so it is not cross-validated: see README, "Accuracy".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .geometry import Landmark as L
from .geometry import hand_size

if TYPE_CHECKING:
    from .image_cues import HandPicture

WEBS = ("EX-UE9-1", "EX-UE9-2", "EX-UE9-3", "EX-UE9-4")
# Photos only: on the bench's live video (a still hand of 130 pixels, sensor-like noise) the cue's
# reading flickers, slowly, as the steady hand's landmarks drift by a pixel: the webs' marker spread went
# from 0.15% to 2.2% of the hand size, and still 0.8% with the moves low-passed at 0.1 Hz (README).
LIVE = False
# For each finger web, its two fingers' knuckles (the next joint is index + 1).
_FINGERS = {"EX-UE9-2": (L.INDEX_MCP, L.MIDDLE_MCP), "EX-UE9-3": (L.MIDDLE_MCP, L.RING_MCP),
            "EX-UE9-4": (L.RING_MCP, L.PINKY_MCP)}
# RGB -> Y (brightness), Cr, Cb (colour), ITU-R BT.601.
_YCRCB = np.array([[0.299, 0.587, 0.114], [0.5, -0.419, -0.081], [-0.169, -0.331, 0.5]])


@dataclass(frozen=True)
class MarginSettings:
    """The cue's numbers; lengths in hand sizes, colours in 8-bit units. ``brightness`` and ``step`` are
    the fit's choice (:data:`OPTIONS`); the rest is fixed (see the module's note)."""

    brightness: float          # weight of brightness beside colour (shadowed skin is darker, not other)
    step: float                # the profile must rise by this many skin spreads
    reach: float = 0.10        # the band runs this far either side of the rule's point
    half_width: float = 0.02   # and this far across it
    spacing: float = 0.005     # between samples along the band
    lines: int = 5             # across it
    skin: float = 0.02         # the proximal length taken as the web's skin
    shortest_gap: float = 0.02  # the gap must run at least this far past the margin, within the band
    edge: float = 0.01         # an edge: the rise over this length either side (two samples)
    floor: float = 3.0         # a skin spread is taken as at least this (a flat patch is not noise-free)

    @property
    def samples(self) -> int:
        """Along the band, both ends included."""
        return int(round(2 * self.reach / self.spacing)) + 1

    @property
    def name(self) -> str:
        reach = "" if self.reach == MarginSettings.reach else f", reach {self.reach:g}"
        return f"web margin: brightness x{self.brightness:g}, step {self.step:g}{reach}"


OPTIONS = tuple(MarginSettings(brightness, step) for brightness in (0.3, 1.0) for step in (3.0, 5.0, 8.0))
# The thumb web's gap is the longest, and where its margin lies moves most with the thumb's spread: the
# rule's point may sit 0.1 hand sizes or more from it, so its band may also reach farther (then its skin
# patch lies farther into the web, not on the margin's blur). The fit chooses, in every fold.
THUMB_WEB_OPTIONS = OPTIONS + tuple(MarginSettings(settings.brightness, settings.step, reach=0.15)
                                    for settings in OPTIONS)


def options(code: str) -> tuple[MarginSettings, ...]:
    """The settings the fit may choose among for the web ``code``."""
    return THUMB_WEB_OPTIONS if code == "EX-UE9-1" else OPTIONS


def along_fingers(landmarks: np.ndarray, code: str) -> np.ndarray:
    """The unit direction from a web into the gap it borders: along the two fingers (from the mid-point of
    their knuckles toward that of their middle joints); for the thumb web, the bisector of the thumb's
    and the index finger's proximal phalanges."""
    if code == "EX-UE9-1":
        thumb = landmarks[L.THUMB_IP] - landmarks[L.THUMB_MCP]
        index = landmarks[L.INDEX_PIP] - landmarks[L.INDEX_MCP]
        direction = thumb / np.linalg.norm(thumb) + index / np.linalg.norm(index)
    else:
        first, second = _FINGERS[code]
        direction = (landmarks[first + 1] + landmarks[second + 1] - landmarks[first] - landmarks[second]) / 2
    return direction / np.linalg.norm(direction)


def pixels_at(picture: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """The picture's RGB at ``points`` (..., 2), nearest pixel; None when any point is outside it."""
    ij = np.rint(points).astype(int)
    height, width = picture.shape[:2]
    if ij.min() < 0 or ij[..., 0].max() >= width or ij[..., 1].max() >= height:
        return None
    return picture[ij[..., 1], ij[..., 0]]


@lru_cache(maxsize=32)
def _band(settings: MarginSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    """The band's positions along it (hand sizes), its sample offsets as (along, across) weights
    ``(samples, lines, 2)``, which samples are the web's skin, and the skin's median rank(s)."""
    t = np.linspace(-settings.reach, settings.reach, settings.samples)
    s = np.linspace(-settings.half_width, settings.half_width, settings.lines)
    offsets = np.stack(np.broadcast_arrays(t[:, None], s[None, :]), axis=-1)
    skin = t < t[0] + settings.skin - 1e-9   # the first skin / spacing samples (4), not one more by rounding
    count = int(skin.sum()) * settings.lines
    return t, offsets, skin, ((count - 1) // 2, count // 2)


def _median(values: np.ndarray, ranks: tuple[int, int]) -> np.ndarray:
    """Per column, the median of ``values`` (the mean of its two middle ranks, one when the count is odd)."""
    ordered = np.sort(values, axis=0)
    return (ordered[ranks[0]] + ordered[ranks[1]]) / 2


def difference_profile(view: HandPicture, code: str, xy: np.ndarray, settings: MarginSettings
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Along the band through ``xy``: the positions (hand sizes from ``xy``, distal positive), how far
    each position's most different pixel across the band is from the web's skin (in skin spreads), and
    the unit direction along the band (picture pixels); None when the band leaves the picture."""
    size = hand_size(view.landmarks)
    if not size > 0:
        return None
    along = along_fingers(view.landmarks, code)
    t, offsets, skin, ranks = _band(settings)
    axes = size * np.array([along, [-along[1], along[0]]])   # (along, across) in pixels
    rgb = pixels_at(view.picture, xy + offsets @ axes)
    if rgb is None:
        return None
    colour = rgb.astype(float) @ _YCRCB.T   # (samples, lines, 3)
    patch = colour[skin].reshape(-1, 3)
    centre = _median(patch, ranks)
    # The median absolute deviation times 1.4826 is a normal spread's standard deviation, unmoved by a
    # few odd pixels (a hair, a blemish) in the skin patch.
    spread = np.maximum(1.4826 * _median(np.abs(patch - centre), ranks), settings.floor)
    weighted = (colour - centre) * ((settings.brightness, 1.0, 1.0) / spread)
    difference = np.sqrt((weighted ** 2).sum(axis=-1)).max(axis=1)
    return t, difference, along


def margin_shift(t: np.ndarray, difference: np.ndarray, settings: MarginSettings) -> float | None:
    """Where along the band the web's skin ends (hand sizes from the rule's point): the last position
    before the profile's sharpest rise (mean over ``edge`` after it minus mean over ``edge`` before it),
    when that rise is at least ``settings.step`` and the rest of the band stays as far above what comes
    before (a gap, not a crease or a blemish); None otherwise."""
    spacing = t[1] - t[0]
    width = max(1, int(round(settings.edge / spacing)))
    first = max(width, int(round(settings.skin / spacing)))
    last = len(t) - max(width, int(round(settings.shortest_gap / spacing)))
    if last < first:
        return None
    totals = np.concatenate([[0.0], np.cumsum(difference)])
    splits = np.arange(first, last + 1)
    rises = (totals[splits + width] - 2 * totals[splits] + totals[splits - width]) / width
    best = int(np.argmax(rises))
    split = int(splits[best])
    beyond = (totals[-1] - totals[split]) / (len(t) - split) - totals[split] / split
    return float(t[split - 1]) if rises[best] >= settings.step and beyond >= settings.step else None


def move_to_margin(view: HandPicture, code: str, xy: np.ndarray, settings: MarginSettings) -> np.ndarray:
    """The web point moved along its fingers to the margin the picture shows, or ``xy`` unchanged."""
    profile = difference_profile(view, code, xy, settings)
    if profile is None:
        return xy
    t, difference, along = profile
    shift = margin_shift(t, difference, settings)
    if shift is None:
        return xy
    return xy + shift * hand_size(view.landmarks) * along
