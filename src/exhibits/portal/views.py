"""Plain views of portal records for adapters (API, pages, CLI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from exhibits.clock import iso_utc
from exhibits.portal import forms
from exhibits.portal.models import PortalFile, PortalSubmission


@dataclass(frozen=True)
class FileView:
    id: str
    name: str | None
    length: int
    offset: int
    status: str
    sha256: str | None
    mime_type: str | None
    problem: str | None
    ref: str | None
    exhibit_id: str | None

    @classmethod
    def of(cls, row: PortalFile, offset: int) -> FileView:
        return cls(
            row.id,
            row.original_name,
            row.length,
            offset,
            row.status,
            row.sha256,
            row.mime_type,
            row.problem,
            row.ref,
            row.exhibit_id,
        )

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SubmissionView:
    id: str
    reference: str
    form: str
    appeal: str | None
    case_id: str | None
    status: str
    created_at: datetime
    expires_at: datetime
    submitted_at: datetime | None
    offence_at: datetime | None
    nip_deadline: datetime | None
    files: list[FileView]
    submitter: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    declaration: dict[str, Any] = field(default_factory=dict)
    vrm_note: str | None = None
    decision_reason: str | None = None
    accepted_case_id: str | None = None
    statement_id: str | None = None

    @classmethod
    def of(cls, row: PortalSubmission, files: list[FileView], *, full: bool = True) -> SubmissionView:
        answers = dict(row.answers or {})
        return cls(
            row.id,
            row.reference,
            row.form,
            row.appeal,
            row.case_id,
            row.status,
            row.created_at,
            row.expires_at,
            row.submitted_at,
            row.offence_at,
            forms.nip_deadline(row.offence_at),
            files,
            dict(row.submitter or {}) if full else {},
            answers,
            dict(row.declaration or {}) if full else {},
            forms.vrm_note(answers["vrm"]) if answers.get("vrm") else None,
            row.decision_reason,
            row.accepted_case_id,
            row.statement_id,
        )

    def nip_left(self, now: datetime) -> float | None:
        """Seconds left to serve a Notice of Intended Prosecution (negative: too late)."""
        return (self.nip_deadline - now).total_seconds() if self.nip_deadline else None

    def as_dict(self, now: datetime | None = None) -> dict[str, Any]:
        out = {
            "id": self.id,
            "reference": self.reference,
            "form": self.form,
            "appeal": self.appeal,
            "case_id": self.case_id,
            "status": self.status,
            "created_at": iso_utc(self.created_at),
            "expires_at": iso_utc(self.expires_at),
            "submitted_at": iso_utc(self.submitted_at) if self.submitted_at else None,
            "offence_at": iso_utc(self.offence_at) if self.offence_at else None,
            "nip_deadline": iso_utc(self.nip_deadline) if self.nip_deadline else None,
            "files": [f.as_dict() for f in self.files],
            "submitter": self.submitter,
            "answers": self.answers,
            "declaration": self.declaration,
            "vrm_note": self.vrm_note,
            "decision_reason": self.decision_reason,
            "accepted_case_id": self.accepted_case_id,
            "statement_id": self.statement_id,
        }
        if now is not None and self.nip_deadline is not None:
            out["nip_seconds_left"] = int(self.nip_left(now) or 0)
        return out

    def public_dict(self) -> dict[str, Any]:
        """What the member of the public sees of their own, unsubmitted, submission."""
        return {
            "reference": self.reference,
            "form": self.form,
            "appeal": self.appeal,
            "expires_at": iso_utc(self.expires_at),
            "answers": self.answers,
            "submitter": self.submitter,
            "files": [
                {k: v for k, v in f.as_dict().items() if k not in ("ref", "exhibit_id")} for f in self.files
            ],
        }


@dataclass(frozen=True)
class Receipt:
    reference: str
    submitted_at: datetime
    files: list[tuple[str | None, int, str]]  # name, size, SHA-256

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "submitted_at": iso_utc(self.submitted_at),
            "files": [{"name": n, "size": s, "sha256": h} for n, s, h in self.files],
        }
