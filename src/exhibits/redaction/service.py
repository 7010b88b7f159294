"""Redaction use-cases: propose, review, adjust, render. Every method authorises and logs.

Detection and rendering are slow and happen before the unit of work; the unit of work only
records the outcome (new items, a new set version, a render) with its custody event.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exhibits import __version__
from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.custody.events import EventClass
from exhibits.db.writer import WriteContext
from exhibits.errors import Conflict, InvalidInput, NotFound
from exhibits.evidence.models import Blob, Case, Exhibit, Media
from exhibits.ids import is_hex_prefix, new_id
from exhibits.redaction import derivatives
from exhibits.redaction.domain import (
    KINDS_FOR_MEDIA,
    Box,
    ItemKind,
    ItemState,
    MediaKind,
    Track,
    digest,
    media_kind_of,
    normalise_reason,
    validate_geometry,
)
from exhibits.redaction.models import (
    RedactionItem,
    RedactionItemRevision,
    RedactionRender,
    RedactionSet,
    RedactionSetVersion,
)
from exhibits.redaction.settings import RedactionSettings
from exhibits.redaction.views import ItemView, RenderView, SetView

if TYPE_CHECKING:
    from exhibits.vault import Vault

TOOL = "exhibits-redaction"


@dataclass
class Proposal:
    """An item a detector (or a person, through a tool) proposes."""

    kind: ItemKind
    reason: str
    geometry: dict[str, Any]
    source: str
    score: float | None = None
    note: str | None = None
    state: ItemState = ItemState.PROPOSED


@dataclass
class ProposalInputs:
    """What detection may draw on besides the content itself.

    Facts follow the analysis processors' shapes: transcription ``{"segments": [...]}``,
    entities ``{"entities": [...]}``, OCR ``{"pages": [...]}``. ``terms`` are words or
    phrases a person asked for (names, a phone number...).
    """

    transcript: dict[str, Any] | None = None
    entities: dict[str, Any] | None = None
    ocr: dict[str, Any] | None = None
    terms: list[str] = field(default_factory=list)
    entity_types: list[str] | None = None  # which entity types to redact (None: the default list)
    audio_effect: str = "bleep"


@dataclass
class DetectionOutcome:
    proposals: list[Proposal]
    facts: dict[str, Any] = field(default_factory=dict)  # e.g. plate reads, for entity extraction
    warnings: list[str] = field(default_factory=list)


class RedactionService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    @property
    def settings(self) -> RedactionSettings:
        return self.vault.settings.section("redaction", RedactionSettings)

    # --- finding things ------------------------------------------------------------------

    def _exhibit(
        self, session: Session, principal: Principal, case_key: str, ref: str
    ) -> tuple[Exhibit, Blob]:
        case = self.vault.evidence.find_case(session, principal, case_key)
        exhibit = self.vault.evidence.find_exhibit(session, principal, case, ref)
        media = session.get(Media, exhibit.media_id)
        assert media is not None
        blob = session.get(Blob, media.sha256)
        assert blob is not None
        return exhibit, blob

    def _set(self, session: Session, principal: Principal, key: str, permission: Permission) -> RedactionSet:
        key = key.strip().lower()
        if not is_hex_prefix(key, minimum=6):
            raise InvalidInput("give a redaction set id (at least 6 hex digits)")
        matches = list(session.scalars(select(RedactionSet).where(RedactionSet.id.startswith(key)).limit(5)))
        visible = [m for m in matches if principal.assignments(session, m.case_id)]
        if not visible:
            raise NotFound(f"no redaction set {key}, or you are not assigned to its case")
        if len(visible) > 1:
            raise InvalidInput(f"{key} matches several redaction sets: give more digits")
        found = visible[0]
        principal.require(permission, session, found.case_id)
        return found

    def list_sets(self, principal: Principal, case_key: str, ref: str | None = None) -> list[SetView]:
        with self.vault.reading() as session:
            case = self.vault.evidence.find_case(session, principal, case_key)
            principal.require(Permission.EXHIBIT_READ, session, case.id)
            query = select(RedactionSet).where(RedactionSet.case_id == case.id)
            if ref:
                exhibit = self.vault.evidence.find_exhibit(session, principal, case, ref)
                query = query.where(RedactionSet.exhibit_id == exhibit.id)
            views = [
                self._view(session, s, items=False)
                for s in session.scalars(query.order_by(RedactionSet.created_at))
            ]
            case_id = case.id  # read inside the session: the row is expired once it closes
        self.vault.consulted(principal, "redaction.list", case_id=case_id, details={"count": len(views)})
        return views

    def show(self, principal: Principal, set_key: str) -> SetView:
        with self.vault.reading() as session:
            found = self._set(session, principal, set_key, Permission.EXHIBIT_READ)
            view = self._view(session, found, items=True)
        self.vault.consulted(
            principal,
            "redaction.view",
            case_id=view.case_id,
            exhibit_id=view.exhibit_id,
            details={"set": view.id, "version": view.version},
        )
        return view

    def _view(self, session: Session, found: RedactionSet, *, items: bool) -> SetView:
        exhibit = session.get(Exhibit, found.exhibit_id)
        case = session.get(Case, found.case_id)
        assert exhibit is not None and case is not None
        rows = list(
            session.scalars(
                select(RedactionItem).where(RedactionItem.set_id == found.id).order_by(RedactionItem.number)
            )
        )
        latest = session.scalar(
            select(RedactionSetVersion).where(
                RedactionSetVersion.set_id == found.id, RedactionSetVersion.version == found.version
            )
        )
        renders = list(
            session.scalars(
                select(RedactionRender).where(RedactionRender.set_id == found.id).order_by(RedactionRender.at)
            )
        )
        return SetView.of(
            found,
            case,
            exhibit,
            latest.digest if latest else None,
            [ItemView.of(r) for r in rows] if items else [],
            _counts(rows),
            [RenderView.of(r) for r in renders],
        )

    # --- creating and proposing ----------------------------------------------------------

    def create_set(self, principal: Principal, case_key: str, ref: str, purpose: str) -> SetView:
        purpose = (purpose or "").strip()
        if not purpose or len(purpose) > 200:
            raise InvalidInput("give the purpose of the redaction, e.g. 'CPS charging file' or 'defence'")
        with self.vault.reading() as session:
            exhibit, blob = self._exhibit(session, principal, case_key, ref)
            principal.require(Permission.REDACTION_EDIT, session, exhibit.case_id)
            kind = media_kind_of(blob.mime_type)
            exhibit_id, case_id, sha256 = exhibit.id, exhibit.case_id, blob.sha256

        def work(ctx: WriteContext) -> str:
            now = self.vault.now()
            found = RedactionSet(
                id=new_id(),
                case_id=case_id,
                exhibit_id=exhibit_id,
                sha256=sha256,
                media_kind=kind,
                purpose=purpose,
                version=0,
                next_item=1,
                created_by=principal.user_id,
                created_at=now,
                updated_at=now,
            )
            ctx.session.add(found)
            ctx.session.flush()
            self.vault.record(
                ctx,
                principal,
                "redaction.set.create",
                EventClass.CONTINUITY,
                case_id=case_id,
                exhibit_id=exhibit_id,
                sha256=sha256,
                inputs=[sha256],
                details={"set": found.id, "purpose": purpose, "media_kind": str(kind)},
            )
            self._new_version(ctx, principal, found, "created")
            return found.id

        set_id = self.vault.write(work)
        return self.show(principal, set_id)

    def propose(
        self,
        principal: Principal,
        set_key: str,
        detect: list[str],
        inputs: ProposalInputs | None = None,
        *,
        progress: Callable[[float], None] | None = None,
    ) -> tuple[SetView, DetectionOutcome]:
        """Run detectors over the original and add what they find as proposed items."""
        from exhibits.redaction.detection import run_detectors

        inputs = inputs or ProposalInputs()
        with self.vault.reading() as session:
            found = self._set(session, principal, set_key, Permission.REDACTION_EDIT)
            principal.require(Permission.EXHIBIT_CONTENT, session, found.case_id)
            set_id, sha256, kind = found.id, found.sha256, MediaKind(found.media_kind)
            exhibit = session.get(Exhibit, found.exhibit_id)
            assert exhibit is not None
            # Word timings, entities and OCR boxes from the analysis, unless given explicitly.
            analysed = self.vault.analysis.current_facts(session, exhibit, sha256)
            inputs = dataclasses.replace(
                inputs,
                transcript=inputs.transcript or analysed.get("transcript"),
                entities=inputs.entities or analysed.get("entities"),
                ocr=inputs.ocr or analysed.get("ocr"),
            )
        with self.original_file(sha256) as path:
            outcome = run_detectors(path, kind, detect, inputs, self.settings, progress=progress)
        change = f"proposed by {', '.join(detect)}: {len(outcome.proposals)} items"
        self._add_items(principal, set_id, outcome.proposals, change, {"detectors": list(detect)})
        return self.show(principal, set_id), outcome

    @contextlib.contextmanager
    def original_file(self, sha256: str) -> Iterator[Path]:
        """A local path to stored content (a temporary copy when the store is remote)."""
        local = self.vault.blobs.local_path(sha256)
        if local:
            yield Path(local)
            return
        with tempfile.TemporaryDirectory(dir=self.vault.settings.tmp_dir) as tmp:
            path = Path(tmp) / "original"
            with self.vault.blobs.open(sha256) as source, path.open("wb") as target:
                shutil.copyfileobj(source, target, 4 * 2**20)
            yield path

    def _add_items(
        self,
        principal: Principal,
        set_id: str,
        proposals: list[Proposal],
        change: str,
        details: dict[str, Any],
    ) -> list[int]:
        def work(ctx: WriteContext) -> list[int]:
            found = ctx.session.get(RedactionSet, set_id, with_for_update=True)
            assert found is not None
            allowed = KINDS_FOR_MEDIA[MediaKind(found.media_kind)]
            version = found.version + 1
            now = self.vault.now()
            numbers = []
            for proposal in proposals:
                if proposal.kind not in allowed:
                    raise InvalidInput(f"a {proposal.kind} item does not apply to {found.media_kind} content")
                item = RedactionItem(
                    set_id=set_id,
                    number=found.next_item,
                    kind=str(proposal.kind),
                    state=str(proposal.state),
                    reason=normalise_reason(proposal.reason),
                    note=proposal.note,
                    geometry=validate_geometry(proposal.kind, proposal.geometry),
                    source=proposal.source,
                    score=proposal.score,
                    created_by=principal.user_id,
                    created_at=now,
                    decided_by=principal.user_id if proposal.state != ItemState.PROPOSED else None,
                    decided_at=now if proposal.state != ItemState.PROPOSED else None,
                    version=version,
                )
                found.next_item += 1
                ctx.session.add(item)
                self._revise(ctx, item, principal, version)
                numbers.append(item.number)
            self._new_version(ctx, principal, found, change, {**details, "added": numbers})
            return numbers

        return self.vault.write(work)

    def add(
        self,
        principal: Principal,
        set_key: str,
        kind: ItemKind,
        geometry: dict[str, Any],
        reason: str,
        *,
        note: str | None = None,
        source: str = "user",
    ) -> ItemView:
        """A region, span or track drawn by a person: accepted by them as they make it."""
        kind = ItemKind(kind)  # a plain string would skip the geometry checks (they compare by identity)
        with self.vault.reading() as session:
            set_id = self._set(session, principal, set_key, Permission.REDACTION_EDIT).id
        proposal = Proposal(kind, reason, geometry, source, note=note, state=ItemState.ACCEPTED)
        (number,) = self._add_items(principal, set_id, [proposal], f"added {kind} by hand", {})
        return self.item(principal, set_id, number)

    def item(self, principal: Principal, set_key: str, number: int) -> ItemView:
        with self.vault.reading() as session:
            found = self._set(session, principal, set_key, Permission.EXHIBIT_READ)
            row = session.get(RedactionItem, (found.id, number))
            if row is None:
                raise NotFound(f"set {found.id[:8]} has no item {number}")
            return ItemView.of(row)

    def track(
        self,
        principal: Principal,
        set_key: str,
        at: float,
        box: Box,
        reason: str,
        *,
        shape: str = "box",
        note: str | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> ItemView:
        """Assisted tracking: a box drawn on one frame, carried through the clip by a tracker."""
        from exhibits.redaction.tracking.follow import follow_region

        with self.vault.reading() as session:
            found = self._set(session, principal, set_key, Permission.REDACTION_EDIT)
            principal.require(Permission.EXHIBIT_CONTENT, session, found.case_id)
            if found.media_kind != MediaKind.VIDEO:
                raise InvalidInput("tracking applies to video; draw a region on images and pages")
            set_id, sha256 = found.id, found.sha256
        with self.original_file(sha256) as path:
            track = follow_region(path, at, box, shape=shape, start=start, end=end)
        return self.add(
            principal, set_id, ItemKind.TRACK, track.as_geometry(), reason, note=note, source="tracker:klt-1"
        )

    # --- review --------------------------------------------------------------------------

    def review(
        self,
        principal: Principal,
        set_key: str,
        numbers: list[int] | None,
        state: ItemState,
        *,
        reason: str | None = None,
        note: str | None = None,
    ) -> SetView:
        """Accept, reject or keep (reviewed, not redacted) items; ``None`` means every proposed item."""
        if state is ItemState.KEPT and not (note or "").strip():
            raise InvalidInput("say why it is not redacted (--note), e.g. 'the suspect: evidentially needed'")
        with self.vault.reading() as session:
            set_id = self._set(session, principal, set_key, Permission.REDACTION_EDIT).id

        def work(ctx: WriteContext) -> None:
            found = ctx.session.get(RedactionSet, set_id, with_for_update=True)
            assert found is not None
            query = select(RedactionItem).where(RedactionItem.set_id == set_id)
            if numbers is None:
                query = query.where(RedactionItem.state == ItemState.PROPOSED)
            else:
                query = query.where(RedactionItem.number.in_(numbers))
            rows = list(ctx.session.scalars(query.order_by(RedactionItem.number)))
            missing = sorted(set(numbers or []) - {r.number for r in rows})
            if missing:
                raise NotFound(f"set {set_id[:8]} has no item {', '.join(map(str, missing))}")
            if not rows:
                raise InvalidInput("nothing to review: no proposed items are left")
            version = found.version + 1
            now = self.vault.now()
            for row in rows:
                if row.kind == ItemKind.DECISION:
                    raise InvalidInput(f"item {row.number} is a decision, not a region")
                row.state = str(state)
                if reason:
                    row.reason = normalise_reason(reason)
                if note is not None:
                    row.note = note
                row.decided_by, row.decided_at, row.version = principal.user_id, now, version
                self._revise(ctx, row, principal, version)
            change = f"{state} {len(rows)} items"
            self._new_version(
                ctx, principal, found, change, {"state": str(state), "items": [r.number for r in rows]}
            )

        self.vault.write(work)
        return self.show(principal, set_id)

    def decide_not_redacted(self, principal: Principal, set_key: str, reason: str, note: str) -> ItemView:
        """A set-level "reviewed, not redacted" decision, with the reason and who decided."""
        if not (note or "").strip():
            raise InvalidInput("say why nothing more is redacted (--note)")
        with self.vault.reading() as session:
            set_id = self._set(session, principal, set_key, Permission.REDACTION_EDIT).id
        proposal = Proposal(ItemKind.DECISION, reason, {}, "user", note=note, state=ItemState.KEPT)
        (number,) = self._add_items(principal, set_id, [proposal], "reviewed, not redacted", {})
        return self.item(principal, set_id, number)

    def adjust(
        self,
        principal: Principal,
        set_key: str,
        number: int,
        *,
        at: float | None = None,
        box: Box | None = None,
        start: float | None = None,
        end: float | None = None,
        geometry: dict[str, Any] | None = None,
    ) -> ItemView:
        """Change an item's geometry: a track's box at one time, its start or end, or a whole region."""
        with self.vault.reading() as session:
            set_id = self._set(session, principal, set_key, Permission.REDACTION_EDIT).id

        def work(ctx: WriteContext) -> None:
            found = ctx.session.get(RedactionSet, set_id, with_for_update=True)
            row = ctx.session.get(RedactionItem, (set_id, number))
            assert found is not None
            if row is None:
                raise NotFound(f"set {set_id[:8]} has no item {number}")
            kind = ItemKind(row.kind)
            if geometry is not None:
                new = validate_geometry(kind, geometry)
            elif kind is ItemKind.TRACK:
                track = Track.parse(row.geometry)
                if box is not None:
                    if at is None:
                        raise InvalidInput("say at which time the box applies (--at SECONDS)")
                    track = track.adjusted(at, box)
                new_start = track.start if start is None else start
                new_end = track.end if end is None else end
                new = validate_geometry(kind, {**track.as_geometry(), "start": new_start, "end": new_end})
            else:
                raise InvalidInput("give the item's new geometry")
            version = found.version + 1
            row.geometry, row.version = new, version
            if row.state == ItemState.PROPOSED:  # a person shaped it: it is now their decision
                row.state = str(ItemState.ACCEPTED)
            row.decided_by, row.decided_at = principal.user_id, self.vault.now()
            self._revise(ctx, row, principal, version)
            self._new_version(ctx, principal, found, f"adjusted item {number}", {"items": [number]})

        self.vault.write(work)
        return self.item(principal, set_id, number)

    # --- versions ------------------------------------------------------------------------

    def _revise(self, ctx: WriteContext, row: RedactionItem, principal: Principal, version: int) -> None:
        ctx.session.add(
            RedactionItemRevision(
                set_id=row.set_id,
                number=row.number,
                version=version,
                kind=row.kind,
                state=row.state,
                reason=row.reason,
                note=row.note,
                geometry=row.geometry,
                source=row.source,
                score=row.score,
                actor_id=principal.user_id,
                at=self.vault.now(),
            )
        )

    def _new_version(
        self,
        ctx: WriteContext,
        principal: Principal,
        found: RedactionSet,
        change: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        session = ctx.session
        session.flush()
        found.version += 1
        found.updated_at = self.vault.now()
        rows = list(
            session.scalars(
                select(RedactionItem).where(RedactionItem.set_id == found.id).order_by(RedactionItem.number)
            )
        )
        content = set_content(found, rows)
        version_digest = digest(content)
        counts = _counts(rows)
        session.add(
            RedactionSetVersion(
                set_id=found.id,
                version=found.version,
                digest=version_digest,
                change=change,
                counts=counts,
                actor_id=principal.user_id,
                at=found.updated_at,
            )
        )
        self.vault.record(
            ctx,
            principal,
            "redaction.set.version",
            EventClass.CONTINUITY,
            case_id=found.case_id,
            exhibit_id=found.exhibit_id,
            sha256=found.sha256,
            details={
                "set": found.id,
                "version": found.version,
                "digest": version_digest,
                "change": change,
                "counts": counts,
                **_leaf_safe(details or {}),
            },
        )

    def version_content(
        self, principal: Principal, set_key: str, version: int | None = None
    ) -> dict[str, Any]:
        """The set's content at a version, rebuilt from the append-only revisions."""
        with self.vault.reading() as session:
            found = self._set(session, principal, set_key, Permission.EXHIBIT_READ)
            return rebuild_version(session, found, version or found.version)

    # --- rendering -----------------------------------------------------------------------

    def render(
        self,
        principal: Principal,
        set_key: str,
        *,
        progress: Callable[[float], None] | None = None,
    ) -> RenderView:
        """Render the set's current version from the original into a new derivative."""
        from exhibits.redaction.render import render_set
        from exhibits.redaction.render.report import build_report

        with self.vault.reading() as session:
            found = self._set(session, principal, set_key, Permission.REDACTION_EDIT)
            principal.require(Permission.EXHIBIT_CONTENT, session, found.case_id)
            rows = list(
                session.scalars(
                    select(RedactionItem)
                    .where(RedactionItem.set_id == found.id)
                    .order_by(RedactionItem.number)
                )
            )
            pending = [r.number for r in rows if r.state == ItemState.PROPOSED]
            if pending:
                shown = ", ".join(map(str, pending[:10])) + (" ..." if len(pending) > 10 else "")
                raise Conflict(
                    f"{len(pending)} proposed items are not reviewed yet ({shown}): "
                    "accept, reject or keep them first"
                )
            view = self._view(session, found, items=True)
            people = _people(session, rows)
            set_id, version, sha256 = found.id, found.version, found.sha256
            kind = MediaKind(found.media_kind)
            version_digest = view.digest
            assert version_digest is not None
        settings = self.settings
        with tempfile.TemporaryDirectory(dir=self._workdir()) as tmp:
            workdir = Path(tmp)
            with self.original_file(sha256) as original:
                outcome = render_set(original, kind, view.items, workdir, settings, progress=progress)
            report = build_report(view, outcome, people, tool=TOOL, tool_version=__version__)
            json_path, pdf_path = workdir / "report.json", workdir / "report.pdf"
            report.write_json(json_path)
            report.write_pdf(pdf_path)
            stored = derivatives.store_file(self.vault, outcome.path)
            stored_json = derivatives.store_file(self.vault, json_path)
            stored_pdf = derivatives.store_file(self.vault, pdf_path)

        def work(ctx: WriteContext) -> RenderView:
            current = ctx.session.get(RedactionSet, set_id)
            assert current is not None
            if current.version != version:
                raise Conflict("the set changed while it was rendering: render again")
            row = derivatives.record_render(
                self.vault,
                ctx,
                principal,
                set_id=set_id,
                version=version,
                digest=version_digest,
                case_id=view.case_id,
                exhibit_id=view.exhibit_id,
                parent_sha256=sha256,
                output=(stored, outcome.mime_type),
                report_json=stored_json,
                report_pdf=stored_pdf,
                tool=TOOL,
                tool_version=__version__,
                params=outcome.params,
                details={"counts": _leaf_safe(view.counts), "warnings": outcome.warnings},
            )
            return RenderView.of(row)

        return self.vault.write(work)

    def _workdir(self) -> Path:
        path = self.vault.settings.tmp_dir
        path.mkdir(parents=True, exist_ok=True)
        return path


