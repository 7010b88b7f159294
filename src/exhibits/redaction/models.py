"""Redaction records: sets, their items (current state), and the append-only history.

A set is a layer over one exhibit for one purpose. ``redaction_items`` holds each item's
current state for quick reading; every change is also an append-only item revision and a
new set version, so any version can be rebuilt and every render names the version it used.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exhibits.db.base import Base, IdColumn, UTCDateTime


class RedactionSet(Base):
    __tablename__ = "redaction_sets"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    case_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("cases.id"))
    exhibit_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("exhibits.id"))
    sha256: Mapped[str] = mapped_column(String(64))  # the original content the set is drawn over
    media_kind: Mapped[str] = mapped_column(String(16))  # video, image, audio, pdf
    purpose: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=0)
    next_item: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_redaction_sets_exhibit", "exhibit_id"),
        Index("ix_redaction_sets_case", "case_id"),
    )


class RedactionItem(Base):
    """One region track, page region, audio span, text span or decision: its current state."""

    __tablename__ = "redaction_items"
    set_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("redaction_sets.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    geometry: Mapped[dict] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(64))  # "user", or the detector and its version
    score: Mapped[float | None] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)  # the set version that last changed it


class RedactionItemRevision(Base):
    """Append-only: an item as it stood from a set version on."""

    __tablename__ = "redaction_item_revisions"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    set_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("redaction_sets.id"))
    number: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    geometry: Mapped[dict] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(64))
    score: Mapped[float | None] = mapped_column(Float)
    actor_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_redaction_item_revisions_set_version", "set_id", "version"),)


class RedactionSetVersion(Base):
    """Append-only: one version of a set, with the digest of its whole content."""

    __tablename__ = "redaction_set_versions"
    set_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("redaction_sets.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    change: Mapped[str] = mapped_column(Text)
    counts: Mapped[dict] = mapped_column(JSON)
    actor_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class RedactionRender(Base):
    """Append-only: a rendered derivative of a set version (until the pipeline's derivatives table)."""

    __tablename__ = "redaction_renders"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    set_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("redaction_sets.id"))
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("cases.id"))
    exhibit_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("exhibits.id"))
    parent_sha256: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64), ForeignKey("blobs.sha256"))
    mime_type: Mapped[str] = mapped_column(String(128))
    report_json_sha256: Mapped[str] = mapped_column(String(64), ForeignKey("blobs.sha256"))
    report_pdf_sha256: Mapped[str] = mapped_column(String(64), ForeignKey("blobs.sha256"))
    tool: Mapped[str] = mapped_column(String(64))
    tool_version: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict] = mapped_column(JSON)
    actor_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_redaction_renders_set", "set_id"),
        Index("ix_redaction_renders_sha256", "sha256"),
        Index("ix_redaction_renders_case", "case_id"),
    )
