"""Find acupoints on hands: MediaPipe landmarks in, WHO-coded points out, on photos and live video.

The pure core (:mod:`locator.geometry`, :mod:`locator.catalogue`, :mod:`locator.hands`) knows nothing of
files, cameras or pages; adapters around it detect (:mod:`locator.detector`), draw (:mod:`locator.overlay`),
read photos (:mod:`locator.images`, :mod:`locator.photos`) and talk to the user (:mod:`locator.cli`).
"""

from .catalogue import BY_CODE, CATALOGUE, Acupoint
from .hands import DetectedHand, LocatedHand, LocatedPoint, locate_hand

__all__ = ["BY_CODE", "CATALOGUE", "Acupoint", "DetectedHand", "LocatedHand", "LocatedPoint", "locate_hand"]
