"""Processing records: jobs (the source of truth for what has run), and machine outputs.

Everything here is keyed by content (SHA-256), never by exhibit: identical footage in two
cases is processed once, and nothing a person adds to one case lives here. Facts,
derivatives and container members are append-only; a new processor version adds rows
beside the old ones, which stay for the record.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
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


class JobStatus(StrEnum):
    PENDING = "pending"  # waiting to be claimed (and for its dependencies)
    RUNNING = "running"  # claimed by a worker holding a lease
    DONE = "done"  # outputs recorded (possibly with warnings: a partial result)
    FAILED = "failed"  # gave up, with a reason a person can read
    SKIPPED = "skipped"  # did not apply after all (no audio track, not a media file)


FINISHED = (JobStatus.DONE, JobStatus.FAILED, JobStatus.SKIPPED)


class Job(Base):
    """One processor run on one content: (sha256, processor, version, parameters)."""

    __tablename__ = "processing_jobs"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), ForeignKey("blobs.sha256"))
    processor: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    params_hash: Mapped[str] = mapped_column(String(16))
    mime_type: Mapped[str] = mapped_column(String(128))
    queue: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer, default=0)  # higher runs first
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # dependencies met (sent then)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())  # retry back-off
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    run_seconds: Mapped[float | None] = mapped_column(Float)  # the processor's own time
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_token: Mapped[str | None] = mapped_column(String(32))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    requested_by: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("users.id"))

    __table_args__ = (
        UniqueConstraint("sha256", "processor", "version", "params_hash"),
        Index("ix_processing_jobs_sha256", "sha256"),
    )


# Jobs of one status in the order claims take them (jobs.claim), so a claim reads a few rows.
Index("ix_processing_jobs_claim", Job.status, Job.priority.desc(), Job.created_at, Job.id)


class JobDependency(Base):
    """``job_id`` may run only once ``depends_on`` is done."""

    __tablename__ = "processing_job_dependencies"
    job_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("processing_jobs.id"), primary_key=True)
    depends_on: Mapped[str] = mapped_column(IdColumn(), ForeignKey("processing_jobs.id"), primary_key=True)

    __table_args__ = (Index("ix_processing_job_dependencies_depends_on", "depends_on"),)


class ContentFacts(Base):
    """What one processor run found out about content (metadata, text statistics...)."""

    __tablename__ = "content_facts"
    job_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("processing_jobs.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), ForeignKey("blobs.sha256"))
    processor: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    params_hash: Mapped[str] = mapped_column(String(16))
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_content_facts_sha256", "sha256", "processor"),)


class DerivativeRecord(Base):
    """New content made from other content: its parent, and the tool, version and parameters."""

    __tablename__ = "derivatives"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    parent_sha256: Mapped[str] = mapped_column(String(64), ForeignKey("blobs.sha256"))
    output_sha256: Mapped[str] = mapped_column(String(64), ForeignKey("blobs.sha256"))
    kind: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200), default="")
    mime_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    processor: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    params_hash: Mapped[str] = mapped_column(String(16))
    job_id: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("processing_jobs.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_derivatives_parent", "parent_sha256", "kind"),
        Index("ix_derivatives_output", "output_sha256"),
        Index("ix_derivatives_job", "job_id"),
    )


class ContentMember(Base):
    """An item a container held (archive member, email attachment), as content."""

    __tablename__ = "content_members"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    parent_sha256: Mapped[str] = mapped_column(String(64), ForeignKey("blobs.sha256"))
    member_sha256: Mapped[str] = mapped_column(String(64), ForeignKey("blobs.sha256"))
    member_path: Mapped[str] = mapped_column(Text)  # untrusted text, never used as a path
    position: Mapped[int] = mapped_column(Integer)
    processor: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    job_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("processing_jobs.id"))
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("job_id", "position"),
        Index("ix_content_members_parent", "parent_sha256"),
    )
