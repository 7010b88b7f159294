"""Redacted still images: masks painted at full resolution, saved with no EXIF (so no GPS and
no embedded thumbnail that would still show what was masked), no XMP and no comments."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from exhibits.errors import IntegrityFailure
from exhibits.redaction.domain import ItemKind, Region
from exhibits.redaction.images import open_image
from exhibits.redaction.render import RenderOutcome
from exhibits.redaction.render.masks import apply_mask

if TYPE_CHECKING:
    from exhibits.redaction.settings import RedactionSettings
    from exhibits.redaction.views import ItemView


def render_image(
    original: Path, items: list[ItemView], workdir: Path, settings: RedactionSettings
) -> RenderOutcome:
    from PIL import Image

    source = open_image(original, settings.max_image_pixels)
    source_format = (Image.open(original).format or "").upper()
    warnings = []
    if getattr(source, "n_frames", 1) > 1:
        warnings.append(
            f"the image has {source.n_frames} frames; only the first is kept in the redacted copy"
        )
    has_alpha = source.mode in ("RGBA", "LA") or "transparency" in source.info
    picture = np.array(source.convert("RGB"))  # a writable copy; masks ignore channel order
    regions = [Region.parse(i.geometry) for i in items if i.kind == ItemKind.REGION]
    for region in regions:
        apply_mask(picture, region.box, region.shape, settings.mask_style)
    result = Image.fromarray(picture, "RGB")
    icc = source.info.get("icc_profile")
    if source_format == "JPEG" and not has_alpha:
        path, mime = workdir / "redacted.jpg", "image/jpeg"
        result.save(path, "JPEG", quality=95, subsampling=0, icc_profile=icc)
    else:
        path, mime = workdir / "redacted.png", "image/png"
        result.save(path, "PNG", icc_profile=icc, optimize=False)
    check_clean(path)
    params = {
        "format": mime,
        "mask_style": settings.mask_style,
        "jpeg_quality": 95 if mime == "image/jpeg" else None,
    }
    stats = {"regions": len(regions), "size": list(result.size)}
    return RenderOutcome(path, mime, params, warnings, stats)


def check_clean(path: Path) -> None:
    """Refuse to hand over an image that still carries EXIF, XMP or text metadata."""
    from PIL import Image

    with Image.open(path) as written:
        leftovers = [
            k for k in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "parameters") if k in written.info
        ]
        if len(written.getexif()) or leftovers or getattr(written, "text", None):
            raise IntegrityFailure(
                f"the redacted image still carries metadata ({', '.join(leftovers) or 'EXIF'})"
            )
