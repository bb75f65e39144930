"""Photos in, located hands out: the pipeline behind ``locate``, ``evaluate`` and the page's photo mode."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image

from .detector import PhotoDetector
from .errors import UserError
from .hands import LocatedHand, locate_hand
from .image_cues import apply_cues
from .images import WORKING_SIDE, Photo, fitted_size, read_photo

# Photos are shrunk to at most this many pixels on the longer side before detection: MediaPipe works on
# 192-224 pixel crops anyway, and a smaller frame keeps conversion cheap.
DETECTION_SIDE = 1280
DETECTION_RESAMPLE = Image.Resampling.BILINEAR


@dataclass
class PhotoResult:
    """The outcome for one photo: hands in full-size pixel coordinates, or the error that stopped it."""

    image: str
    width: int | None = None   # of the oriented full-size picture; None when it could not be read
    height: int | None = None
    hands: list[LocatedHand] = field(default_factory=list)
    error: str | None = None
    photo: Photo | None = None

    def to_json(self) -> dict:
        return {"image": self.image, "width": self.width, "height": self.height, "error": self.error,
                "hands": [hand.to_json() for hand in self.hands]}


def detection_picture(photo: Photo) -> np.ndarray:
    """The picture the detector is given: the photo shrunk to at most ``DETECTION_SIDE`` pixels."""
    height, width = photo.rgb.shape[:2]
    size = fitted_size((width, height), DETECTION_SIDE)
    if size == (width, height):
        return photo.rgb
    return np.asarray(Image.fromarray(photo.rgb).resize(size, DETECTION_RESAMPLE))


def read_detection_photo(source: Path | bytes) -> Photo:
    """The photo as the detector is given it, read straight at that size: a large JPEG is decoded at a
    reduced scale instead of in full, and shrunk once (no full-size array, no second resize)."""
    return read_photo(source, DETECTION_SIDE, DETECTION_RESAMPLE)


def larger_picture(source: Path | bytes, photo: Photo, side: int = WORKING_SIDE) -> Photo | None:
    """The source read again at up to ``side`` pixels, for drawing on; None when the detector's ``photo``
    is already that large, or the original is no larger."""
    if min(side, max(photo.full_size)) <= max(photo.rgb.shape[:2]):
        return None
    return read_photo(source, side)


def locate_in_photo(photo: Photo, detector: PhotoDetector, mirrored: bool = False) -> list[LocatedHand]:
    """Detect on a shrunk copy, then place everything in the full-size frame of the photo; the image cues
    look at ``photo``'s own pixels (the picture the detector is given, or the one it is shrunk from)."""
    small = detection_picture(photo)
    to_full = photo.full_size[0] / small.shape[1]
    return [apply_cues(photo.rgb, locate_hand(hand.scaled(to_full), mirrored, frame_size=photo.full_size),
                       1.0 / photo.scale)
            for hand in detector.detect(small)]


def mirror_image(photo: Photo) -> Photo:
    """The photo flipped left to right (what a selfie camera would have shown)."""
    return replace(photo, rgb=np.ascontiguousarray(photo.rgb[:, ::-1]))


def analyse_photo(source: Path | bytes, detector: PhotoDetector, mirrored: bool = False,
                  label: str | None = None, flip: bool = False,
                  picture_side: int = WORKING_SIDE) -> PhotoResult:
    """Read and locate one photo (a path, or an upload's bytes named by ``label``); a bad file becomes
    ``error`` instead of an exception. ``flip``: locate in the photo's mirror image, told it is mirrored
    (the same real hands must come out: a check of the decisions). ``photo`` is the picture to draw on,
    at most ``picture_side`` pixels on its longer side: a photo larger than the detector's picture is read
    a second time for it, so a caller that draws nothing passes ``DETECTION_SIDE``."""
    result = PhotoResult(image=label if label is not None else str(source))
    try:
        photo = read_detection_photo(source)
        larger = larger_picture(source, photo, picture_side)
    except UserError as error:
        result.error = str(error)
        return result
    if flip:
        photo, mirrored = mirror_image(photo), not mirrored
        larger = larger and mirror_image(larger)
    result.width, result.height = photo.full_size
    result.photo = larger or photo
    result.hands = locate_in_photo(photo, detector, mirrored)
    return result
