"""Text to redact in documents and images: OCR word boxes or a PDF's own text layer, matched
against entities (names, addresses, phone numbers...) and terms a person chose."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from exhibits.errors import InvalidInput
from exhibits.redaction.detection.speech import _REASON_OF, DEFAULT_ENTITY_TYPES
from exhibits.redaction.domain import Box, ItemKind, MediaKind, union
from exhibits.redaction.matching import find_runs

if TYPE_CHECKING:
    from exhibits.redaction.service import DetectionOutcome, ProposalInputs
    from exhibits.redaction.settings import RedactionSettings


def ocr_pages(ocr: dict[str, Any]) -> dict[int, list[tuple[str, Box]]]:
    """Words per page (1-based) from OCR facts: {"pages": [{"page", "width", "height", "words"}]}."""
    pages: dict[int, list[tuple[str, Box]]] = {}
    for entry in ocr.get("pages") or []:
        try:
            number, width, height = int(entry.get("page", 1)), float(entry["width"]), float(entry["height"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput("OCR facts need page, width and height for every page") from exc
        words = pages.setdefault(number, [])
        for word in entry.get("words") or []:
            x, y, w, h = (float(v) for v in word["box"])
            if w > 0 and h > 0:
                words.append(
                    (str(word.get("text", "")), Box.parse([x / width, y / height, w / width, h / height]))
                )
    return pages


def _targets(inputs: ProposalInputs) -> list[tuple[str, str, str, int | None]]:
    """(text, reason, note, page or None) for every entity and term to look for."""
    wanted = {t.lower() for t in inputs.entity_types} if inputs.entity_types else DEFAULT_ENTITY_TYPES
    targets = []
    for entity in (inputs.entities or {}).get("entities", []):
        kind = str(entity.get("type", "")).lower()
        text = str(entity.get("text") or "")
        if kind not in wanted or not text.strip():
            continue
        source = entity.get("source") or {}
        page = source.get("page") if isinstance(source.get("page"), int) else None
        targets.append((text, _REASON_OF.get(kind, kind), f"{kind}: {text}", page))
    targets += [(term, "other", f"term: {term}", None) for term in inputs.terms if term.strip()]
    return targets


def text_regions(
    path: Path, kind: MediaKind, inputs: ProposalInputs, settings: RedactionSettings
) -> DetectionOutcome:
    from exhibits.redaction.service import DetectionOutcome, Proposal

    warnings: list[str] = []
    pages: dict[int, list[tuple[str, Box]]] = {}
    if kind is MediaKind.PDF:
        from exhibits.redaction.pdftext import document_words

        for word in document_words(path):
            pages.setdefault(word.page, []).append((word.text, word.box))
    if inputs.ocr:
        for number, words in ocr_pages(inputs.ocr).items():
            if kind is MediaKind.IMAGE:
                number = 1
            pages.setdefault(number, []).extend(words)  # scanned pages: OCR adds what the text layer lacks
    elif kind is MediaKind.IMAGE:
        pages[1] = _ocr_image(path, settings)
    targets = _targets(inputs)
    if not targets:
        raise InvalidInput("say what text to redact: give terms (--term) or entity facts (--entities)")
    proposals = []
    for text, reason, note, only_page in targets:
        hits = 0
        for number, words in sorted(pages.items()):
            if only_page is not None and number != only_page:
                continue
            for i, j in find_runs([w for w, _ in words], text):
                # One box per line of the match, so the gaps between words (and so how long
                # each word was) are covered too.
                boxes = [b.as_list() for b in _lines([b for _, b in words[i : j + 1]])]
                if kind is MediaKind.PDF:
                    geometry = {"page": number, "text": text, "boxes": boxes}
                    proposals.append(Proposal(ItemKind.TEXT, reason, geometry, "text-match", note=note))
                else:
                    for box in boxes:
                        geometry = {"shape": "box", "box": box, "page": None}
                        proposals.append(Proposal(ItemKind.REGION, reason, geometry, "ocr-match", note=note))
                hits += 1
        if not hits:
            warnings.append(f"{note} was not found in the text")
    return DetectionOutcome(proposals, {}, warnings)


def _lines(boxes: list[Box]) -> list[Box]:
    lines: list[list[Box]] = []
    for box in boxes:
        line = lines[-1] if lines else None
        if line and min(box.y + box.h, line[-1].y + line[-1].h) - max(box.y, line[-1].y) > 0.5 * min(
            box.h, line[-1].h
        ):
            line.append(box)
        else:
            lines.append([box])
    return [union(line) for line in lines]


def _ocr_image(path: Path, settings: RedactionSettings) -> list[tuple[str, Box]]:
    from exhibits.redaction.detection.ocr import read_words
    from exhibits.redaction.images import open_image, to_bgr

    image = to_bgr(open_image(path, settings.max_image_pixels))
    height, width = image.shape[:2]
    return [
        (w.text, Box.parse([w.x / width, w.y / height, w.w / width, w.h / height]))
        for w in read_words(image, data=settings.tesseract_data, psm=3)
        if w.text and w.w > 0 and w.h > 0
    ]