def set_content(found: RedactionSet, rows: list[RedactionItem]) -> dict[str, Any]:
    return {
        "set": found.id,
        "exhibit": found.exhibit_id,
        "sha256": found.sha256,
        "purpose": found.purpose,
        "version": found.version,
        "items": [
            {
                "number": r.number,
                "kind": r.kind,
                "state": r.state,
                "reason": r.reason,
                "note": r.note,
                "geometry": r.geometry,
                "source": r.source,
                "score": r.score,
            }
            for r in rows
        ],
    }


def rebuild_version(session: Session, found: RedactionSet, version: int) -> dict[str, Any]:
    """A version's content from the revisions: each item as its latest revision at or before it."""
    if version < 1 or version > found.version:
        raise NotFound(f"set {found.id[:8]} has versions 1 to {found.version}")
    revisions = session.scalars(
        select(RedactionItemRevision)
        .where(RedactionItemRevision.set_id == found.id, RedactionItemRevision.version <= version)
        .order_by(RedactionItemRevision.id)
    )
    latest: dict[int, RedactionItemRevision] = {}
    for revision in revisions:
        latest[revision.number] = revision
    rows = [latest[n] for n in sorted(latest)]
    shell = RedactionSet(id=found.id, exhibit_id=found.exhibit_id, sha256=found.sha256, purpose=found.purpose)
    shell.version = version
    return set_content(shell, rows)  # type: ignore[arg-type]


def _counts(rows: list[Any]) -> dict[str, Any]:
    by_state: dict[str, int] = {}
    by_reason: dict[str, int] = {}
    for row in rows:
        state = str(row.state)
        by_state[state] = by_state.get(state, 0) + 1
        if state == ItemState.ACCEPTED:
            by_reason[str(row.reason)] = by_reason.get(str(row.reason), 0) + 1
    return {"items": len(rows), "by_state": by_state, "accepted_by_reason": by_reason}


def _people(session: Session, rows: list[RedactionItem]) -> dict[str, str]:
    from exhibits.access.models import User

    ids = {r.created_by for r in rows} | {r.decided_by for r in rows if r.decided_by}
    return {u.id: f"{u.name} ({u.collar})" for u in session.scalars(select(User).where(User.id.in_(ids)))}


def _leaf_safe(value: Any) -> Any:
    """Custody leaves hold no floats: round them into strings."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict):
        return {str(k): _leaf_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_leaf_safe(v) for v in value]
    return value
