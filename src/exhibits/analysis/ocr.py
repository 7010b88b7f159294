"""OCR of images and scanned PDF pages with Tesseract, keeping every word's box.

tesserocr (which bundles libtesseract) reads Debian's ``tesseract-ocr-eng`` language data,
pinned by SHA-256. Word boxes are in pixels of the page as rendered (``dpi`` says how a
PDF page was rendered: points = pixels * 72 / dpi), for images after EXIF orientation, so
a search hit or a redaction can be drawn on the page a person sees.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from exhibits.analysis.modelfiles import PinnedModel, verify
from exhibits.processing.processor import Context, ProcessingFailed, Processor, Result

# Debian's tesseract command thrashes on 2 cores unless OMP_THREAD_LIMIT=1 (the benchmark
# sets it for the command). tesserocr bundles a libtesseract built without OpenMP, so the
# variable is not needed here, and it is deliberately not set process-wide: CTranslate2
# (transcription, same worker) returns garbage with 2 threads under OMP_THREAD_LIMIT=1.

TESSDATA = Path("/usr/share/tesseract-ocr/5/tessdata")
LANGUAGE_DATA = {
    # tesseract-ocr-eng 1:4.1.0-2 (Debian 12)
    "eng": "7d4322bd2a7749724879683fc3912cb542f19906c83bcc1a52132556427170b2",
}
MIN_TEXT_LAYER_CHARS = 16  # a PDF page with less text than this is treated as scanned
IMAGE_TYPES = ("image/png", "image/jpeg", "image/tiff", "image/bmp", "image/gif", "image/webp")

_local = threading.local()


def language_model(languages: str, tessdata: Path = TESSDATA) -> PinnedModel:
    files = {}
    for language in languages.split("+"):
        if language not in LANGUAGE_DATA:
            raise ProcessingFailed(f"no pinned Tesseract language data for {language!r}")
        files[f"{language}.traineddata"] = LANGUAGE_DATA[language]
    return PinnedModel(f"tesseract-{languages}", "1:4.1.0-2", tessdata, files)


def engine(languages: str):
    """One Tesseract API per thread (it is not thread-safe), created once."""
    import tesserocr

    model = verify(language_model(languages))
    api = getattr(_local, "api", None)
    if api is None or _local.languages != languages:
        api = tesserocr.PyTessBaseAPI(path=str(model.root) + "/", lang=languages, psm=tesserocr.PSM.AUTO)
        _local.api, _local.languages = api, languages
    return api


def read_page(image, languages: str) -> dict[str, Any]:
    """Text and words (with boxes, confidences and offsets into the page text) of one image."""
    import tesserocr

    api = engine(languages)
    api.SetImage(image.convert("L") if image.mode not in ("L", "RGB") else image)
    api.Recognize()
    words: list[dict[str, Any]] = []
    parts: list[str] = []
    offset = 0
    line_number = -1
    iterator = api.GetIterator()
    level = tesserocr.RIL.WORD
    if iterator is not None:
        for item in tesserocr.iterate_level(iterator, level):
            try:
                text = (item.GetUTF8Text(level) or "").strip()
            except RuntimeError:  # an empty block on a blank page
                continue
            box = item.BoundingBox(level)
            if not text or box is None:
                continue
            if item.IsAtBeginningOf(tesserocr.RIL.TEXTLINE):
                line_number += 1
                if parts:
                    parts.append("\n")
                    offset += 1
            elif parts:
                parts.append(" ")
                offset += 1
            x1, y1, x2, y2 = box
            words.append(
                {
                    "text": text,
                    "box": [x1, y1, x2 - x1, y2 - y1],
                    "confidence": round(item.Confidence(level) / 100.0, 4),
                    "line": max(line_number, 0),
                    "char_start": offset,
                    "char_end": offset + len(text),
                }
            )
            parts.append(text)
            offset += len(text)
    confidence = sum(w["confidence"] for w in words) / len(words) if words else 0.0
    return {
        "width": image.width,
        "height": image.height,
        "text": "".join(parts),
        "confidence": round(confidence, 4),
        "words": words,
    }


def image_pages(path: Path) -> Iterator[tuple[int, Any, int | None]]:
    """(page number, PIL image, dpi) for each frame of an image file."""
    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

    try:
        image = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise ProcessingFailed(f"image refused: its dimensions are implausibly large ({exc})") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise ProcessingFailed(f"the image cannot be decoded ({exc})") from exc
    with image:
        for number, frame in enumerate(ImageSequence.Iterator(image), 1):
            try:
                oriented = ImageOps.exif_transpose(frame.copy())
            except (OSError, ValueError, SyntaxError) as exc:
                raise ProcessingFailed(f"page {number} of the image cannot be decoded ({exc})") from exc
            dpi = frame.info.get("dpi")
            yield number, oriented, round(float(dpi[0])) if dpi else None


def pdf_pages(path: Path, dpi: int, max_pages: int) -> Iterator[tuple[int, Any, int | None]]:
    """Render the PDF pages that have no usable text layer (scans), one at a time."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise ProcessingFailed(f"the PDF cannot be opened ({exc})") from exc
    try:
        if len(document) > max_pages:
            raise ProcessingFailed(f"the PDF has {len(document)} pages; OCR stops at {max_pages}")
        for index in range(len(document)):
            page = document[index]
            try:
                textpage = page.get_textpage()
                text = textpage.get_text_range()
                textpage.close()
                if len(text.strip()) >= MIN_TEXT_LAYER_CHARS:
                    continue  # document text already has this page
                image = page.render(scale=dpi / 72).to_pil()
            finally:
                page.close()
            yield index + 1, image, dpi
    finally:
        document.close()


class OcrProcessor(Processor):
    """Text and word boxes from photographs of documents, screenshots and scanned PDFs."""

    name = "ocr"
    version = "1"
    accepts = (*IMAGE_TYPES, "application/pdf")
    default_params: ClassVar[dict[str, Any]] = {
        "languages": "eng",
        "language_sha256": language_model("eng").fingerprint,
        "dpi": 300,
        "max_pages": 500,
    }

    @classmethod
    def params_from_vault(cls, settings) -> dict[str, Any]:
        from exhibits.analysis.settings import AnalysisSettings

        return cls.params_from_settings(settings.section("analysis", AnalysisSettings))

    @staticmethod
    def params_from_settings(settings) -> dict[str, Any]:
        return {
            "languages": settings.ocr_languages,
            "language_sha256": language_model(settings.ocr_languages).fingerprint,
            "dpi": settings.ocr_dpi,
            "max_pages": settings.ocr_max_pages,
        }

    def run(self, ctx: Context) -> Result:
        import tesserocr

        languages = str(ctx.params["languages"])
        if ctx.mime_type == "application/pdf":
            pages = pdf_pages(ctx.input_path, int(ctx.params["dpi"]), int(ctx.params["max_pages"]))
        else:
            pages = image_pages(ctx.input_path)
        results = []
        for number, image, dpi in pages:
            page = read_page(image, languages)
            page.update(page=number, dpi=dpi)
            results.append(page)
        warnings = []
        if not any(page["words"] for page in results):
            warnings.append("no text was recognised")
        facts = {
            "engine": {"name": "tesseract", "version": tesserocr.tesseract_version().split()[1]},
            "model": language_model(languages).describe(),
            "page_count": len(results),
            "pages": [
                {k: page[k] for k in ("page", "width", "height", "dpi", "confidence", "text", "words")}
                for page in results
            ],
            "text": "\n\n".join(page["text"] for page in results if page["text"]),
        }
        return Result(facts=facts, warnings=warnings)
