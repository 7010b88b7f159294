"""An upload in progress. Its bytes live in the vault's tmp area, never as evidence, until the
last byte has arrived and the whole file has been ingested through the evidence service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exhibits.db.base import Base, IdColumn, UTCDateTime


class Upload(Base):
    __tablename__ = "uploads"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    user_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    length: Mapped[int] = mapped_column(BigInteger)
    metadata_: Mapped[dict] = mapped_column("metadata", JSON, default=dict)  # Upload-Metadata, decoded
    status: Mapped[str] = mapped_column(String(16))  # receiving, complete, failed, terminated, expired
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sha256: Mapped[str | None] = mapped_column(String(64))
    media_id: Mapped[str | None] = mapped_column(IdColumn())
    exhibit_id: Mapped[str | None] = mapped_column(IdColumn())
    ref: Mapped[str | None] = mapped_column(String(64))
    problem: Mapped[str | None] = mapped_column(Text)  # why it failed, as told to the uploader

    __table_args__ = (
        Index("ix_uploads_status_expires", "status", "expires_at"),
        Index("ix_uploads_user", "user_id"),
    )
