"""Palm or back toward the camera: a small logistic model over three cues; pure numpy.

In a picture the palm of a left hand and the back of a right hand have the same outline, so one
probability, "the palm faces the camera", settles both which face and which hand (see
:func:`locator.hands.decide_hand_and_face`). Three cues, each read so that it does not change when the
picture is mirrored:

* ``label``: the detector's left/right label read through the outline, as log-odds (appearance, learnt
  by MediaPipe);
* ``thumb_lift``: how far the thumb stands out of the palm plane toward the camera in MediaPipe's 3D
  world landmarks (the thumb rests on the palm side);
* ``knuckle_shade``: how much lighter the middle knuckles are than the finger segments around them
  (on the back, knuckle skin is wrinkled and often darker; on the palm the joints are creases on even
  skin). On the 11K photos the palms' median is -0.03, the backs' -0.16. The cue is held between those
  two (``SHADE_RANGE``), so it can tip an unsure label but not overturn a sure one: on a studio photo of
  two hand backs, lit evenly, the knuckles read like a palm's.

The weights are fitted by ``tools/fit_handface.py`` on the 11K Hands development photos, cross-validated
by person, and calibrated out of fold (Platt); they ship in ``handface.json`` beside this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .geometry import Landmark, hand_size, lerp, thumb_lift

WEIGHTS_FILE = Path(__file__).with_name("handface.json")
FEATURES = ("label", "thumb_lift", "knuckle_shade")
# A label score of 0.9975 is already certain; beyond that the detector's score says nothing more.
LABEL_LOGIT_CAP = 6.0
# Side of the square patch averaged at each appearance sample, in hand sizes.
PATCH = 0.12
# The knuckle shade is clipped to this range: from the backs' median to the palms' median on 11K.
SHADE_RANGE = (-0.16, -0.03)
_PIP = (Landmark.INDEX_PIP, Landmark.MIDDLE_PIP, Landmark.RING_PIP, Landmark.PINKY_PIP)
_MCP = (Landmark.INDEX_MCP, Landmark.MIDDLE_MCP, Landmark.RING_MCP, Landmark.PINKY_MCP)
_DIP = (Landmark.INDEX_DIP, Landmark.MIDDLE_DIP, Landmark.RING_DIP, Landmark.PINKY_DIP)
_LUMA = np.array([0.299, 0.587, 0.114])


@dataclass(frozen=True)
class FaceModel:
    """``P(palm) = sigmoid(weights . features + bias)``, already calibrated. A missing cue (NaN) takes
    its ``neutral`` value (its mean over the training hands), so it pushes neither way. ``unsure_below``:
    a decision surer than this (max of P and 1 - P) is reported, a less sure one is "unsure"."""

    weights: np.ndarray
    bias: float
    neutral: np.ndarray
    unsure_below: float

    def palm_probability(self, features: np.ndarray) -> float:
        filled = np.where(np.isnan(features), self.neutral, features)
        return float(1.0 / (1.0 + np.exp(-(float(filled @ self.weights) + self.bias))))


@lru_cache(maxsize=1)
def shipped_model() -> FaceModel:
    """The fitted model in ``handface.json`` (written by ``tools/fit_handface.py``)."""
    data = json.loads(WEIGHTS_FILE.read_text())
    if tuple(data["features"]) != FEATURES:
        raise ValueError(f"{WEIGHTS_FILE.name} was fitted on {data['features']}, the code reads {FEATURES}")
    return FaceModel(np.array(data["weights"], dtype=float), float(data["bias"]),
                     np.array(data["neutral"], dtype=float), float(data["unsure_below"]))


def label_evidence(label: str, label_score: float, right_palm_outline: bool) -> float:
    """Log-odds for "palm" from the detector's label: a right-looking hand with a right-palm outline is
    a palm; a left-looking one with that outline is a back."""
    score = min(max(label_score, 1e-6), 1 - 1e-6)
    logit = min(float(np.log(score / (1 - score))), LABEL_LOGIT_CAP)
    return logit if (label == "right") == right_palm_outline else -logit


def world_thumb_lift(world: np.ndarray | None) -> float:
    """:func:`~locator.geometry.thumb_lift` on MediaPipe's world landmarks (metres, a steadier 3D
    estimate than the image depth); NaN when they are missing."""
    return np.nan if world is None else float(np.clip(thumb_lift(world), -1.0, 1.0))


def knuckle_shade(rgb: np.ndarray, landmarks: np.ndarray) -> float:
    """Brightness of the middle knuckles (PIP joints) minus that of the finger segments on either side,
    over the brightness of the palm's centre; NaN when the fingers or the palm are outside the picture.

    ``rgb``: the frame, ``(h, w, 3)`` uint8; ``landmarks``: ``(21, 2)`` pixels in that frame. Twelve
    small patches: cheap enough for every video frame.
    """
    side = max(1, round(PATCH * hand_size(landmarks) / 2))
    knuckles = [_patch_luma(rgb, landmarks[j], side) for j in _PIP]
    segments = [_patch_luma(rgb, lerp(landmarks[a], landmarks[b], 0.5), side)
                for pair in (_MCP, _DIP) for a, b in zip(pair, _PIP)]
    centre = _patch_luma(rgb, landmarks[[Landmark.WRIST, Landmark.INDEX_MCP, Landmark.MIDDLE_MCP,
                                         Landmark.PINKY_MCP]].mean(axis=0), side)
    knuckles = [v for v in knuckles if v is not None]
    segments = [v for v in segments if v is not None]
    if not knuckles or not segments or centre is None or centre <= 0:
        return np.nan
    return float(np.clip((np.mean(knuckles) - np.mean(segments)) / centre, *SHADE_RANGE))


def _patch_luma(rgb: np.ndarray, xy: np.ndarray, half: int) -> float | None:
    height, width = rgb.shape[:2]
    x, y = int(round(float(xy[0]))), int(round(float(xy[1])))
    patch = rgb[max(0, y - half):min(height, y + half + 1), max(0, x - half):min(width, x + half + 1)]
    if patch.size == 0:
        return None
    return float(patch.reshape(-1, 3).mean(axis=0) @ _LUMA)


def face_features(label: str, label_score: float, right_palm_outline: bool, world: np.ndarray | None,
                  shade: float | None) -> np.ndarray:
    """The model's input, in the order of :data:`FEATURES`."""
    return np.array([label_evidence(label, label_score, right_palm_outline), world_thumb_lift(world),
                     np.nan if shade is None else shade])
