"""Painting masks into pictures. Masks are opaque: nothing of what is under them survives."""

from __future__ import annotations

import numpy as np

from exhibits.redaction.domain import Box


def apply_mask(image: np.ndarray, box: Box, shape: str, style: str = "fill") -> None:
    """Mask ``box`` (normalised) in a picture in place (any channel order: masks are black
    or pixelated)."""
    import cv2

    height, width = image.shape[:2]
    x1, y1, x2, y2 = box.pixels(width, height)
    if x2 <= x1 or y2 <= y1:
        return
    if style == "pixelate":
        region = image[y1:y2, x1:x2]
        block = max(8, (x2 - x1) // 6, (y2 - y1) // 6)
        small = cv2.resize(
            region, (max(1, (x2 - x1) // block), max(1, (y2 - y1) // block)), interpolation=cv2.INTER_AREA
        )
        coarse = cv2.resize(small, (x2 - x1, y2 - y1), interpolation=cv2.INTER_NEAREST)
        if shape == "ellipse":
            inside = np.zeros(region.shape[:2], dtype=np.uint8)
            _ellipse(inside, 0, 0, x2 - x1, y2 - y1, 255)
            region[inside > 0] = coarse[inside > 0]
        else:
            region[:] = coarse
        return
    if shape == "ellipse":
        _ellipse(image, x1, y1, x2, y2, (0, 0, 0))
    else:
        image[y1:y2, x1:x2] = 0


def _ellipse(image: np.ndarray, x1: int, y1: int, x2: int, y2: int, colour) -> None:
    import cv2

    # Fixed-point centre and axes (shift=2) so small ellipses are not rounded away; rounded up.
    centre = (round((x1 + x2) * 2), round((y1 + y2) * 2))
    axes = (int(np.ceil((x2 - x1) * 2)), int(np.ceil((y2 - y1) * 2)))
    cv2.ellipse(image, centre, axes, 0, 0, 360, colour, thickness=-1, lineType=cv2.LINE_8, shift=2)
