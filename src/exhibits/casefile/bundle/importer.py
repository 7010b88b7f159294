"""Import another force's bundle: a new case whose exhibits keep their provenance.

The bundle is verified first (files, proofs, and a checkpoint signed by a key the user
trusts); a bundle that fails changes nothing. Content is stored before the single unit of
work that creates the case, its exhibits and the ``bundle.import`` event, so the records
appear all at once or not at all. The other force's custody history is kept as exhibits
(its events, proofs, checkpoint and graph), and the import event names their hashes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from exhibits.access.models import CaseAssignment
from exhibits.access.permissions import Assignment, Permission
from exhibits.access.principal import Principal
from exhibits.casefile.bundle.bag import BagError
from exhibits.casefile.bundle.verify import (
    CHECKPOINT,
    EVENTS,
    GRAPH,
    PROOFS,
    SUMMARY,
    VERIFIED,
    open_bundle,
    verify_bag,
)
from exhibits.custody.events import EventClass
from exhibits.db.writer import WriteContext
from exhibits.errors import Conflict, InvalidInput
from exhibits.evidence import domain, refs
from exhibits.evidence.models import Case, Media
from exhibits.evidence.sniff import sniff_mime
from exhibits.ids import new_id

if TYPE_CHECKING:
    from exhibits.vault import Vault

HISTORY_FILES = {
    EVENTS: "Custody events (log leaves) from the exporting force",
    PROOFS: "Inclusion proofs of those events",
    CHECKPOINT: "The exporting force's signed log checkpoint",
    GRAPH: "CASE/UCO description of the bundle",
    SUMMARY: "The bundle's summary",
}


def import_bundle(
    vault: Vault,
    principal: Principal,
    path: Path,
    *,
    crime_ref: str | None,
    trusted_keys: list[str],
    producer: str | None,
) -> dict[str, Any]:
    principal.require(Permission.CASE_CREATE)
    with tempfile.TemporaryDirectory(prefix="exhibits-import-", dir=vault.settings.tmp_dir) as scratch:
        try:
            root = open_bundle(path, Path(scratch))
        except BagError as exc:
            raise InvalidInput(f"bundle refused: {exc}") from None
        report = verify_bag(root, trusted_keys)
        if report.status != VERIFIED:
            reasons = report.problems or [report.trust_problem or "not verified"]
            raise InvalidInput("bundle refused, nothing was imported: " + "; ".join(reasons))
        summary = report.summary
        source_force = str(summary.get("force") or "another force")
        reference = domain.validate_crime_ref(crime_ref or str(summary.get("crime_ref") or ""))
        title = domain.validate_title(
            f"{summary.get('title') or 'Imported case'} (imported from {source_force})"
        )
        marking = domain.parse_classification(summary.get("classification"))
        who = refs.parse_producer(producer or f"{principal.name} ({principal.collar})")
        files = [f for f in summary.get("files", []) if f.get("role") in ("original", "derivative", "form")]
        stored: dict[str, tuple[Any, str]] = {}
        for item in [*files, *({"path": name} for name in HISTORY_FILES)]:
            with open(root / item["path"], "rb") as handle:
                result = vault.blobs.ingest(handle, limit=vault.settings.max_ingest_bytes)
            if item.get("sha256") and result.sha256 != item["sha256"]:
                raise InvalidInput(f"bundle refused: {item['path']} changed while it was read")
            stored[item["path"]] = (result, sniff_mime(result.head))
        checkpoint = (root / CHECKPOINT).read_text()
        signer = report.signer

    force = vault.settings.force_code
    evidence = vault.evidence

    def work(ctx: WriteContext) -> dict[str, Any]:
        session = ctx.session
        if session.scalar(select(Case.id).where(Case.force_code == force, Case.crime_ref == reference)):
            raise Conflict(f"case {reference} already exists: give another --crime-ref")
        urn = summary.get("urn")
        if urn and session.scalar(select(Case.id).where(Case.urn == urn)):
            urn = None  # the URN belongs to a case here already; keep it in the provenance only
        now = vault.now()
        case = Case(
            id=new_id(),
            force_code=force,
            crime_ref=reference,
            urn=urn,
            title=title,
            status=domain.CaseStatus.OPEN,
            classification=marking,
            created_by=principal.user_id,
            created_at=now,
            updated_at=now,
        )
        session.add(case)
        session.flush()
        session.add(
            CaseAssignment(
                id=new_id(),
                case_id=case.id,
                user_id=principal.user_id,
                role=Assignment.OFFICER_IN_CHARGE,
                granted_by=principal.user_id,
                granted_at=now,
            )
        )
        by_sha: dict[str, Any] = {}
        created = []
        ordered = sorted(files, key=lambda f: {"original": 0, "derivative": 1, "form": 2}[f["role"]])
        items = [
            *ordered,
            *({"path": n, "role": "history", "description": d} for n, d in HISTORY_FILES.items()),
        ]
        for item in items:
            result, mime = stored[item["path"]]
            evidence._ensure_blob(session, result, mime, now)
            provenance = {
                k: item.get(k)
                for k in ("path", "role", "exhibit_ref", "parent_sha256", "kind", "tool", "tool_version")
            }
            provenance.update(
                {
                    "source_force": source_force,
                    "source_case": summary.get("crime_ref"),
                    "source_urn": summary.get("urn"),
                    "source_log": summary.get("log_origin"),
                }
            )
            description = item.get("description") or (
                f"{item['role']} {item.get('exhibit_ref') or item['path']} from {source_force}"
                + (
                    f" ({item.get('kind')} by {item.get('tool')} {item.get('tool_version')})"
                    if item.get("kind")
                    else ""
                )
            )
            media = Media(
                id=new_id(),
                sha256=result.sha256,
                original_name=item["path"],
                source="document" if item["role"] in ("form", "history") else "other",
                description=description,
                classification=marking,
                ingested_by=principal.user_id,
                ingested_at=now,
                status="active",
                extra={"imported": provenance},
            )
            session.add(media)
            session.flush()
            parent = by_sha.get(item.get("parent_sha256") or "")
            exhibit = evidence.new_exhibit(
                session, principal, case.id, media, who, description, marking, parent=parent
            )
            by_sha.setdefault(result.sha256, exhibit)
            created.append((exhibit, media, result, item))
        for exhibit, media, result, item in created:
            vault.record(
                ctx,
                principal,
                "exhibit.import",
                EventClass.CONTINUITY,
                case_id=case.id,
                exhibit_id=exhibit.id,
                media_id=media.id,
                sha256=result.sha256,
                outputs=[result.sha256],
                inputs=[item["parent_sha256"]] if item.get("parent_sha256") else [],
                details={"ref": exhibit.ref, "source": media.extra["imported"], "size": result.size},
            )
        vault.record(
            ctx,
            principal,
            "bundle.import",
            EventClass.CONTINUITY,
            case_id=case.id,
            outputs=sorted({r.sha256 for _, _, r, _ in created}),
            details={
                "source_force": source_force,
                "source_case": summary.get("crime_ref"),
                "source_urn": summary.get("urn"),
                "recipient": summary.get("recipient"),
                "checkpoint": checkpoint,
                "signed_by": signer.vkey() if signer else None,
                "files_checked": report.files_checked,
                "events_checked": report.events_checked,
                "bundle": str(path),
            },
        )
        return {
            "case": reference,
            "case_id": case.id,
            "exhibits": [e.ref for e, _, _, _ in created],
            "events_verified": report.events_checked,
        }

    result = vault.write(work)
    principal.forget_assignments()
    return result
