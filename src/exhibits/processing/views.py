"""Read models of processing state, safe to hand to any adapter (CLI, API)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from exhibits.clock import iso_utc
from exhibits.processing.models import ContentMember, DerivativeRecord, Job


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class JobView:
    id: str
    sha256: str
    processor: str
    version: str
    params: dict[str, Any]
    mime_type: str
    queue: str
    status: str
    attempts: int
    error: str | None
    warnings: list[str]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    run_seconds: float | None
    lease_owner: str | None
    refs: list[str] = field(default_factory=list)  # exhibits holding the content, where visible

    @classmethod
    def of(cls, job: Job, refs: list[str] | None = None) -> JobView:
        return cls(
            job.id, job.sha256, job.processor, job.version, dict(job.params or {}), job.mime_type, job.queue,
            job.status, job.attempts, job.error, list(job.warnings or []), job.created_at, job.started_at,
            job.finished_at, job.run_seconds, job.lease_owner, refs or [],
        )  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class DerivativeView:
    sha256: str
    parent_sha256: str
    kind: str
    label: str
    mime_type: str
    size: int
    processor: str
    version: str
    params: dict[str, Any]
    facts: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, row: DerivativeRecord) -> DerivativeView:
        return cls(
            row.output_sha256, row.parent_sha256, row.kind, row.label, row.mime_type, row.size, row.processor,
            row.version, dict(row.params or {}), dict(row.facts or {}), row.created_at,
        )  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class MemberView:
    sha256: str
    member_path: str
    position: int
    processor: str
    facts: dict[str, Any]

    @classmethod
    def of(cls, row: ContentMember) -> MemberView:
        return cls(row.member_sha256, row.member_path, row.position, row.processor, dict(row.facts or {}))

    def as_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class ProcessingStateView:
    """Everything the pipeline knows about one exhibit's content (the API's
    ``/api/v1/exhibits/{id}/processing``)."""

    exhibit_id: str
    ref: str
    sha256: str
    mime_type: str
    state: str  # none, processing, done, partial (done with warnings), failed
    jobs: list[JobView]
    facts: dict[str, dict[str, Any]]  # processor -> facts, current versions
    derivatives: list[DerivativeView]
    members: list[MemberView]

    def as_dict(self) -> dict[str, Any]:
        return {
            "exhibit_id": self.exhibit_id,
            "ref": self.ref,
            "sha256": self.sha256,
            "mime_type": self.mime_type,
            "state": self.state,
            "jobs": [j.as_dict() for j in self.jobs],
            "facts": _jsonable(self.facts),
            "derivatives": [d.as_dict() for d in self.derivatives],
            "members": [m.as_dict() for m in self.members],
        }


def overall_state(jobs: list[JobView]) -> str:
    if not jobs:
        return "none"
    statuses = {j.status for j in jobs}
    if statuses & {"pending", "running"}:
        return "processing"
    if "failed" in statuses:
        return "failed"
    if any(j.warnings for j in jobs):
        return "partial"
    return "done"
