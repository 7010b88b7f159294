"""Read models returned by the evidence service: plain, immutable, safe to hand to any adapter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from exhibits.clock import iso_utc
from exhibits.evidence.models import Blob, Case, Exhibit, Media


class _View:
    def as_dict(self) -> dict[str, Any]:
        # Shallow: views hold plain values only, and asdict's deep copy of each was the
        # largest cost of a page of 50. A dataclass's __dict__ keeps its fields' order.
        values = dict(vars(self))
        for name, value in values.items():
            if isinstance(value, datetime):
                values[name] = iso_utc(value)
        return values


@dataclass(frozen=True)
class CaseView(_View):
    id: str
    crime_ref: str
    force_code: str
    urn: str | None
    title: str
    status: str
    classification: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, case: Case) -> CaseView:
        return cls(
            case.id,
            case.crime_ref,
            case.force_code,
            case.urn,
            case.title,
            case.status,
            case.classification,
            case.created_at,
            case.updated_at,
        )


@dataclass(frozen=True)
class MediaView(_View):
    id: str
    sha256: str
    size: int
    mime_type: str
    original_name: str | None
    source: str
    device_id: str | None
    incident_ref: str | None
    officer: str | None
    captured_at: datetime | None
    clock_offset_seconds: float | None
    ingested_at: datetime
    review_after: datetime | None
    status: str
    disposed: bool

    @classmethod
    def of(cls, media: Media, blob: Blob) -> MediaView:
        return cls(
            media.id,
            media.sha256,
            blob.size,
            blob.mime_type,
            media.original_name,
            media.source,
            media.device_id,
            media.incident_ref,
            media.officer,
            media.captured_at,
            media.clock_offset_seconds,
            media.ingested_at,
            media.review_after,
            media.status,
            blob.disposed_at is not None,
        )


@dataclass(frozen=True)
class ExhibitView(_View):
    id: str
    case_id: str
    ref: str
    media_id: str
    parent_exhibit_id: str | None
    producer: str
    description: str | None
    classification: str
    restricted: bool
    status: str
    created_at: datetime
    sha256: str
    size: int
    mime_type: str
    original_name: str | None
    source: str
    captured_at: datetime | None
    clock_offset_seconds: float | None
    captured_by: str | None
    device_id: str | None

    @classmethod
    def of(cls, exhibit: Exhibit, media: Media, blob: Blob) -> ExhibitView:
        return cls(
            exhibit.id,
            exhibit.case_id,
            exhibit.ref,
            media.id,
            exhibit.parent_exhibit_id,
            exhibit.producer,
            exhibit.description,
            exhibit.classification,
            exhibit.restricted,
            exhibit.status,
            exhibit.created_at,
            blob.sha256,
            blob.size,
            blob.mime_type,
            media.original_name,
            media.source,
            media.captured_at,
            media.clock_offset_seconds,
            media.captured_by,
            media.device_id,
        )


@dataclass(frozen=True)
class IngestOutcome(_View):
    sha256: str
    size: int
    mime_type: str
    media_id: str
    exhibit_id: str | None
    ref: str | None
    duplicate_content: bool  # the same bytes were already in the vault
