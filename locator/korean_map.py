"""Korean hand therapy's map of the body on the hand, as zones that follow the detected hand.

Korean hand therapy (Koryo Sooji Chim, 1970s) treats the hand as a small map of the whole body: the
middle finger stands for the head and neck, the index and ring fingers for the arms, the thumb and the
little finger for the legs, the palm for the front of the body and the back of the hand for the back.
It is a traditional map, not anatomy: the product shows it as information, with :data:`CAPTION`.

Pure: landmarks in, labelled outlines out (pixels). The overlay draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .catalogue import Facing
from .geometry import Landmark as L

CAPTION = "Korean hand therapy: a traditional map of the body, not anatomy"


@dataclass(frozen=True)
class Zone:
    """One part of the body and the stretch of hand that stands for it.

    ``outline``: landmarks in order; a finger is a band along its bones, the palm a closed polygon.
    ``face``: the face of the hand it is on, or None for a finger (seen from both faces).
    """

    body_part: str
    outline: tuple[L, ...]
    closed: bool
    face: str | None
    colour: tuple[int, int, int]


_PALM_OUTLINE = (L.WRIST, L.THUMB_CMC, L.THUMB_MCP, L.INDEX_MCP, L.MIDDLE_MCP, L.RING_MCP, L.PINKY_MCP)
_HEAD, _ARMS, _LEGS, _TRUNK = (250, 200, 60), (90, 200, 250), (150, 230, 120), (235, 120, 200)

ZONES: tuple[Zone, ...] = (
    Zone("head and neck", (L.MIDDLE_MCP, L.MIDDLE_PIP, L.MIDDLE_DIP, L.MIDDLE_TIP), False, None, _HEAD),
    Zone("arm", (L.INDEX_MCP, L.INDEX_PIP, L.INDEX_DIP, L.INDEX_TIP), False, None, _ARMS),
    Zone("arm", (L.RING_MCP, L.RING_PIP, L.RING_DIP, L.RING_TIP), False, None, _ARMS),
    Zone("leg", (L.THUMB_MCP, L.THUMB_IP, L.THUMB_TIP), False, None, _LEGS),
    Zone("leg", (L.PINKY_MCP, L.PINKY_PIP, L.PINKY_DIP, L.PINKY_TIP), False, None, _LEGS),
    Zone("front of the body", _PALM_OUTLINE, True, "palm", _TRUNK),
    Zone("back and spine", _PALM_OUTLINE, True, "back", _TRUNK),
)


@dataclass(frozen=True)
class PlacedZone:
    """A zone on one hand: its outline in pixels and where to write its name."""

    zone: Zone
    points: np.ndarray    # (k, 2)
    label_at: np.ndarray  # (2,)


def place_zones(landmarks: np.ndarray, facing: Facing) -> list[PlacedZone]:
    """The zones of the face toward the camera (fingers on either face; none of the palm's when the
    hand is seen edge-on)."""
    placed = []
    for zone in ZONES:
        if zone.face is not None and zone.face != facing:
            continue
        points = landmarks[list(zone.outline)]
        label_at = points.mean(axis=0) if zone.closed else points[len(points) // 2]
        placed.append(PlacedZone(zone, points, label_at))
    return placed
