"""Reading photos the way the user sees them, whatever the file holds.

EXIF orientation is applied (coordinates are pixels of the upright picture); grayscale, palette,
16-bit and transparent images become 8-bit RGB; a picture larger than the caller needs is decoded at a
reduced size where the format allows (JPEG's own draft mode: 1/2, 1/4 or 1/8, never below the size asked
for), then shrunk once before it becomes an array, and every coordinate is scaled back to the full-size
frame. Memory stays bounded for every format: the size is read from the header first, and a picture that
cannot be decoded at a reduced size is refused when its full decode would pass :data:`MAX_DECODE_BYTES`.
Pillow's process-wide limits are left as they are. Any unreadable file becomes one
:class:`~locator.errors.ImageError` line.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
# The picture we keep in memory (and annotate) is at most this many pixels on its longer side.
WORKING_SIDE = 4096
# A picture whose full decode would take more memory than this is refused, unless its format can be
# decoded at a reduced size (JPEG); Pillow's own guard (MAX_IMAGE_PIXELS) refuses larger ones of any kind.
MAX_DECODE_BYTES = 256 * 2**20  # about 89 megapixels of RGB
DRAFT_FORMATS = {"JPEG"}


@dataclass(frozen=True)
class Photo:
    """An upright RGB picture and the factor from its pixels to the full-size oriented frame."""

    rgb: np.ndarray          # (h, w, 3) uint8, at most WORKING_SIDE on the longer side
    full_size: tuple[int, int]  # (width, height) of the oriented original

    @property
    def scale(self) -> float:
        """Multiply a coordinate of ``rgb`` by this to get one in the full-size frame."""
        return self.full_size[0] / self.rgb.shape[1]


def read_photo(source: Path | bytes, max_side: int = WORKING_SIDE,
               resample: Image.Resampling = Image.Resampling.LANCZOS) -> Photo:
    """Open a file (or an upload's bytes) as an upright 8-bit RGB picture of at most ``max_side`` pixels
    on its longer side (shrunk with ``resample``), or raise a one-line :class:`ImageError` saying what is
    wrong with it (the caller names the file)."""
    if isinstance(source, bytes):
        if not source:
            raise ImageError("empty file (0 bytes)")
        opened = io.BytesIO(source)
    else:
        if not source.exists():
            raise ImageError("no such file")
        if source.is_dir():
            raise ImageError("is a folder, not an image")
        if source.stat().st_size == 0:
            raise ImageError("empty file (0 bytes)")
        opened = source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # checked below, per format
            with Image.open(opened) as image:
                full_size = _oriented_size(image)
                if image.format in DRAFT_FORMATS:
                    image.draft("RGB", fitted_size(image.size, max_side))  # JPEG decodes at 1/2, 1/4, 1/8 if it can
                else:
                    _check_decode_size(image)
                ImageOps.exif_transpose(image, in_place=True)  # no copy when upright already
                rgb = np.asarray(_shrink(_to_rgb8(image), max_side, resample))  # the one copy out of Pillow
    except UnidentifiedImageError:
        raise ImageError("not an image, or a format this tool cannot read") from None
    except Image.DecompressionBombError:
        raise ImageError(f"image too large (over {2 * Image.MAX_IMAGE_PIXELS // 1_000_000} megapixels)") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageError(f"truncated or corrupt image ({error})") from None
    return Photo(rgb, full_size)


def _check_decode_size(image: Image.Image) -> None:
    """Refuse a picture whose full decode would pass :data:`MAX_DECODE_BYTES` (read from the header)."""
    width, height = image.size
    bands = max(len(image.getbands()), 3)  # it becomes RGB
    bytes_per_band = 2 if image.mode.startswith("I;16") else 4 if image.mode in ("I", "F") else 1
    needed = width * height * bands * bytes_per_band
    if needed > MAX_DECODE_BYTES:
        raise ImageError(f"image too large to read as {image.format}: {width}x{height} would take "
                         f"{needed // 2**20} MB (at most {MAX_DECODE_BYTES // 2**20} MB; save it as JPEG or "
                         "make it smaller)")


def _oriented_size(image: Image.Image) -> tuple[int, int]:
    """(width, height) after EXIF orientation, read from the header without decoding."""
    width, height = image.size
    orientation = image.getexif().get(0x0112, 1)
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _to_rgb8(image: Image.Image) -> Image.Image:
    """8-bit RGB from any mode: 16-bit and float are rescaled, transparency is laid on white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
        gray = np.clip(values / top * 255.0, 0, 255).astype(np.uint8)
        return Image.fromarray(np.repeat(gray[:, :, None], 3, axis=2))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    return image if image.mode == "RGB" else image.convert("RGB")


def fitted_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """``size`` (width, height) scaled to at most ``max_side`` on its longer side (never enlarged)."""
    factor = min(1.0, max_side / max(size))
    return max(1, round(size[0] * factor)), max(1, round(size[1] * factor))


def _shrink(image: Image.Image, max_side: int, resample: Image.Resampling) -> Image.Image:
    size = fitted_size(image.size, max_side)
    return image if size == image.size else image.resize(size, resample)


def find_images(path: Path) -> list[Path]:
    """The image files in a folder, recursively, in a stable order (hidden files skipped)."""
    return sorted(p for p in path.rglob("*")
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                  and not any(part.startswith(".") for part in p.relative_to(path).parts))
