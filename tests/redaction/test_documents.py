"""Redacting PDFs: the text and pictures under each box are gone, not covered; and so is every
other place a name can hide (metadata, annotations, form fields, attachments, old revisions)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest

from exhibits.redaction.domain import ItemKind, ItemState
from exhibits.redaction.service import ProposalInputs
from tests.redaction.media import PHONE, SECRET, make_statement_pdf


def _text(path: Path) -> str:
    document = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


def _everything(path: Path) -> bytes:
    """Every byte of the file plus every stream decoded: where a leftover could hide."""
    raw = path.read_bytes()
    decoded = []
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    decoded.append(obj.read_bytes())
                except pikepdf.PdfError:
                    decoded.append(obj.read_raw_bytes())
    return raw + b"".join(decoded)


@pytest.fixture
def statement(case_files, tmp_path):
    path = tmp_path / "statement.pdf"
    make_statement_pdf(path)
    assert SECRET in _text(path)
    everything = _everything(path)
    assert b"Old draft" in everything and SECRET.encode() in everything
    return path, case_files.add(path)


def test_redacted_text_and_everything_around_it_is_removed_while_the_rest_still_extracts(
    case_files, statement, tmp_path
):
    vault, officer = case_files.vault, case_files.officer
    _path, ref = statement
    created = vault.redaction.create_set(officer, case_files.case, ref, "CPS charging file")
    view, _outcome = vault.redaction.propose(
        officer, created.id, ["text"], ProposalInputs(terms=[SECRET, PHONE])
    )
    spans = [i for i in view.items if i.kind == ItemKind.TEXT]
    assert sorted(i.geometry["text"] for i in spans) == sorted([SECRET, PHONE])
    vault.redaction.review(officer, created.id, None, ItemState.ACCEPTED)
    render = vault.redaction.render(officer, created.id)
    out = tmp_path / "redacted.pdf"
    with vault.blobs.open(render.sha256) as source:
        out.write_bytes(source.read())

    text = _text(out)
    assert "The car was blue." in text  # unredacted text still extracts
    assert "Witness statement of" in text
    assert SECRET not in text and "900123" not in text
    everything = _everything(out)
    for leftover in (SECRET.encode(), SECRET.encode("utf-16-be"), b"900123", b"Acacia", b"Old draft"):
        assert leftover not in everything
    with pikepdf.open(out) as pdf:
        assert "/AcroForm" not in pdf.Root and "/Names" not in pdf.Root and "/Metadata" not in pdf.Root
        assert not pdf.attachments
        assert all("/Annots" not in page.obj for page in pdf.pages)
        assert str(pdf.docinfo.get("/Author", "")) == ""
        assert len(pdf.pages) == 2
    assert out.read_bytes().count(b"%%EOF") == 1  # no earlier revision carried over
    # The picture of the page under the phone number is black: the pixels are gone too.
    document = pdfium.PdfDocument(str(out))
    image = document[0].render(scale=1).to_pil().convert("L")
    words = vault.redaction.show(officer, created.id).items
    phone = next(i for i in words if i.geometry.get("text") == PHONE)
    x, y, w, h = phone.geometry["boxes"][0]
    width, height = image.size
    crop = image.crop(
        (int(x * width) + 1, int(y * height) + 1, int((x + w) * width) - 1, int((y + h) * height) - 1)
    )
    assert np.asarray(crop).max() < 30
    document.close()


def test_a_region_over_a_picture_removes_its_pixels(case_files, statement, tmp_path):
    vault, officer = case_files.vault, case_files.officer
    _, ref = statement
    created = vault.redaction.create_set(officer, case_files.case, ref, "public appeal")
    # The photo sits at 72..172 x 500..610 pt on a 595 x 842 pt page.
    box = [72 / 595.28, (842 - 610) / 841.89, 100 / 595.28, 110 / 841.89]
    vault.redaction.add(officer, created.id, ItemKind.REGION, {"shape": "box", "box": box, "page": 1}, "face")
    render = vault.redaction.render(officer, created.id)
    out = tmp_path / "redacted.pdf"
    with vault.blobs.open(render.sha256) as source:
        out.write_bytes(source.read())
    with pikepdf.open(out) as pdf:
        images = [
            pikepdf.PdfImage(obj)
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image
        ]
        assert len(images) == 2  # one picture per page; the original photo object is gone
    document = pdfium.PdfDocument(str(out))
    picture = document[0].render(scale=1).to_pil().convert("L")
    assert np.asarray(picture.crop((80, 240, 165, 335))).max() < 30
    document.close()


def test_an_encrypted_pdf_is_refused_with_a_clear_reason(case_files, tmp_path):
    from exhibits.errors import InvalidInput

    path = tmp_path / "locked.pdf"
    make_statement_pdf(tmp_path / "plain.pdf")
    with pikepdf.open(tmp_path / "plain.pdf") as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(owner="o", user="secret"))
    ref = case_files.add(path)
    created = case_files.vault.redaction.create_set(case_files.officer, case_files.case, ref, "defence")
    with pytest.raises(InvalidInput, match="encrypted"):
        case_files.vault.redaction.propose(
            case_files.officer, created.id, ["text"], ProposalInputs(terms=["x"])
        )


def test_words_found_by_ocr_in_a_photo_are_proposed_and_masked(case_files, tmp_path):
    from PIL import Image

    from tests.redaction.media import make_photo

    vault, officer = case_files.vault, case_files.officer
    photo = tmp_path / "letter.png"
    make_photo(photo, fmt="PNG", gps=False)
    ref = case_files.add(photo)
    ocr = {"pages": [{"page": 1, "width": 640, "height": 480, "words": [
        {"text": "Flat", "conf": 91, "box": [20, 400, 40, 20]},
        {"text": "2,", "conf": 90, "box": [64, 400, 16, 20]},
        {"text": "Acacia", "conf": 93, "box": [84, 400, 60, 20]},
        {"text": "Avenue", "conf": 92, "box": [148, 400, 64, 20]},
        {"text": "Tuesday", "conf": 95, "box": [400, 400, 80, 20]},
    ]}]}  # fmt: skip
    address = "Flat 2, Acacia Avenue"
    entities = {
        "entities": [
            {"type": "address", "text": address, "value": address, "source": {"kind": "ocr", "page": 1}}
        ]
    }
    created = vault.redaction.create_set(officer, case_files.case, ref, "public appeal")
    view, _ = vault.redaction.propose(
        officer, created.id, ["text"], ProposalInputs(ocr=ocr, entities=entities)
    )
    assert [i.reason for i in view.items] == ["address"]  # one box over the whole line
    vault.redaction.review(officer, created.id, None, ItemState.ACCEPTED)
    render = vault.redaction.render(officer, created.id)
    with vault.blobs.open(render.sha256) as handle:
        pixels = np.asarray(Image.open(handle).convert("L"))
    assert pixels[402:418, 22:210].max() < 10  # the address is gone
    assert pixels[402:418, 402:478].min() > 30  # "Tuesday" is untouched
