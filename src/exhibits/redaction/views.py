"""Read models of redaction sets, items and renders: plain data for any adapter."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from exhibits.clock import iso_utc
from exhibits.evidence.models import Case, Exhibit
from exhibits.redaction.models import RedactionItem, RedactionRender, RedactionSet


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class ItemView:
    number: int
    kind: str
    state: str
    reason: str
    note: str | None
    geometry: dict[str, Any]
    source: str
    score: float | None
    created_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    version: int

    @classmethod
    def of(cls, row: RedactionItem) -> ItemView:
        return cls(
            row.number,
            row.kind,
            row.state,
            row.reason,
            row.note,
            row.geometry,
            row.source,
            row.score,
            row.created_by,
            row.created_at,
            row.decided_by,
            row.decided_at,
            row.version,
        )

    def as_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))

    def summary(self) -> str:
        g = self.geometry
        if self.kind == "track":
            return f"{g['shape']} {g['start']:.2f}-{g['end']:.2f}s, {len(g['keyframes'])} keyframes"
        if self.kind == "region":
            where = f"page {g['page']} " if g.get("page") else ""
            return f"{where}{g['shape']} " + ",".join(f"{v:.3f}" for v in g["box"])
        if self.kind == "audio":
            return f"{g['effect']} {g['start']:.2f}-{g['end']:.2f}s"
        if self.kind == "text":
            return f"page {g['page']}: {g['text']!r} ({len(g['boxes'])} boxes)"
        return "reviewed, not redacted"


@dataclass(frozen=True)
class RenderView:
    id: str
    set_id: str
    version: int
    digest: str
    parent_sha256: str
    sha256: str
    mime_type: str
    report_json_sha256: str
    report_pdf_sha256: str
    tool: str
    tool_version: str
    params: dict[str, Any]
    at: datetime

    @classmethod
    def of(cls, row: RedactionRender) -> RenderView:
        return cls(
            row.id,
            row.set_id,
            row.version,
            row.digest,
            row.parent_sha256,
            row.sha256,
            row.mime_type,
            row.report_json_sha256,
            row.report_pdf_sha256,
            row.tool,
            row.tool_version,
            row.params,
            row.at,
        )

    def as_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class SetView:
    id: str
    case_id: str
    case_ref: str
    exhibit_id: str
    exhibit_ref: str
    sha256: str
    media_kind: str
    purpose: str
    version: int
    digest: str | None
    created_at: datetime
    updated_at: datetime
    items: list[ItemView] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    renders: list[RenderView] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        found: RedactionSet,
        case: Case,
        exhibit: Exhibit,
        digest: str | None,
        items: list[ItemView],
        counts: dict[str, Any],
        renders: list[RenderView],
    ) -> SetView:
        return cls(
            found.id,
            case.id,
            case.crime_ref,
            exhibit.id,
            exhibit.ref,
            found.sha256,
            found.media_kind,
            found.purpose,
            found.version,
            digest,
            found.created_at,
            found.updated_at,
            items,
            counts,
            renders,
        )

    def as_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))
