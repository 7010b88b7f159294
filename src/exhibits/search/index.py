"""Keeping the search and entity indexes in step with analysis, inside its unit of work.

Each searchable piece is small enough to point at an exact place: a transcript segment
(seconds), an OCR line (page and boxes), a paragraph of document text (page and offsets).
Machine output replaces the previous machine output of the same layer for that content;
a person's correction indexes beside it for its exhibit and hides the machine rows there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from exhibits.analysis.entities.names import normalise_name
from exhibits.search import embeddings, matching, tops
from exhibits.search.models import EntityOccurrence, SearchDoc, SearchTermTop, SearchVector
from exhibits.search.normalise import index_body

LAYER_OF = {"transcription": "transcript", "ocr": "ocr", "document_text": "document"}
PARAGRAPH = re.compile(r"\n\s*\n")
MAX_PIECE = 1200  # characters in one document-text piece


def transcript_pieces(facts: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "position": s["id"],
            "text": s["text"],
            "locator": {"segment": s["id"], "start": s["start"], "end": s["end"]},
        }
        for s in facts.get("segments", [])
        if s.get("text", "").strip()
    ]


def ocr_pieces(facts: dict[str, Any]) -> list[dict[str, Any]]:
    """One piece per OCR line, with the union box and each word's box."""
    pieces = []
    for page in facts.get("pages", []):
        lines: dict[int, list[dict[str, Any]]] = {}
        for word in page.get("words", []):
            lines.setdefault(word["line"], []).append(word)
        for words in lines.values():
            x1 = min(w["box"][0] for w in words)
            y1 = min(w["box"][1] for w in words)
            x2 = max(w["box"][0] + w["box"][2] for w in words)
            y2 = max(w["box"][1] + w["box"][3] for w in words)
            pieces.append(
                {
                    "position": page["page"],
                    "text": " ".join(w["text"] for w in words),
                    "locator": {
                        "page": page["page"],
                        "dpi": page.get("dpi"),
                        "box": [x1, y1, x2 - x1, y2 - y1],
                        "boxes": [w["box"] for w in words],
                        "char_start": words[0]["char_start"],
                        "char_end": words[-1]["char_end"],
                    },
                }
            )
    return pieces


def document_pieces(facts: dict[str, Any]) -> list[dict[str, Any]]:
    """Paragraphs of each page (long ones cut), with their offsets in the page text."""
    pages = facts.get("pages") or ([{"page": 1, "text": facts["text"]}] if facts.get("text") else [])
    pieces = []
    for page in pages:
        text = page.get("text") or ""
        start = 0
        for match in [*PARAGRAPH.finditer(text), None]:
            end = match.start() if match else len(text)
            for cut in range(start, end, MAX_PIECE):
                piece = text[cut : min(end, cut + MAX_PIECE)]
                if piece.strip():
                    pieces.append(
                        {
                            "position": page.get("page", 1),
                            "text": " ".join(piece.split()),
                            "locator": {
                                "page": page.get("page", 1),
                                "char_start": cut,
                                "char_end": cut + len(piece),
                            },
                        }
                    )
            start = match.end() if match else end
    return pieces


PIECES = {"transcript": transcript_pieces, "ocr": ocr_pieces, "document": document_pieces}


def replace_docs(
    session: Session,
    *,
    sha256: str,
    layer: str,
    origin: str,
    pieces: list[dict[str, Any]],
    exhibit_id: str | None = None,
    embed: bool = True,
) -> int:
    """Index ``pieces`` of one layer, replacing what that layer had for the content (or exhibit).

    With ``embed=False`` the pieces wait for ``pending_vectors``/``store_vectors`` (used where
    loading the embedding model would slow an interactive write, such as an ingest).
    """
    old = select(SearchDoc.id).where(SearchDoc.sha256 == sha256, SearchDoc.layer == layer)
    old = old.where(SearchDoc.exhibit_id == exhibit_id if exhibit_id else SearchDoc.exhibit_id.is_(None))
    old_ids = list(session.scalars(old))
    if old_ids:
        session.execute(delete(SearchVector).where(SearchVector.doc_id.in_(old_ids)))
        session.execute(delete(SearchTermTop).where(SearchTermTop.doc_id.in_(old_ids)))
        session.execute(delete(SearchDoc).where(SearchDoc.id.in_(old_ids)))
    docs = [
        SearchDoc(
            sha256=sha256,
            exhibit_id=exhibit_id,
            layer=layer,
            origin=origin,
            position=p["position"],
            locator=p["locator"],
            text=p["text"],
            body=index_body(p["text"]),
            entity_types="",
        )
        for p in pieces
    ]
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        tops.tokenise(docs)
    session.add_all(docs)
    session.flush()
    if sqlite:
        tops.record(session, [(d.id, d.tokens) for d in docs])
    if embed:
        add_vectors(session, docs)
    return len(docs)


