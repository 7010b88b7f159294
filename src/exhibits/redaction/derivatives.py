"""Where a rendered redaction is stored and found: the one place to switch to the pipeline's
derivatives table when it lands.

Today a render is three blobs in the vault's content store (the redacted file and its
report as JSON and PDF), a ``blobs`` row each (so ``exhibits verify`` re-hashes them), a
``redaction_renders`` row naming parent hash, set version, tool and version, and one
``redaction.render`` continuity event in the same unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from exhibits.custody.events import EventClass
from exhibits.db.writer import WriteContext
from exhibits.evidence.models import Blob
from exhibits.ids import new_id
from exhibits.redaction.models import RedactionRender
from exhibits.storage import IngestResult

if TYPE_CHECKING:
    from exhibits.access.principal import Principal
    from exhibits.vault import Vault

RENDER_ACTION = "redaction.render"


@dataclass(frozen=True)
class StoredFile:
    path: Path
    mime_type: str


def store_file(vault: Vault, path: Path) -> IngestResult:
    """Put a rendered file into the content store (slow work: before the unit of work)."""
    with path.open("rb") as handle:
        return vault.blobs.ingest(handle, limit=vault.settings.max_ingest_bytes)


def _ensure_blob(session: Session, stored: IngestResult, mime_type: str, now) -> None:
    blob = session.get(Blob, stored.sha256)
    if blob is None:
        session.add(Blob(sha256=stored.sha256, size=stored.size, mime_type=mime_type, stored_at=now))
    elif blob.disposed_at is not None:
        blob.disposed_at = None
        blob.disposal_seq = None
        blob.stored_at = now


def record_render(
    vault: Vault,
    ctx: WriteContext,
    principal: Principal,
    *,
    set_id: str,
    version: int,
    digest: str,
    case_id: str,
    exhibit_id: str,
    parent_sha256: str,
    output: tuple[IngestResult, str],
    report_json: IngestResult,
    report_pdf: IngestResult,
    tool: str,
    tool_version: str,
    params: dict[str, Any],
    details: dict[str, Any],
) -> RedactionRender:
    session = ctx.session
    now = vault.now()
    stored, mime_type = output
    _ensure_blob(session, stored, mime_type, now)
    _ensure_blob(session, report_json, "application/json", now)
    _ensure_blob(session, report_pdf, "application/pdf", now)
    session.flush()
    row = RedactionRender(
        id=new_id(),
        set_id=set_id,
        version=version,
        digest=digest,
        case_id=case_id,
        exhibit_id=exhibit_id,
        parent_sha256=parent_sha256,
        sha256=stored.sha256,
        mime_type=mime_type,
        report_json_sha256=report_json.sha256,
        report_pdf_sha256=report_pdf.sha256,
        tool=tool,
        tool_version=tool_version,
        params=params,
        actor_id=principal.user_id,
        at=now,
    )
    session.add(row)
    vault.record(
        ctx,
        principal,
        RENDER_ACTION,
        EventClass.CONTINUITY,
        case_id=case_id,
        exhibit_id=exhibit_id,
        sha256=stored.sha256,
        inputs=[parent_sha256],
        outputs=[stored.sha256, report_json.sha256, report_pdf.sha256],
        details={
            "kind": "redacted",
            "render": row.id,
            "set": set_id,
            "set_version": version,
            "set_digest": digest,
            "parent_sha256": parent_sha256,
            "mime_type": mime_type,
            "size": stored.size,
            "report_json": report_json.sha256,
            "report_pdf": report_pdf.sha256,
            "tool": tool,
            "tool_version": tool_version,
            **details,
        },
    )
    return row


@dataclass(frozen=True)
class DerivativeMatch:
    sha256: str
    mime_type: str
    exhibit_id: str
    label: str  # what it is, for messages and the log


def find_derivatives(session: Session, case_id: str, sha_prefix: str) -> list[DerivativeMatch]:
    """Derivatives of a case's exhibits whose hash starts with ``sha_prefix``."""
    rows = session.scalars(
        select(RedactionRender).where(
            RedactionRender.case_id == case_id,
            or_(
                RedactionRender.sha256.startswith(sha_prefix),
                RedactionRender.report_json_sha256.startswith(sha_prefix),
                RedactionRender.report_pdf_sha256.startswith(sha_prefix),
            ),
        )
    )
    found: dict[str, DerivativeMatch] = {}
    for row in rows:
        for sha, mime, label in (
            (row.sha256, row.mime_type, f"redacted copy (set {row.set_id[:8]} v{row.version})"),
            (
                row.report_json_sha256,
                "application/json",
                f"redaction report (set {row.set_id[:8]} v{row.version})",
            ),
            (
                row.report_pdf_sha256,
                "application/pdf",
                f"redaction report (set {row.set_id[:8]} v{row.version})",
            ),
        ):
            if sha.startswith(sha_prefix):
                found[sha] = DerivativeMatch(sha, mime, row.exhibit_id, label)
    return list(found.values())
