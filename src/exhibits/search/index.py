"""Keeping the search and entity indexes in step with analysis, inside its unit of work.

Each searchable piece is small enough to point at an exact place: a transcript segment
(seconds), an OCR line (page and boxes), a paragraph of document text (page and offsets).
Machine output replaces the previous machine output of the same layer for that content;
a person's correction indexes beside it for its exhibit and hides the machine rows there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from exhibits.analysis.entities.names import normalise_name
from exhibits.search import embeddings, matching, tops
from exhibits.search.models import EntityOccurrence, SearchDoc, SearchTermTop, SearchVector
from exhibits.search.normalise import index_body
from exhibits.search.tokens import token_streams

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


@dataclass(frozen=True)
class Docs:
    """One layer's pieces of some content (or of one exhibit's correction of it), to replace
    what that layer had there."""

    sha256: str
    layer: str
    origin: str
    pieces: list[dict[str, Any]]
    exhibit_id: str | None = None

    @property
    def place(self) -> tuple[str, str | None, str]:
        return (self.sha256, self.exhibit_id, self.layer)


@dataclass(frozen=True)
class Entities:
    """Entity values found in some content (or one exhibit's correction), to replace those
    found there before and to enrich the docs they sit in."""

    sha256: str
    origin: str
    entities: list[dict[str, Any]]
    exhibit_id: str | None = None

    @property
    def place(self) -> tuple[str, str | None]:
        return (self.sha256, self.exhibit_id)


def replace(session: Session, replacements: Sequence[Docs | Entities], *, embed: bool = True) -> None:
    """Index these in order, with the outcome of replacing them one by one, in statements per
    run of them rather than per replacement (see ``_runs``).

    With ``embed=False`` the pieces wait for ``pending_vectors``/``store_vectors`` (used where
    loading the embedding model would slow an interactive write, such as an ingest).
    """
    session.flush()  # the rows the new ones name (an exhibit) exist before the Core statements
    for docs, entities in _runs(replacements):
        _replace_docs(session, docs, embed)
        _replace_entities(session, entities)


def _runs(replacements: Sequence[Docs | Entities]) -> Iterator[tuple[list[Docs], list[Entities]]]:
    """The replacements cut, in order, into runs that can each be written as sets, docs first
    and entities after: a run ends before a second replacement of the same place (the later
    one must win), and before docs of content whose entities the run already has (which,
    in order, would have enriched the older docs, not these)."""
    docs: list[Docs] = []
    entities: list[Entities] = []
    for item in replacements:
        if isinstance(item, Docs):
            clash = any(d.place == item.place for d in docs) or any(
                e.place == item.place[:2] for e in entities
            )
        else:
            clash = any(e.place == item.place for e in entities)
        if clash:
            yield docs, entities
            docs, entities = [], []
        if isinstance(item, Docs):
            docs.append(item)
        else:
            entities.append(item)
    if docs or entities:
        yield docs, entities


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
    """Index ``pieces`` of one layer, replacing what that layer had for the content (or exhibit)."""
    replace(session, [Docs(sha256, layer, origin, pieces, exhibit_id)], embed=embed)
    return len(pieces)


def _replace_docs(session: Session, items: list[Docs], embed: bool) -> None:
    """Each item's pieces in place of its layer's docs, for them all at once: one read of the
    old docs, deletes by id, one insert of the new rows (ids back in the items' order)."""
    if not items:
        return
    places = {item.place for item in items}
    found = session.execute(
        _DOCS_OF,
        {
            "sha256s": sorted({sha256 for sha256, _, _ in places}),
            "layers": sorted({layer for _, _, layer in places}),
        },
    )
    _delete_docs(session, [row.id for row in found if (row.sha256, row.exhibit_id, row.layer) in places])
    rows = [
        {
            "sha256": item.sha256,
            "exhibit_id": item.exhibit_id,
            "layer": item.layer,
            "origin": item.origin,
            "position": p["position"],
            "locator": p["locator"],
            "text": p["text"],
            "body": index_body(p["text"]),
            "entity_types": "",
            "tokens": None,
        }
        for item in items
        for p in item.pieces
    ]
    if not rows:
        return
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:  # the tokens the champion lists rank by (exhibits.search.tops)
        for row, stream in zip(rows, token_streams([r["body"] for r in rows]), strict=True):
            row["tokens"] = stream
    ids = list(session.scalars(_INSERT_DOCS, rows))
    if sqlite:
        tops.record(session, [(doc_id, row["tokens"]) for doc_id, row in zip(ids, rows, strict=True)])
    if embed:
        _add_vectors(session, ids, [row["text"] for row in rows])


def _delete_docs(session: Session, ids: list[int]) -> None:
    for at in range(0, len(ids), _CHUNK):
        chunk = ids[at : at + _CHUNK]
        for statement in _DELETE_DOCS:
            session.execute(statement, {"ids": chunk})


def _add_vectors(session: Session, ids: list[int], texts: list[str]) -> None:
    vectors = embeddings.encode(texts)
    session.execute(
        _vectors.insert(),
        [{"doc_id": i, "vector": embeddings.to_bytes(v)} for i, v in zip(ids, vectors, strict=True)],
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
    entities = list(entities)
    replace(session, [Entities(sha256, origin, entities, exhibit_id)])
    return len(entities)


def _replace_entities(session: Session, items: list[Entities]) -> None:
    """Each item's entity values in place of those its content (or exhibit) had: one delete
    per scope (content, or each exhibit), one insert, then the docs enriched."""
    if not items:
        return
    by_scope: dict[str | None, set[str]] = {}
    for item in items:
        by_scope.setdefault(item.exhibit_id, set()).add(item.sha256)
    for exhibit_id, sha256s in by_scope.items():
        if exhibit_id:
            session.execute(
                _DELETE_EXHIBIT_OCCURRENCES, {"sha256s": sorted(sha256s), "exhibit_id": exhibit_id}
            )
        else:
            session.execute(_DELETE_CONTENT_OCCURRENCES, {"sha256s": sorted(sha256s)})
    rows = [_occurrence(item, entity) for item in items for entity in item.entities]
    if rows:
        session.execute(_occurrences.insert(), rows)
    _enrich_docs(session, items)


def _occurrence(item: Entities, entity: dict[str, Any]) -> dict[str, Any]:
    value = str(entity["value"])[:300]
    kind = entity["type"]
    key = matching.name_key(value) if kind == "person" else value
    return {
        "sha256": item.sha256,
        "exhibit_id": item.exhibit_id,
        "origin": item.origin,
        "type": kind,
        "value": value,
        "key": key[:300],
        "text": str(entity.get("text", ""))[:2000],
        "locator": entity.get("source", {}),
    }


def _entity_places(entities: list[dict[str, Any]]) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """The entities by the (layer, segment or page) of the docs they were found in."""
    by_place: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for entity in entities:
        source = entity.get("source", {})
        layer = source.get("layer")
        position = source.get("segment") if layer == "transcript" else source.get("page")
        if layer in PIECES and position is not None:
            by_place.setdefault((layer, int(position)), []).append(entity)
    return by_place


def _enrich_docs(session: Session, items: list[Entities]) -> None:
    """Add each entity's normalised value and type to the doc it sits in (so a spoken plate
    is found by its compact form, and results can be filtered by entity type): one read of
    the docs of every item's content, one update of those that change."""
    wanted = {item.place: places for item in items if (places := _entity_places(item.entities))}
    if not wanted:
        return
    layers = {layer for places in wanted.values() for layer, _ in places}
    docs = session.execute(
        _ENRICHED_DOCS_OF,
        {"sha256s": sorted({sha256 for sha256, _ in wanted}), "layers": sorted(layers)},
    )
    changed = []
    for doc in docs:
        places = wanted.get((doc.sha256, doc.exhibit_id))
        found = _found_in(doc, places.get((doc.layer, doc.position), [])) if places else []
        if not found:
            continue
        values = [normalise_name(e["value"]) if e["type"] == "person" else str(e["value"]) for e in found]
        types = sorted({e["type"] for e in found} | set(doc.entity_types.split()))
        changed.append(
            {"doc": doc.id, "new_body": index_body(doc.text, values), "new_types": f" {' '.join(types)} "}
        )
    if not changed:
        return
    if session.get_bind().dialect.name != "sqlite":
        session.execute(_ENRICH, changed)
        return
    # SQLite: the docs' champion entries go, and they are counted again with their new tokens.
    for row, stream in zip(changed, token_streams([c["new_body"] for c in changed]), strict=True):
        row["new_tokens"] = stream
    session.execute(_DELETE_TERM_TOPS, {"ids": [c["doc"] for c in changed]})
    session.execute(_ENRICH_TOKENS, changed)
    tops.record(session, [(c["doc"], c["new_tokens"]) for c in changed])


def _found_in(doc: Any, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Those of the entities at a doc's segment or page that lie within it (a page has
    several docs: OCR lines, paragraphs)."""
    if doc.layer == "transcript":
        return entities
    start, end = doc.locator.get("char_start", 0), doc.locator.get("char_end", 0)
    return [
        e
        for e in entities
        if e["source"].get("char_start", -1) < end and start < e["source"].get("char_end", -1)
    ]


# Core statements: per batch of results, the ORM's objects and flushes cost more than the rows.
_docs = SearchDoc.__table__
_vectors = SearchVector.__table__
_term_tops = SearchTermTop.__table__
_occurrences = EntityOccurrence.__table__
_CHUNK = 10_000  # ids in one IN list
_sha256s, _layers, _ids = (bindparam(name, expanding=True) for name in ("sha256s", "layers", "ids"))
_IN_CONTENTS_AND_LAYERS = (_docs.c.sha256.in_(_sha256s), _docs.c.layer.in_(_layers))
_DOCS_OF = select(_docs.c.id, _docs.c.sha256, _docs.c.exhibit_id, _docs.c.layer).where(
    *_IN_CONTENTS_AND_LAYERS
)
_ENRICHED_DOCS_OF = select(
    _docs.c.id,
    _docs.c.sha256,
    _docs.c.exhibit_id,
    _docs.c.layer,
    _docs.c.position,
    _docs.c.locator,
    _docs.c.text,
    _docs.c.entity_types,
).where(*_IN_CONTENTS_AND_LAYERS)
_DELETE_TERM_TOPS = _term_tops.delete().where(_term_tops.c.doc_id.in_(_ids))
# What refers to a doc goes first: its vector and champion entries, then the doc.
_DELETE_DOCS = (
    _vectors.delete().where(_vectors.c.doc_id.in_(_ids)),
    _DELETE_TERM_TOPS,
    _docs.delete().where(_docs.c.id.in_(_ids)),
)
_DELETE_CONTENT_OCCURRENCES = _occurrences.delete().where(
    _occurrences.c.sha256.in_(_sha256s), _occurrences.c.exhibit_id.is_(None)
)
_DELETE_EXHIBIT_OCCURRENCES = _occurrences.delete().where(
    _occurrences.c.sha256.in_(_sha256s), _occurrences.c.exhibit_id == bindparam("exhibit_id")
)
_INSERT_DOCS = _docs.insert().returning(_docs.c.id, sort_by_parameter_order=True)
_ENRICH = (
    _docs.update()
    .where(_docs.c.id == bindparam("doc"))
    .values(body=bindparam("new_body"), entity_types=bindparam("new_types"))
)
_ENRICH_TOKENS = _ENRICH.values(tokens=bindparam("new_tokens"))
