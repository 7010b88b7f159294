"""Tables of the case file: people, form records and their versions, the unused material
register, shares with partners, and retention (outcomes, holds, decisions).

Record versions, prosecutor decisions and retention decisions are append-only: history is
never rewritten, only added to.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from exhibits.db.base import Base, IdColumn, UTCDateTime

APPEND_ONLY_TABLES = ("casefile_record_versions", "unused_decisions", "retention_decisions")


class CasePerson(Base):
    """A POLE person record and their part in one case (suspect, victim, witness...)."""

    __tablename__ = "case_people"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    case_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("cases.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    given_names: Mapped[str] = mapped_column(String(200))
    surname: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    occupation: Mapped[str | None] = mapped_column(String(200))
    identifiers: Mapped[dict] = mapped_column(JSON, default=dict)  # pnc_id, nino, cro...
    address: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    email: Mapped[str | None] = mapped_column(String(254))
    mopi_group: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_by: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseRecord(Base):
    """One form record (an MG11 statement, its reverse, the MG5, the MG6E...). Its content
    lives in versions; a signed or locked record never gets another version."""

    __tablename__ = "casefile_records"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    case_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("cases.id"))
    form: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(16))  # draft, signed, locked, superseded
    version: Mapped[int] = mapped_column(Integer)
    data_sha256: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("case_people.id"))
    linked_id: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("casefile_records.id"))
    supersedes_id: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("casefile_records.id"))
    signature: Mapped[dict | None] = mapped_column(JSON)  # who signed, when, what hash, how
    created_by: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_casefile_records_case_form", "case_id", "form"),)


class CaseRecordVersion(Base):
    __tablename__ = "casefile_record_versions"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    record_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("casefile_records.id"))
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)  # canonical JSON (RFC 8785)
    data_sha256: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("record_id", "version"),)


class UnusedItem(Base):
    """One item of relevant unused material, numbered consecutively across all schedules."""

    __tablename__ = "unused_items"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    case_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("cases.id"))
    item_no: Mapped[int] = mapped_column(Integer)
    schedule: Mapped[str] = mapped_column(String(8))  # MG6C or MG6D
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(300))
    exhibit_id: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("exhibits.id"))
    sha256: Mapped[str | None] = mapped_column(String(64))  # the content (original or derivative)
    record_id: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("casefile_records.id"))
    item_date: Mapped[datetime | None] = mapped_column(UTCDateTime())
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    sensitivity_reason: Mapped[str | None] = mapped_column(Text)
    presumption: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(String(8))  # latest prosecutor decision
    created_by: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("case_id", "item_no"),)


class UnusedDecision(Base):
    """A prosecutor's decision on an unused item; the history is the disclosure record."""

    __tablename__ = "unused_decisions"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    item_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("unused_items.id"), index=True)
    decision: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Share(Base):
    """Read-only access for one named partner (prosecutor or defence) to chosen material."""

    __tablename__ = "shares"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    case_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("cases.id"))
    partner_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    partner_role: Mapped[str] = mapped_column(String(16))
    organisation: Mapped[str | None] = mapped_column(String(200))
    allow_download: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("users.id"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_shares_partner_case", "partner_id", "case_id"),)


class ShareItem(Base):
    __tablename__ = "share_items"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    share_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("shares.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # exhibit, derivative, form
    exhibit_id: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("exhibits.id"))
    sha256: Mapped[str | None] = mapped_column(String(64))  # the exact content shared
    record_id: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("casefile_records.id"))
    form: Mapped[str | None] = mapped_column(String(8))  # a generated form: MG12, MG6C


class CaseOutcome(Base):
    """How a case ended: what the retention rules are keyed on."""

    __tablename__ = "case_outcomes"
    case_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("cases.id"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(32))
    outcome_date: Mapped[date] = mapped_column(Date)
    custodial: Mapped[bool] = mapped_column(Boolean, default=False)
    release_date: Mapped[date | None] = mapped_column(Date)
    offence_group: Mapped[int | None] = mapped_column(Integer)  # MoPI group 1-4
    recorded_by: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RetentionHold(Base):
    """Appeal, CCRC review, IOPC complaint, civil claim or inquest: blocks disposal."""

    __tablename__ = "retention_holds"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    case_id: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("cases.id"), index=True)
    media_id: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("media.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lifted_by: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("users.id"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lift_reason: Mapped[str | None] = mapped_column(Text)


class RetentionDecision(Base):
    """A supervisor's review decision (retain until a date, or dispose) with reasons."""

    __tablename__ = "retention_decisions"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    subject: Mapped[str] = mapped_column(String(16))  # media, exhibit, person
    subject_id: Mapped[str] = mapped_column(IdColumn(), index=True)
    case_id: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("cases.id"))
    decision: Mapped[str] = mapped_column(String(16))  # retain, dispose
    retain_until: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    authority: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
