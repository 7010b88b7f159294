"""What analysis keeps: machine outputs (by content) and people's corrections (by exhibit).

Machine outputs are keyed like the pipeline's jobs, by content, processor, version and
parameters, so identical footage in two cases is analysed once. A correction belongs to
one exhibit, never to the shared content, so nothing a person writes leaks into another
case. Both tables are append-only: a correction is a new revision, and the machine
version it corrected stays, disclosable beside it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exhibits.db.base import Base, IdColumn, UTCDateTime


class AnalysisResult(Base):
    """Facts one processor version produced from one piece of content."""

    __tablename__ = "analysis_results"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), ForeignKey("blobs.sha256"))
    processor: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    params_hash: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict] = mapped_column(JSON)
    facts: Mapped[dict] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("sha256", "processor", "version", "params_hash"),
        Index("ix_analysis_results_sha256_processor", "sha256", "processor", "recorded_at"),
    )


class AnalysisRevision(Base):
    """A person's correction of a transcript or an entity list, for one exhibit."""

    __tablename__ = "analysis_revisions"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    exhibit_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("exhibits.id"))
    case_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(16))  # transcript, entities
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per exhibit and kind
    machine_result_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("analysis_results.id"))
    body: Mapped[dict] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("exhibit_id", "kind", "number"),)
