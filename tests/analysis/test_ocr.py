"""OCR of rendered, degraded and scanned pages, with word boxes where the words were drawn."""

from __future__ import annotations

import pytest
from PIL import Image, ImageFilter

from exhibits.analysis.ocr import OcrProcessor
from exhibits.processing.processor import ProcessingFailed

from .conftest import STATEMENT, run


def overlap(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0, min(ay + ah, by + bh) - max(ay, by))
    return w * h / float(aw * ah + bw * bh - w * h)


def test_words_are_read_with_boxes_where_they_were_drawn(ocr_result, statement_page):
    _, drawn = statement_page
    facts = ocr_result.facts
    assert facts["engine"]["name"] == "tesseract" and facts["model"]["name"] == "tesseract-eng"
    page = facts["pages"][0]
    assert page["page"] == 1 and page["dpi"] == 300
    assert page["text"].splitlines() == STATEMENT
    words = {w["text"].strip(",."): w for w in page["words"]}
    for word in ("AB12", "CDE", "LS1", "4AP", "jane@example.org"):
        assert overlap(words[word]["box"], drawn[word]) > 0.6, word
    for word in page["words"]:  # offsets index the page text exactly
        assert page["text"][word["char_start"] : word["char_end"]] == word["text"]


def test_degraded_scan_still_reads(tmp_path, statement_page):
    path, _ = statement_page
    image = Image.open(path).rotate(1.0, fillcolor=255, expand=True).filter(ImageFilter.GaussianBlur(0.8))
    image = image.resize((image.width // 2, image.height // 2))
    degraded = tmp_path / "degraded.jpg"
    image.convert("L").save(degraded, quality=60, dpi=(150, 150))
    facts = run(OcrProcessor(), degraded, "image/jpeg", tmp_path / "w").facts
    assert "registration AB12 CDE" in facts["text"]
    assert "LS1 4AP" in facts["text"]


def test_scanned_pdf_pages_are_read_and_text_pages_left_to_document_text(tmp_path, statement_page):
    path, _ = statement_page
    scanned = tmp_path / "scan.pdf"
    blank = Image.new("L", (600, 800), 255)
    Image.open(path).convert("RGB").save(
        scanned, save_all=True, append_images=[blank.convert("RGB")], resolution=300
    )
    facts = run(OcrProcessor(), scanned, "application/pdf", tmp_path / "w").facts
    assert facts["page_count"] == 2
    first = facts["pages"][0]
    assert first["page"] == 1 and first["dpi"] == 300 and "WITNESS STATEMENT" in first["text"]
    typed = tmp_path / "typed.pdf"
    typed.write_bytes(text_pdf("This page has a real text layer, no scanning needed."))
    assert run(OcrProcessor(), typed, "application/pdf", tmp_path / "v").facts["page_count"] == 0


def test_bad_images_fail_with_a_reason(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    with pytest.raises(ProcessingFailed, match="cannot be decoded"):
        run(OcrProcessor(), broken, "image/png", tmp_path / "w")
    bomb = tmp_path / "bomb.png"
    Image.new("1", (1, 1)).save(bomb)
    data = bytearray(bomb.read_bytes())
    data[16:24] = (200_000).to_bytes(4, "big") + (200_000).to_bytes(4, "big")  # IHDR width/height
    bomb.write_bytes(bytes(data))
    with pytest.raises(ProcessingFailed):
        run(OcrProcessor(), bomb, "image/png", tmp_path / "v")
    junk_pdf = tmp_path / "junk.pdf"
    junk_pdf.write_bytes(b"%PDF-1.4\nthis is not a pdf")
    with pytest.raises(ProcessingFailed, match="PDF cannot be opened"):
        run(OcrProcessor(), junk_pdf, "application/pdf", tmp_path / "u")


def text_pdf(line: str) -> bytes:
    """A minimal one-page PDF with a real text layer (Helvetica), cross-reference table exact."""
    stream = f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
