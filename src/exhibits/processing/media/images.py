"""Images: a web-size JPEG and WebP and a thumbnail, the right way up, from anything Pillow
reads, including iPhone HEIC/HEIF (through pi-heif, the decode-only build of
pillow-heif whose wheels carry no GPL code).

Decoding is bounded: an image claiming more than ``max_pixels`` is refused as a possible
decompression bomb before a byte of it is expanded. Proxies carry no metadata (no GPS in
something made for viewing); the original's metadata is in the probe's facts.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path
from typing import Any, ClassVar

from exhibits.processing.processor import Context, Derivative, ProcessingFailed, Processor, Result

DEFAULT_MAX_PIXELS = 178_956_970  # Pillow's own threshold for "decompression bomb"


@functools.cache
def _register_heif() -> None:
    import pi_heif

    pi_heif.register_heif_opener()


def open_image(path: Path, *, max_pixels: int | None):
    """Open an image lazily (headers only) with a pixel limit; a clear reason if not."""
    from PIL import Image, UnidentifiedImageError

    _register_heif()
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ProcessingFailed(
            f"refused to decode: {exc} (decompression bomb guard, limit {max_pixels:,} pixels)"
        ) from exc
    except UnidentifiedImageError as exc:
        raise ProcessingFailed("not an image format this worker can read (or the file is corrupt)") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ProcessingFailed(f"cannot read the image: {str(exc)[:200]}") from exc


class ImageProxy(Processor):
    name = "image-proxy"
    version = "1"
    accepts = ("image/*",)
    depends_on = ("probe",)
    queue = "default"
    timeout_seconds = 300
    memory_limit_mb: ClassVar[int | None] = 3072
    default_params: ClassVar[dict[str, Any]] = {
        "web_size": 1600,
        "thumb_size": 320,
        "jpeg_quality": 85,
        "webp_quality": 80,
        "max_pixels": DEFAULT_MAX_PIXELS,
    }

    def run(self, ctx: Context) -> Result:
        from PIL import Image, ImageOps

        params = ctx.params
        notes: list[str] = []
        image = open_image(ctx.input_path, max_pixels=int(params["max_pixels"]))
        try:
            with image, warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    image.load()
                except OSError as exc:  # truncated data: Pillow can often still show what it has
                    if "truncated" not in str(exc).lower():
                        raise ProcessingFailed(f"cannot decode the image: {str(exc)[:200]}") from exc
                    from PIL import ImageFile

                    ImageFile.LOAD_TRUNCATED_IMAGES = True
                    try:
                        image.load()
                    finally:
                        ImageFile.LOAD_TRUNCATED_IMAGES = False
                    notes.append("the image data is truncated: the lower part may be grey")
                try:
                    upright = ImageOps.exif_transpose(image)
                except Exception as exc:  # hostile orientation data: show it as stored
                    notes.append(f"the orientation metadata could not be applied ({type(exc).__name__})")
                    upright = image.copy()
                picture = _viewable(upright)
            notes += [f"image reader: {w.message}" for w in caught][:10]
        except (Image.DecompressionBombError, MemoryError) as exc:
            raise ProcessingFailed(f"refused to decode: {exc} (decompression bomb guard)") from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise ProcessingFailed(f"cannot decode the image: {str(exc)[:200]}") from exc
        derivatives = []
        web = _fitted(picture, int(params["web_size"]))
        jpeg = ctx.workdir / "web.jpg"
        web.save(jpeg, "JPEG", quality=int(params["jpeg_quality"]), optimize=True, progressive=True)
        webp = ctx.workdir / "web.webp"
        web.save(webp, "WEBP", quality=int(params["webp_quality"]), method=4)
        thumb = _fitted(picture, int(params["thumb_size"]))
        thumbnail = ctx.workdir / "thumb.jpg"
        thumb.save(thumbnail, "JPEG", quality=80)
        size = {"width": web.width, "height": web.height}
        derivatives += [
            Derivative("web", jpeg, "image/jpeg", "web-size JPEG", size),
            Derivative("web", webp, "image/webp", "web-size WebP", size),
            Derivative(
                "thumbnail",
                thumbnail,
                "image/jpeg",
                "thumbnail",
                {"width": thumb.width, "height": thumb.height},
            ),
        ]
        facts = {"display_width": picture.width, "display_height": picture.height, "tool": _pillow()}
        return Result(facts=facts, derivatives=derivatives, warnings=notes)


def _viewable(image: Any) -> Any:
    """RGB for JPEG/WebP: transparency over white, 16-bit and CMYK converted."""
    from PIL import Image

    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode.startswith("I;16") or image.mode == "I":
        return image.point(lambda v: v / 256).convert("L").convert("RGB")
    return image.convert("RGB")


def _fitted(image: Any, longest: int) -> Any:
    from PIL import Image

    copy = image.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    return copy


def _pillow() -> str:
    import PIL

    return f"Pillow {PIL.__version__}"
