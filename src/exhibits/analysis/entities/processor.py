"""The entity processor: every entity in a transcript, OCR text, document text or metadata,
with exactly where it came from (segment and seconds, page and word boxes, offsets)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from exhibits.analysis.entities import Found, resolve_overlaps
from exhibits.analysis.entities.names import find_names, spacy_model
from exhibits.analysis.entities.patterns import find_identifiers
from exhibits.analysis.entities.spoken import find_spoken_vrms
from exhibits.processing.processor import Context, Processor, Result

MAX_UNIT_CHARS = 100_000  # spaCy works on pieces of this size at most


@dataclass
class Unit:
    """A piece of text and where it sits: one transcript segment, one page, one metadata field."""

    layer: str  # transcript, ocr, document, metadata
    text: str
    where: dict[str, Any]
    base: int = 0  # offset of this piece inside the page/segment text it was cut from
    words: list[dict[str, Any]] | None = None  # transcript words (times) or OCR words (boxes)


def transcript_units(facts: dict[str, Any]) -> list[Unit]:
    units = []
    for segment in facts.get("segments", []):
        text = segment["text"]
        words, cursor = [], 0
        for word in segment.get("words", []):  # locate each word in the segment's text
            at = text.find(word["word"], cursor)
            if at < 0:
                continue
            words.append({**word, "char_start": at, "char_end": at + len(word["word"])})
            cursor = at + len(word["word"])
        where = {"segment": segment["id"], "start": segment["start"], "end": segment["end"]}
        units.append(Unit("transcript", text, where, words=words))
    return units


def page_units(layer: str, facts: dict[str, Any]) -> list[Unit]:
    pages = facts.get("pages") or ([{"page": 1, "text": facts["text"]}] if facts.get("text") else [])
    units = []
    for page in pages:
        text = page.get("text") or ""
        for base in range(0, max(len(text), 1), MAX_UNIT_CHARS):
            piece = text[base : base + MAX_UNIT_CHARS]
            if piece.strip():
                units.append(Unit(layer, piece, {"page": page.get("page", 1)}, base, page.get("words")))
    return units


def metadata_units(facts: dict[str, Any], processor: str) -> list[Unit]:
    units = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list):
            for index, item in enumerate(value[:100]):
                walk(item, f"{path}[{index}]")
        elif isinstance(value, str) and 2 < len(value) < 2000:
            units.append(Unit("metadata", value, {"processor": processor, "field": path}))

    walk(facts, "")
    return units


def locate(unit: Unit, found: Found) -> dict[str, Any]:
    """Where an entity is, in the terms a viewer (or a redaction) needs."""
    source = {"layer": unit.layer, **unit.where}
    start, end = found.start + unit.base, found.end + unit.base
    source["char_start"], source["char_end"] = start, end
    touching = [w for w in unit.words or [] if w["char_start"] < end and start < w["char_end"]]
    if unit.layer == "transcript" and touching:
        source["start"], source["end"] = touching[0]["start"], touching[-1]["end"]
        source["words"] = [unit.words.index(w) for w in touching]  # type: ignore[union-attr]
    elif unit.layer == "transcript":
        source["start"], source["end"] = unit.where["start"], unit.where["end"]
    elif touching:
        source["boxes"] = [w["box"] for w in touching]
    return source


def extract(units: list[Unit], *, spoken: bool = True) -> list[dict[str, Any]]:
    per_unit = [find_identifiers(unit.text) for unit in units]
    if spoken:  # mostly transcripts, but statements also write plates out as they were said
        for found, unit in zip(per_unit, units, strict=True):
            found += find_spoken_vrms(unit.text)
    names = find_names([unit.text for unit in units]) if units else []
    entities = []
    for unit, found, named in zip(units, per_unit, names, strict=True):
        for item in resolve_overlaps([*found, *named]):
            entities.append({**item.as_dict(), "source": locate(unit, item)})
    return entities


class EntityProcessor(Processor):
    """Identifiers, people, places and organisations in everything text-like about an item."""

    name = "entities"
    version = "1"
    accepts = ("*/*",)
    depends_on = ("transcription", "ocr", "document_text")
    default_params: ClassVar[dict[str, Any]] = {
        "spacy_model": "en_core_web_sm-3.8.0",
        "spacy_sha256": spacy_model().fingerprint,
        "metadata_processors": ["probe"],
        "spoken_vrms": True,
    }

    def run(self, ctx: Context) -> Result:
        units = transcript_units(ctx.facts_of("transcription"))
        units += page_units("ocr", ctx.facts_of("ocr"))
        units += page_units("document", ctx.facts_of("document_text"))
        for processor in ctx.params.get("metadata_processors", []):
            units += metadata_units(ctx.facts_of(processor), processor)
        entities = extract(units, spoken=bool(ctx.params.get("spoken_vrms", True)))
        facts = {
            "model": spacy_model().describe() if units else None,
            "layers": sorted({unit.layer for unit in units}),
            "entities": entities,
            "counts": dict(Counter(e["type"] for e in entities)),
        }
        return Result(facts=facts, warnings=[] if units else ["no text to look for entities in"])
