"""Redacted PDFs that truly remove what is under each box.

A black box drawn over text leaves the text in the file. Instead, every page that carries
a redaction (or any annotation, form field or comment, whose text lives outside the page's
picture) is rebuilt: PDFium renders it as displayed, annotations flattened into pixels,
the redactions are painted into those pixels, and the new page holds only that picture
plus an invisible text layer of the words that were *not* redacted (so the rest stays
searchable and copyable). Other pages are copied as they are, without annotations or
page-level metadata. The new document is written fresh with pikepdf (qpdf): document
information, XMP metadata, forms, attachments, JavaScript, outlines, the structure tree
and every earlier incremental revision of the original are left behind.

Finally the output is checked: no redacted string may be found in its text layer or in
any decoded stream or string object, or the render fails.
"""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from exhibits.errors import IntegrityFailure, InvalidInput
from exhibits.redaction.domain import Box, ItemKind, Region, TextSpan
from exhibits.redaction.pdftext import Word, open_pdf, page_words
from exhibits.redaction.render import RenderOutcome
from exhibits.redaction.render.masks import apply_mask

if TYPE_CHECKING:
    from exhibits.redaction.settings import RedactionSettings
    from exhibits.redaction.views import ItemView

_PAGE_EXTRAS = ("/Annots", "/AA", "/Thumb", "/PieceInfo", "/Metadata", "/StructParents", "/B", "/ID", "/Tabs")


def _masks_by_page(items: list[ItemView]) -> tuple[dict[int, list[tuple[str, Box]]], list[str]]:
    masks: dict[int, list[tuple[str, Box]]] = {}
    secrets: list[str] = []
    for item in items:
        if item.kind == ItemKind.REGION:
            region = Region.parse(item.geometry)
            if region.page is None:
                raise InvalidInput(f"item {item.number} has no page number")
            masks.setdefault(region.page, []).append((region.shape, region.box))
        elif item.kind == ItemKind.TEXT:
            span = TextSpan.parse(item.geometry)
            masks.setdefault(span.page, []).extend(("box", b) for b in span.boxes)
            if span.text.strip():
                secrets.append(span.text)
    return masks, secrets


def render_pdf(
    original: Path, items: list[ItemView], out_path: Path, settings: RedactionSettings
) -> RenderOutcome:
    import pikepdf

    masks, secrets = _masks_by_page(items)
    warnings: list[str] = []
    try:
        source = pikepdf.open(original)
    except pikepdf.PasswordError as exc:
        raise InvalidInput("the PDF is encrypted with a password: give an unencrypted copy") from exc
    except pikepdf.PdfError as exc:
        raise InvalidInput(f"the PDF cannot be read: {exc}") from exc
    rebuilt_pages: list[int] = []
    with source, open_pdf(original) as document:
        pages = len(source.pages)
        beyond = sorted(p for p in masks if p > pages)
        if beyond:
            raise InvalidInput(f"the set redacts page {beyond[0]} but the PDF has {pages} pages")
        output = pikepdf.new()
        for index in range(pages):
            page_number = index + 1
            annotated = "/Annots" in source.pages[index].obj and len(source.pages[index].obj.Annots) > 0
            if page_number in masks or annotated:
                _rebuild_page(output, document, index, masks.get(page_number, []), settings.pdf_dpi, warnings)
                rebuilt_pages.append(page_number)
            else:
                output.pages.append(source.pages[index])
                copied = output.pages[-1].obj
                for key in _PAGE_EXTRAS:
                    if key in copied:
                        del copied[key]
        output.remove_unreferenced_resources()
        output.docinfo = output.make_indirect(
            pikepdf.Dictionary(Producer=pikepdf.String("Exhibits redaction"))
        )
        output.save(out_path, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    check_removed(original, out_path, secrets)
    params = {"method": "rebuild redacted and annotated pages as pictures", "dpi": settings.pdf_dpi}
    stats = {"pages": pages, "pages_rebuilt": rebuilt_pages, "regions": sum(len(m) for m in masks.values())}
    return RenderOutcome(out_path, "application/pdf", params, warnings, stats)


def _rebuild_page(
    output, document, index: int, masks: list[tuple[str, Box]], dpi: int, warnings: list[str]
) -> None:
    import pikepdf
    from PIL import Image

    page = document[index]
    width_pt, height_pt = page.get_size()
    scale = dpi / 72
    bitmap = page.render(scale=scale, may_draw_forms=True, draw_annots=True)
    picture = np.ascontiguousarray(np.asarray(bitmap.to_pil().convert("RGB"))[:, :, ::-1])
    page.close()
    for shape, box in masks:
        apply_mask(picture, box, shape, "fill")
    kept = [w for w in page_words(document, index) if not any(_overlaps(w.box, box) for _, box in masks)]
    jpeg = io.BytesIO()
    Image.fromarray(picture[:, :, ::-1]).save(jpeg, "JPEG", quality=90, subsampling=0)
    height_px, width_px = picture.shape[:2]
    image = pikepdf.Stream(output, jpeg.getvalue())
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height = width_px, height_px
    image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceRGB, 8
    image.Filter = pikepdf.Name.DCTDecode
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.Type1,
        BaseFont=pikepdf.Name.Helvetica,
        Encoding=pikepdf.Name.WinAnsiEncoding,
    )
    content, skipped = _content(width_pt, height_pt, kept)
    if skipped:
        warnings.append(
            f"page {index + 1}: {skipped} words outside Latin-1 are in the picture but not searchable"
        )
    new_page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, width_pt, height_pt],
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image), Font=pikepdf.Dictionary(F0=font)),
        Contents=pikepdf.Stream(output, content),
    )
    output.pages.append(pikepdf.Page(new_page))


