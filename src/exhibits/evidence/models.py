"""Cases, stored content, ingested media and exhibits.

``Blob`` is content (by SHA-256, stored once however often it arrives). ``Media`` is one
arrival of content with what was known when it came in (device, incident, capture time).
An ``Exhibit`` is media produced in a case under a reference such as ``JS/1``; one media
item can be an exhibit in several cases.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from exhibits.db.base import Base, IdColumn, UTCDateTime


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    force_code: Mapped[str] = mapped_column(String(16))
    crime_ref: Mapped[str] = mapped_column(String(64))
    urn: Mapped[str | None] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(32))
    classification: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("force_code", "crime_ref"),)


class Blob(Base):
    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mime_type: Mapped[str] = mapped_column(String(128))
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disposal_seq: Mapped[int | None] = mapped_column(BigInteger)  # the log event recording it


class Media(Base):
    """One arrival of content: an upload, a dock export file, an archive member."""

    __tablename__ = "media"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), ForeignKey("blobs.sha256"), index=True)
    original_name: Mapped[str | None] = mapped_column(Text)  # untrusted text, never a path
    source: Mapped[str] = mapped_column(String(16))
    device_id: Mapped[str | None] = mapped_column(String(128))
    incident_ref: Mapped[str | None] = mapped_column(String(128))
    officer: Mapped[str | None] = mapped_column(String(200))
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    clock_offset_seconds: Mapped[float | None] = mapped_column(Float)
    captured_by: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    classification: Mapped[str] = mapped_column(String(32))
    parent_media_id: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("media.id"))
    member_path: Mapped[str | None] = mapped_column(Text)  # name inside its parent (archive, email)
    ingested_by: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    review_after: Mapped[datetime | None] = mapped_column(UTCDateTime())  # retention of unassigned
    status: Mapped[str] = mapped_column(String(16), default="active")
    extra: Mapped[dict] = mapped_column(JSON, default=dict)


class CaseProducer(Base):
    """The initials each producer uses in a case, fixed when they first produce."""

    __tablename__ = "case_producers"
    case_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("cases.id"), primary_key=True)
    producer_key: Mapped[str] = mapped_column(String(250), primary_key=True)
    initials: Mapped[str] = mapped_column(String(16))
    display: Mapped[str] = mapped_column(String(200))
    next_number: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (UniqueConstraint("case_id", "initials"),)


class Exhibit(Base):
    __tablename__ = "exhibits"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    case_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("cases.id"))
    media_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("media.id"))
    ref: Mapped[str] = mapped_column(String(64))
    parent_exhibit_id: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("exhibits.id"))
    next_child: Mapped[int] = mapped_column(Integer, default=1)
    producer: Mapped[str] = mapped_column(String(200))
    producer_key: Mapped[str] = mapped_column(String(250))
    description: Mapped[str | None] = mapped_column(Text)
    classification: Mapped[str] = mapped_column(String(32))
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_by: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("case_id", "ref"),
        Index("ix_exhibits_case_created", "case_id", "created_at"),
        Index("ix_exhibits_media", "media_id"),
    )
