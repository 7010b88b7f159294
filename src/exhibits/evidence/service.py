"""Evidence use-cases: cases, ingest, attach, listing. Every method authorises and logs."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exhibits.access.models import CaseAssignment
from exhibits.access.permissions import Assignment, Permission
from exhibits.access.principal import Principal
from exhibits.custody.events import EventClass
from exhibits.db.writer import WriteContext
from exhibits.errors import Conflict, InvalidInput, NotFound
from exhibits.evidence import domain, refs
from exhibits.evidence.models import Blob, Case, CaseProducer, Exhibit, Media
from exhibits.evidence.sniff import load as load_sniffer
from exhibits.evidence.sniff import sniff_mime
from exhibits.evidence.views import CaseView, ExhibitView, IngestOutcome, MediaView
from exhibits.faults import fault_point
from exhibits.ids import is_hex_prefix, new_id
from exhibits.storage import IngestResult, Progress

if TYPE_CHECKING:
    from exhibits.storage.staging import StagedCopy
    from exhibits.vault import Vault


def safe_name(name: str | bytes | None) -> str | None:
    """An original file name as untrusted text: any bytes survive, nothing is interpreted."""
    if name is None:
        return None
    if isinstance(name, bytes):
        text = name.decode("utf-8", errors="backslashreplace")
    else:
        text = name.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="backslashreplace")
    # No file system allows NUL in a name, and PostgreSQL text cannot hold it: keep it visible.
    return text.replace("\x00", "\\x00")


@dataclass
class IngestRequest:
    """Where new content goes and what is known about it."""

    case: str | None = None  # crime reference, URN or case id; None for unassigned media
    producer: str | None = None
    source: str | None = None
    description: str | None = None
    classification: str | None = None
    captured_at: datetime | None = None
    clock_offset: float | None = None
    captured_by: str | None = None
    device_id: str | None = None
    incident_ref: str | None = None
    officer: str | None = None
    parent_exhibit_id: str | None = None
    member_path: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class _Checked:
    """An ingest request after validation, ready to be recorded."""

    case_id: str | None
    producer: refs.Producer | None
    source: domain.Source
    classification: domain.Classification
    description: str | None
    captured_at: datetime | None
    clock_offset: float | None
    request: IngestRequest


@dataclass(frozen=True)
class MemberItem:
    """One member of a container (archive entry, email attachment), already stored as content."""

    sha256: str
    member_path: str  # its name inside the container: untrusted text
    position: int
    size: int
    mime_type: str
    tool: str  # the processor that extracted it, and its version
    tool_version: str


def iter_input_files(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """Expand directories (sorted, symlinks skipped) and refuse what cannot be evidence."""
    files: list[Path] = []
    problems: list[str] = []
    for path in paths:
        try:
            info = path.lstat()
        except OSError as exc:
            problems.append(f"{safe_name(str(path))}: {exc.strerror or 'cannot be read'}")
            continue
        if stat.S_ISDIR(info.st_mode):
            for root, dirs, names in os.walk(path, followlinks=False):
                dirs.sort()
                for name in sorted(names):
                    child = Path(root) / name
                    if child.is_symlink():
                        problems.append(f"{safe_name(str(child))}: symbolic link skipped")
                    elif child.is_file():
                        files.append(child)
        elif stat.S_ISREG(info.st_mode) or (stat.S_ISLNK(info.st_mode) and path.is_file()):
            files.append(path)
        else:
            problems.append(f"{safe_name(str(path))}: not a regular file")
    return files, problems


class EvidenceService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    # --- cases ---------------------------------------------------------------------------

    def create_case(
        self,
        principal: Principal,
        crime_ref: str,
        title: str,
        *,
        urn: str | None = None,
        classification: str | None = None,
    ) -> CaseView:
        principal.require(Permission.CASE_CREATE)
        crime_ref = domain.validate_crime_ref(crime_ref)
        title = domain.validate_title(title)
        urn = domain.validate_urn(urn)
        marking = domain.parse_classification(classification)
        force = self.vault.settings.force_code

        def work(ctx: WriteContext) -> CaseView:
            session = ctx.session
            if session.scalar(select(Case.id).where(Case.force_code == force, Case.crime_ref == crime_ref)):
                raise Conflict(f"case {crime_ref} already exists")
            if urn and session.scalar(select(Case.id).where(Case.urn == urn)):
                raise Conflict(f"URN {urn} is already used by another case")
            now = self.vault.now()
            case = Case(
                id=new_id(),
                force_code=force,
                crime_ref=crime_ref,
                urn=urn,
                title=title,
                status=domain.CaseStatus.OPEN,
                classification=marking,
                created_by=principal.user_id,
                created_at=now,
                updated_at=now,
            )
            session.add(case)
            session.flush()  # the assignment refers to it
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
            self.vault.record(
                ctx,
                principal,
                "case.create",
                EventClass.CONTINUITY,
                case_id=case.id,
                details={
                    "crime_ref": crime_ref,
                    "urn": urn,
                    "title": title,
                    "classification": str(marking),
                    "officer_in_charge": principal.user_id,
                },
            )
            return CaseView.of(case)

        view = self.vault.write(work)
        principal.forget_assignments()
        return view

    def find_case(self, session: Session, principal: Principal, key: str) -> Case:
        """A case by crime reference, URN or id, if the principal may see it."""
        key = key.strip()
        force = self.vault.settings.force_code
        candidates = [key.upper().replace(" ", "")]
        case = session.scalar(
            select(Case).where(
                or_(
                    (Case.force_code == force) & (Case.crime_ref == key),
                    Case.urn.in_(candidates),
                    Case.id == key.lower(),
                )
            )
        )
        if case is None:
            raise NotFound(f"no such case {key!r}, or you are not assigned to it")
        principal.require(Permission.CASE_READ, session, case.id)
        return case

    def get_case(self, principal: Principal, key: str) -> CaseView:
        with self.vault.reading() as session:
            case = self.find_case(session, principal, key)
            view = CaseView.of(case)
        self.vault.consulted(principal, "case.view", case_id=view.id)
        return view

    def list_cases(self, principal: Principal, *, status: str | None = None) -> list[CaseView]:
        with self.vault.reading() as session:
            query = select(Case).where(Case.id.in_(principal.visible_case_ids(session)))
            if status:
                query = query.where(Case.status == status)
            cases = [CaseView.of(c) for c in session.scalars(query.order_by(Case.created_at))]
        self.vault.consulted(principal, "case.list", details={"count": len(cases)})
        return cases

    # --- ingest --------------------------------------------------------------------------

    def check_request(self, principal: Principal, request: IngestRequest) -> _Checked:
        """Validate everything about an ingest before a single byte is stored."""
        case_id = None
        producer = None
        if request.case is not None:
            if not request.producer:
                raise InvalidInput("an exhibit needs a producer, e.g. --producer 'PC 1234 Jane Smith'")
            producer = refs.parse_producer(request.producer)
            with self.vault.reading() as session:
                case = self.find_case(session, principal, request.case)
                principal.require(Permission.EXHIBIT_ADD, session, case.id)
                case_id = case.id
        else:
            principal.require(Permission.MEDIA_INGEST)
        return _Checked(
            case_id=case_id,
            producer=producer,
            source=domain.parse_source(request.source),
            classification=domain.parse_classification(request.classification),
            description=domain.validate_text(request.description, "a description"),
            captured_at=domain.check_captured_at(request.captured_at, self.vault.now()),
            clock_offset=domain.validate_clock_offset(request.clock_offset),
            request=request,
        )

    def ingest_paths(
        self,
        principal: Principal,
        paths: Iterable[Path],
        request: IngestRequest,
        *,
        progress: Callable[[Path, int], Progress | None] | None = None,
        staged: StagedCopy | None = None,
    ) -> list[IngestOutcome]:
        """Ingest files and directories. Every input is checked before anything is stored.

        ``staged``: a copy of one of the files already hashed and written to the tmp area
        (``exhibits.storage.staging``). It is adopted instead of reading that file again
        only if it holds the file's current content; otherwise the file is read as usual.
        The caller closes it (which removes its temporary file)."""
        checked = self.check_request(principal, request)
        files, problems = iter_input_files(paths)
        limit = self.vault.settings.max_ingest_bytes
        for path in files:
            try:
                size = path.stat().st_size
            except OSError as exc:
                problems.append(f"{safe_name(str(path))}: {exc.strerror}")
                continue
            if size == 0:
                problems.append(f"{safe_name(str(path))}: file is empty")
            elif size > limit:
                problems.append(f"{safe_name(str(path))}: {size:,} bytes is over the {limit:,}-byte limit")
            elif not os.access(path, os.R_OK):
                problems.append(f"{safe_name(str(path))}: permission denied")
        if problems:
            raise InvalidInput("nothing was ingested: " + "; ".join(problems))
        if not files:
            raise InvalidInput("nothing to ingest: no files found")
        self.prepare_recording()
        outcomes = []
        for path in files:
            on_bytes = progress(path, path.stat().st_size) if progress else None
            taken = staged.take(path) if staged is not None else None
            if taken is not None:
                stored = self.vault.blobs.adopt(taken.path, limit=limit, known_sha256=taken.sha256)
                if on_bytes:
                    on_bytes(stored.size)
                name = safe_name(os.fsencode(path.name))
                outcomes.append(self._record_stored(principal, stored, name, checked))
                continue
            try:
                handle = path.open("rb")
            except OSError as exc:
                raise InvalidInput(f"{safe_name(str(path))}: {exc.strerror or 'cannot be read'}") from exc
            with handle:
                name = safe_name(os.fsencode(path.name))
                outcomes.append(self._ingest_checked(principal, handle, name, checked, on_bytes))
        return outcomes

    def prepare_recording(self) -> None:
        """Load what recording content needs (libmagic, the plugins' processors) before the
        unit of work, not inside it; with a staged copy, while the copy finishes."""
        load_sniffer()
        self.vault.plugins.hook.exhibits_prepare_ingest(vault=self.vault)

    def ingest_stream(
        self,
        principal: Principal,
        stream: BinaryIO,
        original_name: str | None,
        request: IngestRequest,
        *,
        progress: Progress | None = None,
        expected_sha256: str | None = None,
    ) -> IngestOutcome:
        """Ingest one stream (an upload): the adapters' way in."""
        checked = self.check_request(principal, request)
        return self._ingest_checked(
            principal, stream, safe_name(original_name), checked, progress, expected_sha256
        )

    def _ingest_checked(
        self,
        principal: Principal,
        stream: BinaryIO,
        original_name: str | None,
        checked: _Checked,
        progress: Progress | None,
        expected_sha256: str | None = None,
    ) -> IngestOutcome:
        stored = self.vault.blobs.ingest(
            stream,
            limit=self.vault.settings.max_ingest_bytes,
            progress=progress,
            expected_sha256=expected_sha256,
        )
        return self._record_stored(principal, stored, original_name, checked)

    def ingest_upload(
        self,
        principal: Principal,
        path: Path,
        original_name: str | None,
        request: IngestRequest,
        *,
        known_sha256: str | None = None,
        expected_sha256: str | None = None,
    ) -> IngestOutcome:
        """Ingest a finished upload's file from the tmp area, moved into the store rather than
        copied (``BlobStore.adopt``); ``known_sha256`` is its hash computed as it arrived."""
        checked = self.check_request(principal, request)
        stored = self.vault.blobs.adopt(
            path,
            limit=self.vault.settings.max_ingest_bytes,
            known_sha256=known_sha256,
            expected_sha256=expected_sha256,
        )
        return self._record_stored(principal, stored, safe_name(original_name), checked)

    def _record_stored(
        self, principal: Principal, stored: IngestResult, original_name: str | None, checked: _Checked
    ) -> IngestOutcome:
        mime = sniff_mime(stored.head)
        return self.vault.write(
            lambda ctx: self.record_ingest(ctx, principal, stored, mime, original_name, checked)
        )

    def record_ingest(
        self,
        ctx: WriteContext,
        principal: Principal,
        stored: IngestResult,
        mime: str,
        original_name: str | None,
        checked: _Checked,
    ) -> IngestOutcome:
        """Record stored content as media (and an exhibit) inside a unit of work."""
        session = ctx.session
        now = self.vault.now()
        if checked.case_id is not None:
            principal.forget_assignments()  # assignments may have changed since the check
            principal.require(Permission.EXHIBIT_ADD, session, checked.case_id)
        duplicate = self._ensure_blob(session, stored, mime, now)
        session.flush()
        request = checked.request
        media = Media(
            id=new_id(),
            sha256=stored.sha256,
            original_name=original_name,
            source=checked.source,
            device_id=domain.validate_text(request.device_id, "a device id", 128),
            incident_ref=domain.validate_text(request.incident_ref, "an incident reference", 128),
            officer=domain.validate_text(request.officer, "an officer", 200),
            captured_at=checked.captured_at,
            clock_offset_seconds=checked.clock_offset,
            captured_by=domain.validate_text(request.captured_by, "captured by", 200),
            description=checked.description,
            classification=checked.classification,
            parent_media_id=None,
            member_path=request.member_path,
            ingested_by=principal.user_id,
            ingested_at=now,
            review_after=None
            if checked.case_id
            else now + timedelta(days=self.vault.settings.unassigned_retention_days),
            status="active",
            extra=request.extra,
        )
        session.add(media)
        session.flush()
        fault_point("ingest.row_inserted")
        exhibit = None
        if checked.case_id is not None:
            assert checked.producer is not None
            parent = session.get(Exhibit, request.parent_exhibit_id) if request.parent_exhibit_id else None
            exhibit = self.new_exhibit(
                session, principal, checked.case_id, media, checked.producer, checked.description,
                checked.classification, parent=parent,
            )  # fmt: skip
        self.vault.record(
            ctx,
            principal,
            "exhibit.ingest" if exhibit else "media.ingest",
            EventClass.CONTINUITY,
            case_id=checked.case_id,
            exhibit_id=exhibit.id if exhibit else None,
            media_id=media.id,
            sha256=stored.sha256,
            outputs=[stored.sha256],
            details={
                "ref": exhibit.ref if exhibit else None,
                "size": stored.size,
                "mime_type": mime,
                "original_name": original_name,
                "source": str(checked.source),
                "producer": exhibit.producer if exhibit else None,
                "device_id": media.device_id,
                "incident_ref": media.incident_ref,
                "captured_at": request.captured_at.isoformat() if request.captured_at else None,
                "clock_offset_seconds": str(checked.clock_offset)
                if checked.clock_offset is not None
                else None,
                "classification": str(checked.classification),
                "parent_exhibit": request.parent_exhibit_id,
                "member_path": request.member_path,
                "duplicate_content": duplicate,
            },
        )
        self.vault.plugins.hook.exhibits_content_added(
            ctx=ctx, vault=self.vault, media=media, exhibit=exhibit
        )
        return IngestOutcome(
            sha256=stored.sha256,
            size=stored.size,
            mime_type=mime,
            media_id=media.id,
            exhibit_id=exhibit.id if exhibit else None,
            ref=exhibit.ref if exhibit else None,
            duplicate_content=duplicate,
        )

    def ensure_blob(self, session: Session, stored: IngestResult, mime: str, now: datetime) -> bool:
        """Record stored content (ingested, extracted or derived); True if it was already known."""
        return self._ensure_blob(session, stored, mime, now)

    def _ensure_blob(self, session: Session, stored: IngestResult, mime: str, now: datetime) -> bool:
        blob = session.get(Blob, stored.sha256)
        if blob is None:
            session.add(Blob(sha256=stored.sha256, size=stored.size, mime_type=mime, stored_at=now))
            return False
        self._known_again(blob, stored, now)
        return True

    def ensure_blobs(self, session: Session, items: list[tuple[IngestResult, str]], now: datetime) -> None:
        """Record many stored contents (stored, mime type) at once, as ``ensure_blob`` does
        each: one statement reads those already known (a pipeline unit's outputs)."""
        if not items:
            return
        wanted = list({stored.sha256 for stored, _ in items})
        known = {blob.sha256: blob for blob in session.scalars(select(Blob).where(Blob.sha256.in_(wanted)))}
        for stored, mime in items:
            blob = known.get(stored.sha256)
            if blob is None:
                known[stored.sha256] = blob = Blob(
                    sha256=stored.sha256, size=stored.size, mime_type=mime, stored_at=now
                )
                session.add(blob)
            else:
                self._known_again(blob, stored, now)

    @staticmethod
    def _known_again(blob: Blob, stored: IngestResult, now: datetime) -> None:
        """Content stored again: it must agree with its record; disposed content is back."""
        if blob.size != stored.size:
            raise Conflict("stored content disagrees with its record: run 'exhibits verify'")
        if blob.disposed_at is not None:  # the same bytes arrived again after disposal
            blob.disposed_at = None
            blob.disposal_seq = None
            blob.stored_at = now

    def new_exhibit(
        self,
        session: Session,
        principal: Principal | None,
        case_id: str,
        media: Media,
        producer: refs.Producer | None,
        description: str | None,
        classification: str,
        *,
        parent: Exhibit | None = None,
        created_by: str | None = None,
    ) -> Exhibit:
        """Give media an exhibit reference in a case (``JS/1``, or ``JS/1/3`` under a parent).

        Items the system extracts (archive members, attachments) have no principal: they are
        children of their parent, produced by its producer, ``created_by`` its creator."""
        if parent is not None:
            if parent.case_id != case_id:
                raise InvalidInput("a child exhibit must be in its parent's case")
            ref = f"{parent.ref}/{parent.next_child}"
            parent.next_child += 1
            producer_key, display = parent.producer_key, parent.producer
        else:
            if producer is None:
                raise InvalidInput("an exhibit needs a producer")
            row = session.get(CaseProducer, (case_id, producer.key))
            if row is None:
                taken = dict(
                    session.execute(
                        select(CaseProducer.initials, CaseProducer.producer_key).where(
                            CaseProducer.case_id == case_id
                        )
                    ).all()
                )
                row = CaseProducer(
                    case_id=case_id,
                    producer_key=producer.key,
                    initials=refs.choose_initials(producer, taken),
                    display=producer.text,
                    next_number=1,
                )
                session.add(row)
            ref = refs.format_ref(row.initials, row.next_number)
            row.next_number += 1
            producer_key, display = producer.key, producer.text
        exhibit = Exhibit(
            id=new_id(),
            case_id=case_id,
            media_id=media.id,
            ref=ref,
            parent_exhibit_id=parent.id if parent else None,
            next_child=1,
            producer=display,
            producer_key=producer_key,
            description=description,
            classification=classification,
            restricted=False,
            status="active",
            created_by=created_by
            or (principal.user_id if principal else parent.created_by if parent else ""),
            created_at=self.vault.now(),
        )
        session.add(exhibit)
        try:
            session.flush()
        except IntegrityError as exc:
            raise Conflict(f"exhibit reference {ref} is already used in this case") from exc
        return exhibit

    # --- items extracted or derived from other evidence ----------------------------------

    def add_members(self, ctx: WriteContext, parent: Media, members: Sequence[MemberItem]) -> int:
        """Make a container's members items of one arrival of it: child media under ``parent``
        and, under each of its exhibits, a child exhibit (``JS/1/3``). Idempotent: members
        and exhibits that already exist are left as they are. Returns how many were added."""
        session = ctx.session
        exhibits = list(
            session.scalars(
                select(Exhibit)
                .where(Exhibit.media_id == parent.id, Exhibit.status == "active")
                .order_by(Exhibit.created_at, Exhibit.ref)
            )
        )
        known = {
            ((m.extra or {}).get("position"), m.member_path, m.sha256): m
            for m in session.scalars(select(Media).where(Media.parent_media_id == parent.id))
        }
        added = 0
        for member in sorted(members, key=lambda m: m.position):
            child = known.get((member.position, member.member_path, member.sha256))
            fresh = child is None
            if child is None:
                child = self._member_media(session, parent, member)
                if not exhibits:
                    self._record_member(ctx, parent, child, None, member)
                    self.vault.plugins.hook.exhibits_content_added(
                        ctx=ctx, vault=self.vault, media=child, exhibit=None
                    )
                    added += 1
            for exhibit in exhibits:
                exists = (not fresh) and session.scalar(
                    select(Exhibit.id).where(
                        Exhibit.parent_exhibit_id == exhibit.id, Exhibit.media_id == child.id
                    )
                )
                if exists:
                    continue
                item = self.new_exhibit(
                    session, None, exhibit.case_id, child, None, None, exhibit.classification, parent=exhibit
                )
                self._record_member(ctx, parent, child, item, member, exhibit)
                self.vault.plugins.hook.exhibits_content_added(
                    ctx=ctx, vault=self.vault, media=child, exhibit=item
                )
                added += 1
        return added

    def _member_media(self, session: Session, parent: Media, member: MemberItem) -> Media:
        name = member.member_path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or member.member_path
        child = Media(
            id=new_id(),
            sha256=member.sha256,
            original_name=safe_name(name),
            source=parent.source,
            device_id=parent.device_id,
            incident_ref=parent.incident_ref,
            officer=parent.officer,
            captured_at=None,
            clock_offset_seconds=None,
            captured_by=parent.captured_by,
            description=None,
            classification=parent.classification,
            parent_media_id=parent.id,
            member_path=safe_name(member.member_path),
            ingested_by=parent.ingested_by,
            ingested_at=self.vault.now(),
            review_after=parent.review_after,
            status="active",
            extra={
                "position": member.position,
                "extracted_by": member.tool,
                "tool_version": member.tool_version,
            },
        )
        session.add(child)
        session.flush()
        return child

    def _record_member(
        self,
        ctx: WriteContext,
        parent: Media,
        child: Media,
        exhibit: Exhibit | None,
        member: MemberItem,
        parent_exhibit: Exhibit | None = None,
    ) -> None:
        self.vault.record(
            ctx,
            None,
            "exhibit.extract" if exhibit else "media.extract",
            EventClass.CONTINUITY,
            case_id=exhibit.case_id if exhibit else None,
            exhibit_id=exhibit.id if exhibit else None,
            media_id=child.id,
            sha256=child.sha256,
            inputs=[parent.sha256],
            outputs=[child.sha256],
            details={
                "ref": exhibit.ref if exhibit else None,
                "parent_ref": parent_exhibit.ref if parent_exhibit else None,
                "parent_media": parent.id,
                "member_path": child.member_path,
                "size": member.size,
                "mime_type": member.mime_type,
                "processor": member.tool,
                "processor_version": member.tool_version,
            },
        )

    def add_derived_exhibit(
        self,
        ctx: WriteContext,
        principal: Principal,
        source: Exhibit,
        stored: IngestResult,
        mime: str,
        producer: refs.Producer,
        description: str | None,
        *,
        action: str,
        details: dict,
        captured_at: datetime | None = None,
    ) -> Exhibit:
        """A new exhibit made by a person from another (a still, a clip), recording its parent.

        It gets its own reference under its producer (a still taken by PC Brown from JS/1 is
        AB/1), and both exhibits' trails record the derivation."""
        session = ctx.session
        principal.forget_assignments()
        principal.require(Permission.EXHIBIT_ADD, session, source.case_id)
        now = self.vault.now()
        self._ensure_blob(session, stored, mime, now)
        session.flush()
        origin = session.get(Media, source.media_id)
        assert origin is not None
        derived_from = {"exhibit": source.id, "ref": source.ref, "sha256": origin.sha256, **details}
        media = Media(
            id=new_id(),
            sha256=stored.sha256,
            original_name=None,
            source=origin.source,
            device_id=origin.device_id,
            incident_ref=origin.incident_ref,
            officer=origin.officer,
            captured_at=captured_at,
            clock_offset_seconds=origin.clock_offset_seconds,
            captured_by=origin.captured_by,
            description=description,
            classification=source.classification,
            parent_media_id=None,
            member_path=None,
            ingested_by=principal.user_id,
            ingested_at=now,
            review_after=None,
            status="active",
            extra={"derived_from": derived_from},
        )
        session.add(media)
        session.flush()
        exhibit = self.new_exhibit(
            session, principal, source.case_id, media, producer, description, source.classification
        )
        common = {"inputs": [origin.sha256], "outputs": [stored.sha256]}
        self.vault.record(
            ctx, principal, action, EventClass.CONTINUITY, case_id=source.case_id, exhibit_id=exhibit.id,
            media_id=media.id, sha256=stored.sha256, **common,
            details={"ref": exhibit.ref, "producer": exhibit.producer, "size": stored.size, "mime_type": mime,
                     "derived_from": derived_from},
        )  # fmt: skip
        self.vault.record(
            ctx, principal, f"{action}.taken", EventClass.CONTINUITY, case_id=source.case_id,
            exhibit_id=source.id, media_id=source.media_id, sha256=origin.sha256, **common,
            details={"ref": source.ref, "new_ref": exhibit.ref, **details},
        )  # fmt: skip
        self.vault.plugins.hook.exhibits_content_added(
            ctx=ctx, vault=self.vault, media=media, exhibit=exhibit
        )
        return exhibit

    # --- unassigned media ----------------------------------------------------------------

    def resolve_media(self, session: Session, principal: Principal, key: str) -> Media:
        principal.require(Permission.MEDIA_READ)
        key = key.strip().lower()
        if not is_hex_prefix(key, minimum=6):
            raise InvalidInput("give a media id or SHA-256 prefix of at least 6 hex digits")
        matches = list(
            session.scalars(
                select(Media).where(or_(Media.id.startswith(key), Media.sha256.startswith(key))).limit(20)
            )
        )
        if not matches:
            raise NotFound(f"no media with id or SHA-256 starting {key}")
        if len(matches) > 1:
            unassigned = [m for m in matches if not self._exhibit_count(session, m.id)]
            if len({m.sha256 for m in matches}) == 1 and len(unassigned) == 1:
                return unassigned[0]
            raise InvalidInput(f"{key} matches {len(matches)} media items: give more digits of the media id")
        return matches[0]

    @staticmethod
    def _exhibit_count(session: Session, media_id: str) -> int:
        return (
            session.scalar(select(func.count()).select_from(Exhibit).where(Exhibit.media_id == media_id)) or 0
        )

    def attach(
        self,
        principal: Principal,
        media_key: str,
        case_key: str,
        producer_text: str,
        *,
        description: str | None = None,
        classification: str | None = None,
    ) -> ExhibitView:
        """Make unassigned (or already used) media an exhibit of a case."""
        producer = refs.parse_producer(producer_text)
        description = domain.validate_text(description, "a description")
        with self.vault.reading() as session:
            media_id = self.resolve_media(session, principal, media_key).id
            case_id = self.find_case(session, principal, case_key).id
            principal.require(Permission.EXHIBIT_ADD, session, case_id)

        def work(ctx: WriteContext) -> ExhibitView:
            session = ctx.session
            media = session.get(Media, media_id)
            assert media is not None
            if media.status != "active":
                raise Conflict("this media has been disposed of and cannot be attached")
            if session.scalar(
                select(Exhibit.ref).where(Exhibit.case_id == case_id, Exhibit.media_id == media_id)
            ):
                raise Conflict("this media is already an exhibit in that case")
            marking = domain.parse_classification(classification or media.classification)
            exhibit = self.new_exhibit(
                session,
                principal,
                case_id,
                media,
                producer,
                description or media.description,
                marking,
            )
            media.review_after = None  # now case material: the case's retention applies
            blob = session.get(Blob, media.sha256)
            assert blob is not None
            self.vault.record(
                ctx,
                principal,
                "exhibit.attach",
                EventClass.CONTINUITY,
                case_id=case_id,
                exhibit_id=exhibit.id,
                media_id=media.id,
                sha256=media.sha256,
                inputs=[media.sha256],
                details={"ref": exhibit.ref, "producer": exhibit.producer},
            )
            self.vault.plugins.hook.exhibits_content_added(
                ctx=ctx, vault=self.vault, media=media, exhibit=exhibit
            )
            return ExhibitView.of(exhibit, media, blob)

        return self.vault.write(work)

    def list_media(self, principal: Principal, *, unassigned_only: bool = True) -> list[MediaView]:
        with self.vault.reading() as session:
            principal.require(Permission.MEDIA_READ)
            query = select(Media, Blob).join(Blob, Blob.sha256 == Media.sha256)
            if unassigned_only:
                query = query.where(~select(Exhibit.id).where(Exhibit.media_id == Media.id).exists())
            views = [MediaView.of(m, b) for m, b in session.execute(query.order_by(Media.ingested_at))]
        self.vault.consulted(principal, "media.list", details={"count": len(views)})
        return views

    # --- exhibits ------------------------------------------------------------------------

    def find_exhibit(self, session: Session, principal: Principal, case: Case, ref: str) -> Exhibit:
        exhibit = session.scalar(
            select(Exhibit).where(Exhibit.case_id == case.id, Exhibit.ref == ref.strip().upper())
        )
        if exhibit is None:
            exhibit = session.scalar(
                select(Exhibit).where(Exhibit.case_id == case.id, Exhibit.id == ref.strip().lower())
            )
        if exhibit is None:
            raise NotFound(f"no exhibit {ref} in case {case.crime_ref}")
        principal.require_exhibit(Permission.EXHIBIT_READ, session, exhibit)
        return exhibit

    def exhibit_view(self, session: Session, exhibit: Exhibit) -> ExhibitView:
        media = session.get(Media, exhibit.media_id)
        assert media is not None
        blob = session.get(Blob, media.sha256)
        assert blob is not None
        return ExhibitView.of(exhibit, media, blob)

    def list_exhibits(self, principal: Principal, case_key: str) -> tuple[CaseView, list[ExhibitView]]:
        with self.vault.reading() as session:
            case = self.find_case(session, principal, case_key)
            principal.require(Permission.EXHIBIT_READ, session, case.id)
            rows = session.execute(
                select(Exhibit, Media, Blob)
                .join(Media, Media.id == Exhibit.media_id)
                .join(Blob, Blob.sha256 == Media.sha256)
                .where(Exhibit.case_id == case.id)
                .order_by(Exhibit.created_at, Exhibit.ref)
            )
            hidden = principal.hidden_exhibits(session, case.id)
            views = [ExhibitView.of(e, m, b) for e, m, b in rows if e.id not in hidden]
            case_view = CaseView.of(case)
        self.vault.consulted(principal, "exhibit.list", case_id=case_view.id, details={"count": len(views)})
        return case_view, views