def add_vectors(session: Session, docs: list[SearchDoc]) -> None:
    if not docs:
        return
    vectors = embeddings.encode([d.text for d in docs])
    session.add_all(
        SearchVector(doc_id=d.id, vector=embeddings.to_bytes(v)) for d, v in zip(docs, vectors, strict=True)
    )


def pending_vectors(session: Session, limit: int) -> list[tuple[int, str]]:
    """Docs indexed without a vector yet: (doc id, text)."""
    query = (
        select(SearchDoc.id, SearchDoc.text)
        .outerjoin(SearchVector, SearchVector.doc_id == SearchDoc.id)
        .where(SearchVector.doc_id.is_(None))
        .order_by(SearchDoc.id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in session.execute(query)]


def store_vectors(session: Session, vectors: dict[int, bytes]) -> int:
    """Store vectors computed outside the unit of work, for docs that still exist and lack one."""
    if not vectors:
        return 0
    still = set(
        session.scalars(
            select(SearchDoc.id)
            .outerjoin(SearchVector, SearchVector.doc_id == SearchDoc.id)
            .where(SearchDoc.id.in_(list(vectors)), SearchVector.doc_id.is_(None))
        )
    )
    session.add_all(SearchVector(doc_id=i, vector=vectors[i]) for i in still)
    return len(still)


def replace_entities(
    session: Session,
    *,
    sha256: str,
    origin: str,
    entities: Iterable[dict[str, Any]],
    exhibit_id: str | None = None,
) -> int:
    """Index entity values (cross-case links) and enrich the search docs they were found in."""
    old = delete(EntityOccurrence).where(EntityOccurrence.sha256 == sha256)
    old = old.where(
        EntityOccurrence.exhibit_id == exhibit_id if exhibit_id else EntityOccurrence.exhibit_id.is_(None)
    )
    session.execute(old)
    entities = list(entities)
    rows = []
    for entity in entities:
        value = str(entity["value"])[:300]
        kind = entity["type"]
        key = matching.name_key(value) if kind == "person" else value
        rows.append(
            EntityOccurrence(
                sha256=sha256,
                exhibit_id=exhibit_id,
                origin=origin,
                type=kind,
                value=value,
                key=key[:300],
                text=str(entity.get("text", ""))[:2000],
                locator=entity.get("source", {}),
            )
        )
    session.add_all(rows)
    _enrich_docs(session, sha256, exhibit_id, entities)
    return len(rows)


def _enrich_docs(
    session: Session, sha256: str, exhibit_id: str | None, entities: list[dict[str, Any]]
) -> None:
    """Add each entity's normalised value and type to the doc it sits in (so a spoken plate
    is found by its compact form, and results can be filtered by entity type)."""
    by_place: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for entity in entities:
        source = entity.get("source", {})
        layer = source.get("layer")
        position = source.get("segment") if layer == "transcript" else source.get("page")
        if layer in PIECES and position is not None:
            by_place.setdefault((layer, int(position)), []).append(entity)
    if not by_place:
        return
    layers = {layer for layer, _ in by_place}
    query = select(SearchDoc).where(SearchDoc.sha256 == sha256, SearchDoc.layer.in_(layers))
    query = query.where(SearchDoc.exhibit_id == exhibit_id if exhibit_id else SearchDoc.exhibit_id.is_(None))
    changed = []
    for doc in session.scalars(query):
        found = []
        for entity in by_place.get((doc.layer, doc.position), []):
            source = entity["source"]
            if doc.layer != "transcript":
                start, end = doc.locator.get("char_start", 0), doc.locator.get("char_end", 0)
                if not (source.get("char_start", -1) < end and start < source.get("char_end", -1)):
                    continue
            found.append(entity)
        if not found:
            continue
        values = [normalise_name(e["value"]) if e["type"] == "person" else str(e["value"]) for e in found]
        types = sorted({e["type"] for e in found} | set(doc.entity_types.split()))
        doc.body = index_body(doc.text, values)
        doc.entity_types = f" {' '.join(types)} "
        changed.append(doc)
    if changed and session.get_bind().dialect.name == "sqlite":
        session.execute(delete(SearchTermTop).where(SearchTermTop.doc_id.in_([d.id for d in changed])))
        tops.tokenise(changed)
        tops.record(session, [(d.id, d.tokens) for d in changed])
