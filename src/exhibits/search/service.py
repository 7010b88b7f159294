"""One search box over everything a user may see: case titles, exhibit descriptions,
transcripts, OCR and document text, entities; keyword, semantic, or both fused.

Every hit points at an exact place: the second in a recording (``#t=`` media fragment),
the page and box in an image or PDF. Authorisation happens before the query (the set of
cases the user may see) and inside it (every hit is joined to an exhibit in one of those
cases), so nothing outside is ever returned or counted. Each search is one consultation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.db.writer import WriteContext
from exhibits.errors import InvalidInput
from exhibits.evidence.models import Case, Exhibit, Media
from exhibits.search import embeddings, tops
from exhibits.search.backends import COUNT_CAP, LAYERS, TYPES, KeywordBackend, Scope
from exhibits.search.index import pending_vectors, replace_docs, store_vectors
from exhibits.search.models import SearchDoc
from exhibits.search.normalise import query_terms

if TYPE_CHECKING:
    from exhibits.evidence.models import Media as MediaRow
    from exhibits.vault import Vault

RRF_K = 60  # reciprocal rank fusion constant (Cormack et al. 2009)
CANDIDATES = 100  # from each ranking before fusion
SEMANTIC_MAX_DOCS = 250_000  # vectors ranked per query; beyond this, keyword candidates only
SEMANTIC_MIN_SCORE = 0.2  # below this cosine a semantic-only hit is noise (mean pooling keeps scores low)
MODES = ("hybrid", "keyword", "semantic")
MAX_QUERY = 500


@dataclass(frozen=True)
class Filters:
    case: str | None = None  # crime reference, URN or id
    type: str | None = None  # video, audio, image, document
    layer: str | None = None  # transcript, ocr, document, metadata
    date_from: datetime | None = None
    date_to: datetime | None = None
    producer: str | None = None
    entity_type: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.__dict__.items() if v}


@dataclass
class Hit:
    case_id: str
    case_ref: str
    exhibit_id: str | None
    exhibit_ref: str | None
    layer: str  # case, metadata, transcript, ocr, document
    text: str
    locator: dict[str, Any]
    score: float
    link: str
    mime_type: str | None = None
    matched_by: list[str] = field(default_factory=list)  # keyword, semantic

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Results:
    query: str
    mode: str
    hits: list[Hit]
    total: int  # keyword matches the user may see, capped
    total_is_capped: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "mode": self.mode,
            "total": self.total,
            "total_is_capped": self.total_is_capped,
            "hits": [h.as_dict() for h in self.hits],
        }


def link_for(case_id: str, exhibit_id: str, layer: str, locator: dict[str, Any]) -> str:
    """Where a viewer opens the hit: W3C media fragment for time, PDF open parameter for page."""
    base = f"/cases/{case_id}/exhibits/{exhibit_id}"
    if "start" in locator:
        return f"{base}#t={locator['start']:.2f}"
    if "page" in locator:
        fragment = f"#page={locator['page']}"
        if locator.get("box"):
            x, y, w, h = locator["box"]
            fragment += f"&box={x},{y},{w},{h}"
        return base + fragment
    return base


def rrf(*rankings: list[tuple[int, str]]) -> list[tuple[tuple[int, str], float]]:
    """Reciprocal rank fusion of rankings of (doc, exhibit) keys."""
    scores: dict[tuple[int, str], float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, 1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


class SearchService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.keyword = KeywordBackend(vault.db.dialect)
        from exhibits.search.links import LinkService

        self.links = LinkService(vault)

    # --- indexing (inside units of work) -------------------------------------------------

    def index_exhibit_metadata(self, ctx: WriteContext, exhibit: Exhibit, media: MediaRow) -> None:
        parts = [exhibit.ref, exhibit.producer, exhibit.description or "", media.original_name or ""]
        text = " ".join(" ".join(p.split()) for p in parts if p)
        piece = {"position": 0, "text": text, "locator": {}}
        replace_docs(
            ctx.session,
            sha256=media.sha256,
            layer="metadata",
            origin=exhibit.id,
            pieces=[piece],
            exhibit_id=exhibit.id,
            embed=False,  # an ingest must not wait for the embedding model: see embed_pending
        )

    def embed_pending(self, limit: int = 5_000) -> int:
        """Compute vectors for docs indexed without one (metadata indexed at ingest)."""
        with self.vault.reading() as session:
            pending = pending_vectors(session, limit)
        if not pending:
            return 0
        encoded = embeddings.encode([text for _, text in pending])
        vectors = {doc_id: embeddings.to_bytes(v) for (doc_id, _), v in zip(pending, encoded, strict=True)}
        return self.vault.write(lambda ctx: store_vectors(ctx.session, vectors))

    def optimise(self, *, force: bool = False) -> dict[str, Any] | None:
        """Build the champion lists of frequent tokens (exhibits.search.tops) when they are
        missing or stale, or always with ``force``; SQLite only. Tokenises docs indexed before
        tokens were kept. Returns what was built, or None when nothing needed doing."""
        if self.vault.db.dialect != "sqlite":
            return None
        with self.vault.reading() as session:
            if not force and not tops.stale(session):
                return None
        tokenised = 0
        while rows := self._untokenised():
            self.vault.write(lambda ctx, rows=rows: tops.store_tokens(ctx.session, rows))
            tokenised += len(rows)
        with self.vault.reading() as session:
            docs, total = tops.index_totals(session)
            through = tops.highest_doc(session)
            frequent = tops.frequent_tokens(session)
            average = total / docs if docs else 1.0
            lists = tops.champions(tops.all_streams(session, through), set(frequent), average)
        self.vault.write(
            lambda ctx: tops.replace_lists(
                ctx.session,
                lists,
                frequent,
                built_through=through,
                rows=docs,
                average=average,
                now=self.vault.now(),
            )
        )
        return {"docs": docs, "tokenised": tokenised, "frequent_tokens": len(lists)}

    def _untokenised(self) -> list[tuple[int, str]]:
        with self.vault.reading() as session:
            return tops.untokenised(session, tops.BATCH)

    # --- searching ---------------------------------------------------------------------------

    def scope(self, session: Session, principal: Principal, filters: Filters) -> Scope:
        case_ids = principal.visible_case_ids(session)
        if filters.case:
            case_ids = {self.vault.evidence.find_case(session, principal, filters.case).id}
        read = frozenset(c for c in case_ids if principal.has(Permission.EXHIBIT_READ, session, c))
        content = frozenset(c for c in read if principal.has(Permission.EXHIBIT_CONTENT, session, c))
        if filters.type and filters.type not in TYPES:
            raise InvalidInput(f"type is one of {', '.join(TYPES)}")
        if filters.layer and filters.layer not in LAYERS:
            raise InvalidInput(f"layer is one of {', '.join(LAYERS)}")
        if filters.date_from and filters.date_to and filters.date_from >= filters.date_to:
            raise InvalidInput("the date range ends before it starts")
        return Scope(
            read,
            content,
            filters.type,
            filters.layer,
            filters.date_from,
            filters.date_to,
            filters.producer,
            filters.entity_type,
        )

    def search(
        self,
        principal: Principal,
        query: str,
        filters: Filters | None = None,
        *,
        mode: str = "hybrid",
        limit: int = 20,
        offset: int = 0,
    ) -> Results:
        filters = filters or Filters()
        query = " ".join((query or "").split())
        if not query or len(query) > MAX_QUERY:
            raise InvalidInput(f"a search needs 1-{MAX_QUERY} characters")
        if mode not in MODES:
            raise InvalidInput(f"mode is one of {', '.join(MODES)}")
        if not 1 <= limit <= 200 or not 0 <= offset <= 10_000:
            raise InvalidInput("limit is 1-200 and offset 0-10000")
        terms = query_terms(query)
        if mode != "keyword":
            self.embed_pending()
        with self.vault.reading() as session:
            scope = self.scope(session, principal, filters)
            hits, total = self._search(session, scope, query, terms, mode, limit + offset)
            hits = hits[offset : offset + limit]
        self.vault.consulted(
            principal,
            "search.query",
            details={
                "query": query,
                "mode": mode,
                "filters": filters.as_dict(),
                "total": total,
                "returned": [{"case": h.case_id, "exhibit": h.exhibit_id, "layer": h.layer} for h in hits],
            },
        )
        return Results(query, mode, hits, min(total, COUNT_CAP), total > COUNT_CAP)

    def _search(
        self, session: Session, scope: Scope, query: str, terms: list[str], mode: str, wanted: int
    ) -> tuple[list[Hit], int]:
        if not scope.read_cases or not terms:
            return [], 0
        case_hits = (
            self._cases(session, scope, terms) if not (scope.layer or scope.type or scope.entity_type) else []
        )
        keyword: list[tuple[int, str, float]] = []
        total = 0
        if mode in ("hybrid", "keyword"):
            keyword = self.keyword.search(
                session, terms, scope, max(wanted, CANDIDATES if mode == "hybrid" else wanted)
            )
            total = self.keyword.count(session, terms, scope)
        semantic: list[tuple[int, str, float]] = []
        if mode in ("hybrid", "semantic"):
            semantic = self._semantic(session, scope, query, CANDIDATES if mode == "hybrid" else wanted)
            if mode == "semantic":
                total = len(semantic)
        if mode == "keyword":
            ranked = [((d, e), s) for d, e, s in keyword]
        elif mode == "semantic":
            ranked = [((d, e), s) for d, e, s in semantic]
        else:
            ranked = rrf([(d, e) for d, e, _ in keyword], [(d, e) for d, e, _ in semantic])
        matched = {(d, e): ["keyword"] for d, e, _ in keyword}
        for d, e, _ in semantic:
            matched.setdefault((d, e), []).append("semantic")
        hits = case_hits + self._hits(session, ranked[:wanted], matched)
        return hits[:wanted], total + len(case_hits)

    def _semantic(
        self, session: Session, scope: Scope, query: str, wanted: int
    ) -> list[tuple[int, str, float]]:
        from exhibits.search.vectors import cache_for

        return cache_for(self.vault.db.url).search(session, scope, query, wanted, SEMANTIC_MIN_SCORE)

    def _cases(self, session: Session, scope: Scope, terms: list[str]) -> list[Hit]:
        """Case titles and references containing every term (a user sees few cases)."""
        hits = []
        for case in session.scalars(select(Case).where(Case.id.in_(sorted(scope.read_cases)))):
            haystack = f"{case.crime_ref} {case.urn or ''} {case.title}".casefold()
            if all(term in haystack for term in terms):
                hits.append(
                    Hit(
                        case.id,
                        case.crime_ref,
                        None,
                        None,
                        "case",
                        case.title,
                        {},
                        1.0,
                        f"/cases/{case.id}",
                        matched_by=["keyword"],
                    )
                )
        return hits

    def _hits(self, session: Session, ranked: list[tuple[tuple[int, str], float]], matched) -> list[Hit]:
        if not ranked:
            return []
        doc_ids = {d for (d, _), _ in ranked}
        exhibit_ids = {e for (_, e), _ in ranked}
        docs = {d.id: d for d in session.scalars(select(SearchDoc).where(SearchDoc.id.in_(doc_ids)))}
        rows = session.execute(
            select(Exhibit, Case.crime_ref, Media.sha256)
            .join(Case, Case.id == Exhibit.case_id)
            .join(Media, Media.id == Exhibit.media_id)
            .where(Exhibit.id.in_(exhibit_ids))
        )
        exhibits = {e.id: (e, ref) for e, ref, _ in rows}
        from exhibits.evidence.models import Blob

        mimes = dict(
            session.execute(
                select(Blob.sha256, Blob.mime_type).where(Blob.sha256.in_({d.sha256 for d in docs.values()}))
            ).all()
        )
        hits = []
        for (doc_id, exhibit_id), score in ranked:
            doc, (exhibit, case_ref) = docs[doc_id], exhibits[exhibit_id]
            hits.append(
                Hit(
                    exhibit.case_id,
                    case_ref,
                    exhibit.id,
                    exhibit.ref,
                    doc.layer,
                    doc.text,
                    doc.locator,
                    round(score, 6),
                    link_for(exhibit.case_id, exhibit.id, doc.layer, doc.locator),
                    mimes.get(doc.sha256),
                    matched.get((doc_id, exhibit_id), []),
                )
            )
        return hits
