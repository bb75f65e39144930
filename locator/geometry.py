"""The 21 hand landmarks and the few measures the rules need; pure numpy.

Landmarks are a ``(21, 2)`` float array of pixel coordinates (x right, y down), in MediaPipe's order.
Everything here is built from affine combinations of landmarks (weights that sum to one), which is what
makes the acupoint rules invariant to rotation, scale, translation and mirroring of the hand.
"""

from __future__ import annotations

import math
from enum import IntEnum

import numpy as np


class Landmark(IntEnum):
    """MediaPipe's hand landmark indices."""

    WRIST = 0
    THUMB_CMC = 1
    THUMB_MCP = 2
    THUMB_IP = 3
    THUMB_TIP = 4
    INDEX_MCP = 5
    INDEX_PIP = 6
    INDEX_DIP = 7
    INDEX_TIP = 8
    MIDDLE_MCP = 9
    MIDDLE_PIP = 10
    MIDDLE_DIP = 11
    MIDDLE_TIP = 12
    RING_MCP = 13
    RING_PIP = 14
    RING_DIP = 15
    RING_TIP = 16
    PINKY_MCP = 17
    PINKY_PIP = 18
    PINKY_DIP = 19
    PINKY_TIP = 20


FINGERTIPS = (Landmark.THUMB_TIP, Landmark.INDEX_TIP, Landmark.MIDDLE_TIP, Landmark.RING_TIP,
              Landmark.PINKY_TIP)


def lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """The point a fraction ``t`` of the way from ``a`` to ``b``."""
    return a + t * (b - a)


def hand_size(landmarks: np.ndarray) -> float:
    """Wrist to middle-finger knuckle distance in pixels: the unit of every tolerance and error."""
    (wx, wy), (mx, my) = landmarks[Landmark.WRIST, :2], landmarks[Landmark.MIDDLE_MCP, :2]
    return math.hypot(float(mx - wx), float(my - wy))  # plain floats: called several times per frame


def chirality(landmarks: np.ndarray) -> float:
    """Sign of the turn wrist -> index knuckle -> little-finger knuckle in the image (y down).

    Negative for a right palm or a left back seen unmirrored; positive for a left palm or a right back.
    Mirroring the picture flips it. This is the 2D outline that makes "left palm" and "right back" look
    alike; which of the two it is must come from elsewhere (the detector's appearance-based label).
    """
    a = landmarks[Landmark.INDEX_MCP, :2] - landmarks[Landmark.WRIST, :2]
    b = landmarks[Landmark.PINKY_MCP, :2] - landmarks[Landmark.WRIST, :2]
    return float(np.sign(a[0] * b[1] - a[1] * b[0]))


def palm_normal(points3d: np.ndarray) -> np.ndarray | None:
    """Unit normal of the plane through wrist, index knuckle and little-finger knuckle (x, y, depth).

    Written out by hand: ``np.cross`` on single 3-vectors costs more than everything else per frame.
    """
    (wx, wy, wz), (ax, ay, az), (bx, by, bz) = (points3d[Landmark.WRIST], points3d[Landmark.INDEX_MCP],
                                                points3d[Landmark.PINKY_MCP])
    ax, ay, az, bx, by, bz = ax - wx, ay - wy, az - wz, bx - wx, by - wy, bz - wz
    normal = np.array([ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx])
    length = float(np.sqrt(normal @ normal))
    return normal / length if length > 0 else None


def palm_tilt(points3d: np.ndarray) -> float:
    """How squarely the palm faces the camera: ``|cos|`` of the angle between palm normal and view axis.

    ``points3d`` holds x, y in pixels and a depth in the same units. 1 means the palm (or the back) is
    flat to the camera; near 0 means the hand is seen edge-on, from the side.
    """
    normal = palm_normal(points3d)
    return abs(float(normal[2])) if normal is not None else 0.0


def thumb_lift(points3d: np.ndarray) -> float:
    """How far the thumb stands out of the palm plane toward the camera, in hand sizes.

    The thumb rests on the palm side of the hand, so it comes toward the camera when the palm faces it
    and goes away when the back does: evidence of the face that does not rest on the detector's
    left/right label. ``points3d``: x, y in pixels and a depth in the same units (smaller = closer).
    """
    normal = palm_normal(points3d)
    size = hand_size(points3d)
    if normal is None or size == 0 or normal[2] == 0:
        return 0.0
    toward_camera = normal * -np.sign(normal[2])  # the unit normal that points at the camera (-z)
    wrist = points3d[Landmark.WRIST]
    lift = (points3d[Landmark.THUMB_IP] + points3d[Landmark.THUMB_TIP]) / 2 - wrist
    return float(lift @ toward_camera) / size