def _overlaps(word: Box, box: Box) -> bool:
    x1, y1 = max(word.x, box.x), max(word.y, box.y)
    x2, y2 = min(word.x + word.w, box.x + box.w), min(word.y + word.h, box.y + box.h)
    return x2 > x1 and y2 > y1


def _content(width: float, height: float, words: list[Word]) -> tuple[bytes, int]:
    """Draw the picture over the whole page, then the kept words as invisible text (mode 3)."""
    parts = [f"q {width:.4f} 0 0 {height:.4f} 0 0 cm /Im0 Do Q".encode(), b"BT 3 Tr"]
    skipped = 0
    for word in words:
        try:
            encoded = word.text.encode("cp1252")
        except UnicodeEncodeError:
            skipped += 1
            continue
        size = max(1.0, word.box.h * height * 0.9)
        natural = _helvetica_width(word.text) * size
        stretch = 100.0 if natural <= 0 else max(1.0, min(1000.0, 100 * word.box.w * width / natural))
        x = word.box.x * width
        y = (1 - word.box.y - word.box.h) * height + word.box.h * height * 0.2
        parts.append(
            f"/F0 {size:.3f} Tf {stretch:.2f} Tz 1 0 0 1 {x:.3f} {y:.3f} Tm ".encode()
            + _pdf_string(encoded)
            + b" Tj"
        )
    parts.append(b"ET")
    return b"\n".join(parts), skipped


def _pdf_string(data: bytes) -> bytes:
    return b"(" + data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _helvetica_width(text: str) -> float:
    """Advance of ``text`` in Helvetica, in ems (horizontal scaling then fits it to its box)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, "Helvetica", 1.0)


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def _text_layer(path: Path) -> list[str]:
    pages = []
    with open_pdf(path) as document:
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            pages.append(_norm(textpage.get_text_range()))
            textpage.close()
            page.close()
    return pages


def check_removed(original: Path, path: Path, secrets: list[str]) -> None:
    """Fail unless every redacted occurrence is gone from the text layer and, for strings redacted
    everywhere, from every decoded stream and string object of the file."""
    import pikepdf

    instances: dict[str, int] = {}
    for secret in secrets:
        key = _norm(secret)
        if len(key) >= 3:
            instances[key] = instances.get(key, 0) + 1
    if not instances:
        return
    before, after = "\f".join(_text_layer(original)), "\f".join(_text_layer(path))
    everywhere = []
    for secret, redacted in instances.items():
        allowed = max(0, before.count(secret) - redacted)
        if after.count(secret) > allowed:
            raise IntegrityFailure("redacted text is still in the text layer of the redacted PDF")
        if allowed == 0 and len(secret) >= 4:
            everywhere.append(secret)
    if not everywhere:
        return
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            for data in _strings_and_streams(obj):
                for encoding in ("latin-1", "utf-16-be"):
                    text = _norm(data.decode(encoding, errors="ignore"))
                    if any(secret in text for secret in everywhere):
                        raise IntegrityFailure("redacted text is still present in the redacted PDF's objects")


def _strings_and_streams(obj, depth: int = 0):
    import pikepdf

    if depth > 32:
        return
    if isinstance(obj, pikepdf.Stream):
        if obj.get("/Subtype") != pikepdf.Name.Image:  # pictures hold pixels, not text
            try:
                yield obj.read_bytes()
            except pikepdf.PdfError:
                yield obj.read_raw_bytes()
        yield from _strings_and_streams(obj.stream_dict, depth + 1)
    elif isinstance(obj, pikepdf.String):
        yield bytes(obj)
    elif isinstance(obj, pikepdf.Dictionary):
        for key in obj:
            value = obj.get(key)
            if not (isinstance(value, pikepdf.Object) and value.is_indirect):
                yield from _strings_and_streams(value, depth + 1)
    elif isinstance(obj, pikepdf.Array):
        for value in obj:
            if not (isinstance(value, pikepdf.Object) and value.is_indirect):
                yield from _strings_and_streams(value, depth + 1)
