"""Words of a PDF's text layer with their boxes on the displayed page, through PDFium.

Boxes are normalised to the page as displayed (after /Rotate and the crop box), origin at
the top left, the same frame as regions drawn by a reviewer. PDFium's own page-to-device
mapping does the rotation and offsets, so we never reimplement PDF geometry.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from exhibits.errors import InvalidInput
from exhibits.redaction.domain import Box

_GRID = 100_000  # device size used for the page-to-device mapping (fine enough for any page)


@dataclass(frozen=True)
class Word:
    page: int  # 1-based
    text: str
    box: Box


@contextmanager
def open_pdf(path: Path) -> Iterator[object]:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            raise InvalidInput("the PDF is encrypted with a password: give an unencrypted copy") from exc
        raise InvalidInput(f"the PDF cannot be read: {message}") from exc
    try:
        yield document
    finally:
        document.close()


def _to_display(page, x: float, y: float) -> tuple[float, float]:
    import pypdfium2.raw as raw

    dx, dy = ctypes.c_int(), ctypes.c_int()
    raw.FPDF_PageToDevice(page.raw, 0, 0, _GRID, _GRID, 0, x, y, ctypes.byref(dx), ctypes.byref(dy))
    return dx.value / _GRID, dy.value / _GRID


def char_box(page, textpage, index: int) -> Box | None:
    left, bottom, right, top = textpage.get_charbox(index)
    if right <= left or top <= bottom:
        return None
    corners = [_to_display(page, x, y) for x in (left, right) for y in (bottom, top)]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    x1, y1 = max(0.0, min(xs)), max(0.0, min(ys))
    x2, y2 = min(1.0, max(xs)), min(1.0, max(ys))
    if x2 <= x1 or y2 <= y1:
        return None
    return Box(x1, y1, x2 - x1, y2 - y1)


def page_words(document, index: int) -> list[Word]:
    """The words of one page (0-based ``index``) with their boxes."""
    page = document[index]
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range(0, count) if count else ""
        words: list[Word] = []
        current: list[tuple[str, Box]] = []

        def close() -> None:
            if current:
                boxes = [b for _, b in current]
                x1, y1 = min(b.x for b in boxes), min(b.y for b in boxes)
                x2, y2 = max(b.x + b.w for b in boxes), max(b.y + b.h for b in boxes)
                words.append(Word(index + 1, "".join(c for c, _ in current), Box(x1, y1, x2 - x1, y2 - y1)))
                current.clear()

        for i, char in enumerate(text[:count]):
            if char.isspace() or char in "\x00\ufffe\uffff":
                close()
                continue
            box = char_box(page, textpage, i)
            if box is None:
                close()
                continue
            current.append((char, box))
        close()
        return words
    finally:
        textpage.close()
        page.close()


def document_words(path: Path) -> list[Word]:
    with open_pdf(path) as document:
        return [w for i in range(len(document)) for w in page_words(document, i)]
