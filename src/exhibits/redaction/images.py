"""Reading still images as a reviewer sees them: EXIF orientation applied, size limits enforced."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from exhibits.errors import InvalidInput


def open_image(path: Path, max_pixels: int, *, at_least: int | None = None):
    """A Pillow image in display orientation, refusing decompression bombs with a clear reason.

    ``at_least``: the caller needs only this many pixels on the long side, so a JPEG may be
    decoded at 1/2, 1/4 or 1/8 scale (in the DCT domain: much faster than decoding it all).
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = None  # we check ourselves, with our own limit and message
    try:
        image = Image.open(path)
        width, height = image.size
        if width * height > max_pixels:
            raise InvalidInput(
                f"the image is {width}x{height} ({width * height:,} pixels), "
                f"over the {max_pixels:,}-pixel limit"
            )
        if at_least and image.format == "JPEG" and max(width, height) > 2 * at_least:
            factor = at_least / max(width, height)
            image.draft("RGB", (round(width * factor), round(height * factor)))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(f"the image cannot be read: {exc}") from exc
    return ImageOps.exif_transpose(image)


def to_bgr(image) -> np.ndarray:
    rgb = np.asarray(image.convert("RGB"))
    return np.ascontiguousarray(rgb[:, :, ::-1])
