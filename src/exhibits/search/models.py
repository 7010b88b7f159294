"""The search index and the cross-case entity index (derived data, rebuilt from analysis).

``search_docs`` holds one row per searchable piece: a transcript segment, an OCR or
document page, an exhibit's description. Rows from machine output are keyed by content
(``sha256``) and shared by every exhibit of that content; rows from a person's correction
or an exhibit's own metadata carry ``exhibit_id``. ``body`` is the text as indexed (see
exhibits.search.normalise); the full-text index over it is an FTS5 table on SQLite and a
tsvector column with a GIN index on PostgreSQL, both made by the migration.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exhibits.db.base import Base, IdColumn, UTCDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")

# Made by the migration, not by these models: the FTS5 table (and its shadow tables) on
# SQLite and the generated tsvector column on PostgreSQL.
_unmanaged = Base.metadata.info.setdefault("unmanaged", {"tables": set(), "columns": set()})
_unmanaged["tables"].add("search_fts")
_unmanaged["columns"].add(("search_docs", "tsv"))


class SearchDoc(Base):
    __tablename__ = "search_docs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64))
    exhibit_id: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("exhibits.id"))
    layer: Mapped[str] = mapped_column(String(16))  # transcript, ocr, document, metadata
    origin: Mapped[str] = mapped_column(IdColumn())  # analysis result or revision it came from
    position: Mapped[int] = mapped_column(BigInteger)  # segment number or page
    locator: Mapped[dict] = mapped_column(JSON)  # {"start","end"} seconds or {"page","boxes"}
    text: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    entity_types: Mapped[str] = mapped_column(String(200), default="")  # " vrm person " for filters
    # SQLite: the body's tokens as FTS5 indexes them, space-separated (exhibits.search.tokens),
    # so candidates can be ranked without FTS5 (exhibits.search.tops); NULL on PostgreSQL.
    tokens: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_search_docs_sha256_layer", "sha256", "layer"),
        Index("ix_search_docs_exhibit_layer", "exhibit_id", "layer"),
        Index("ix_search_docs_origin", "origin"),
    )


class SearchTermStat(Base):
    """A frequent token of the full-text index (SQLite): how many docs hold it, and the lowest
    term weight among its champions when its list was built (exhibits.search.tops)."""

    __tablename__ = "search_term_stats"
    token: Mapped[str] = mapped_column(String(200), primary_key=True)
    docs: Mapped[int] = mapped_column(BigInteger)
    floor: Mapped[float] = mapped_column(Float)


class SearchTermTop(Base):
    """One of a frequent token's champions: a doc whose weight for that token alone is at least
    the token's floor, with a copy of the doc's tokens so that a list is read in one sweep
    (clustered by token: WITHOUT ROWID). Rows may outlive their doc (removed docs are skipped
    when ranking)."""

    __tablename__ = "search_term_tops"
    token: Mapped[str] = mapped_column(String(200), primary_key=True)
    doc_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tokens: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_search_term_tops_doc", "doc_id"), {"sqlite_with_rowid": False})


class SearchTopsState(Base):
    """When the champion lists were last built, over which docs and with which average length."""

    __tablename__ = "search_tops_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    built_through: Mapped[int] = mapped_column(BigInteger)  # highest doc id scanned
    docs: Mapped[int] = mapped_column(BigInteger)  # docs in the index then
    average_length: Mapped[float] = mapped_column(Float)  # tokens per doc then
    built_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SearchVector(Base):
    """The semantic embedding of a search doc: float32, little-endian, unit length."""

    __tablename__ = "search_vectors"
    doc_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("search_docs.id", ondelete="CASCADE"), primary_key=True
    )
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class EntityOccurrence(Base):
    """One normalised entity value found in some content (or in an exhibit's correction)."""

    __tablename__ = "entity_occurrences"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64))
    exhibit_id: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("exhibits.id"))
    origin: Mapped[str] = mapped_column(IdColumn())
    type: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(300))  # phonetic key for names, else the value
    text: Mapped[str] = mapped_column(Text)
    locator: Mapped[dict] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_entity_occurrences_type_value", "type", "value"),
        Index("ix_entity_occurrences_type_key", "type", "key"),
        Index("ix_entity_occurrences_sha256", "sha256"),
        Index("ix_entity_occurrences_exhibit", "exhibit_id"),
        Index("ix_entity_occurrences_origin", "origin"),
    )


class LinkDecision(Base):
    """A person confirmed or rejected a suggested link between two cases; the latest stands."""

    __tablename__ = "link_decisions"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    case_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("cases.id"))
    other_case_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("cases.id"))
    type: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(300))
    other_value: Mapped[str] = mapped_column(String(300))
    decision: Mapped[str] = mapped_column(String(16))  # confirmed, rejected
    note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_link_decisions_case", "case_id", "other_case_id"),)
