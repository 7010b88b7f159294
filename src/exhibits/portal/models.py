"""Portal records. A submission is what one member of the public sends through one link; its
files are held as content (the blob store) but are not evidence until an officer accepts them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exhibits.db.base import Base, IdColumn, UTCDateTime


class PortalPage(Base):
    """A standing public page (e.g. dashcam reports): anyone may start a submission from it."""

    __tablename__ = "portal_pages"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    form: Mapped[str] = mapped_column(String(32))  # which question set
    title: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool]
    created_by: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PortalSubmission(Base):
    __tablename__ = "portal_submissions"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)  # told to the public
    form: Mapped[str] = mapped_column(String(32))
    appeal: Mapped[str | None] = mapped_column(String(300))  # what the officer asked for
    case_id: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("cases.id"))
    page_id: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("portal_pages.id"))
    requested_by: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("users.id"))
    # open (link made or page started), submitted, accepted, rejected, expired
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitter: Mapped[dict] = mapped_column(JSON, default=dict)  # identity and contact
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    declaration: Mapped[dict] = mapped_column(JSON, default=dict)
    offence_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # driving reports: NIP clock
    decided_by: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(Text)
    accepted_case_id: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("cases.id"))
    statement_id: Mapped[str | None] = mapped_column(IdColumn())  # the draft MG11

    __table_args__ = (Index("ix_portal_submissions_status", "status", "submitted_at"),)


class PortalToken(Base):
    """A secret that opens one submission (the link's token, or one minted for a short code).
    Only its SHA-256 is kept; every token of a submission dies when it is submitted."""

    __tablename__ = "portal_tokens"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    submission_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("portal_submissions.id"))
    kind: Mapped[str] = mapped_column(String(8))  # link, code
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_portal_tokens_submission", "submission_id"),)


class PortalFile(Base):
    """One file of a submission: partial bytes in the vault's tmp area while it arrives, then
    content in the blob store under its SHA-256."""

    __tablename__ = "portal_files"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    submission_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("portal_submissions.id"))
    original_name: Mapped[str | None] = mapped_column(Text)  # untrusted text
    length: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))  # receiving, complete, refused, removed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sha256: Mapped[str | None] = mapped_column(String(64))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    problem: Mapped[str | None] = mapped_column(Text)
    exhibit_id: Mapped[str | None] = mapped_column(IdColumn())
    ref: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_portal_files_submission", "submission_id"),)


class PortalCode(Base):
    """A short code (to read out or text) for a submission, kept as a SHA-256."""

    __tablename__ = "portal_codes"
    code_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    submission_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("portal_submissions.id"))
