"""Processing use-cases: the outbox, the state of an exhibit's processing, the job queue,
reprocessing, stills and clips; and the read interface other capabilities use for facts
and derivatives. Methods taking a principal authorise and log; the others are internal
(the caller has already authorised the exhibit whose content it reads)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.custody.events import EventClass
from exhibits.db.writer import WriteContext
from exhibits.errors import InvalidInput, NotFound
from exhibits.evidence import refs
from exhibits.evidence.models import Blob, Exhibit, Media
from exhibits.evidence.service import MemberItem
from exhibits.evidence.views import ExhibitView
from exhibits.ids import new_id
from exhibits.processing import cuts, jobs
from exhibits.processing.dispatch import Dispatcher
from exhibits.processing.models import ContentFacts, ContentMember, DerivativeRecord, Job, JobStatus
from exhibits.processing.registry import Registry
from exhibits.processing.settings import processing_settings
from exhibits.processing.views import (
    DerivativeView,
    JobView,
    MemberView,
    ProcessingStateView,
    overall_state,
)

if TYPE_CHECKING:
    from exhibits.vault import Vault

MAX_NESTING = 8  # containers inside containers: deeper members are kept but not opened


class ProcessingService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.settings = processing_settings(vault)
        self.dispatcher = Dispatcher(self)

    @cached_property
    def registry(self) -> Registry:
        return Registry.from_plugins(self.vault.plugins, self.settings, self.vault.settings)

    def time_limit(self, processor: str) -> int:
        known = self.registry.get(processor)
        default = known.timeout_seconds if known else 1800
        return int(self.settings.time_limits.get(processor, default))

    # --- the outbox: content arrives ---------------------------------------------------------

    def on_content_added(self, ctx: WriteContext, media: Media, exhibit: Exhibit | None) -> None:
        """Inside the unit of work that recorded new media or a new exhibit: plan its jobs
        (dispatched after commit) and give it the members its content is known to hold."""
        session = ctx.session
        if _depth(session, media) > MAX_NESTING:
            return
        blob = session.get(Blob, media.sha256)
        if blob is None or blob.disposed_at is not None:
            return
        ready = jobs.plan_jobs(session, self.registry, media.sha256, blob.mime_type, self.vault.now())
        self.dispatcher.after_commit(ctx, ready)
        self.materialise_members(ctx, media.sha256, only=media)

    def materialise_members(self, ctx: WriteContext, sha256: str, only: Media | None = None) -> int:
        """Make the members of this content (from its latest container job) items of every
        arrival of it, or of ``only``: child media, and child exhibits in each case."""
        session = ctx.session
        latest = session.scalar(
            select(ContentMember.job_id)
            .join(Job, Job.id == ContentMember.job_id)
            .where(ContentMember.parent_sha256 == sha256, Job.status == JobStatus.DONE)
            .order_by(Job.finished_at.desc())
            .limit(1)
        )
        if latest is None:
            return 0
        rows = session.scalars(
            select(ContentMember).where(ContentMember.job_id == latest).order_by(ContentMember.position)
        ).all()
        members = [
            MemberItem(
                sha256=row.member_sha256,
                member_path=row.member_path,
                position=row.position,
                size=int((row.facts or {}).get("size", 0)),
                mime_type=str((row.facts or {}).get("mime_type", "")),
                tool=row.processor,
                tool_version=row.version,
            )
            for row in rows
        ]
        holders = (
            [only]
            if only is not None
            else list(
                session.scalars(
                    select(Media)
                    .where(Media.sha256 == sha256, Media.status == "active")
                    .order_by(Media.ingested_at)
                )
            )
        )
        added = 0
        for media in holders:
            if _depth(session, media) < MAX_NESTING:
                added += self.vault.evidence.add_members(ctx, media, members)
        return added

    # --- reading facts and derivatives (for other capabilities) ----------------------------

    @contextmanager
    def _session(self, session: Session | None) -> Iterator[Session]:
        if session is not None:
            yield session
        else:
            with self.vault.reading() as own:
                yield own

    def _latest_done(self, session: Session, sha256: str, processor: str | None = None) -> list[Job]:
        """The latest finished-and-done job of each processor on this content."""
        query = select(Job).where(Job.sha256 == sha256, Job.status == JobStatus.DONE)
        if processor is not None:
            query = query.where(Job.processor == processor)
        latest: dict[str, Job] = {}
        for job in session.scalars(query.order_by(Job.finished_at)):
            current = self.registry.get(job.processor)
            preferred = latest.get(job.processor)
            # The current version wins over older ones; among equals, the most recent.
            if (
                preferred is None
                or current is None
                or job.version == current.version
                or preferred.version != current.version
            ):
                latest[job.processor] = job
        return list(latest.values())

    def facts(self, sha256: str, processor: str | None = None, *, session: Session | None = None) -> dict:
        """Facts about content, by processor (latest done run of each): ``{"probe": {...}}``."""
        with self._session(session) as s:
            result = {}
            for job in self._latest_done(s, sha256, processor):
                row = s.get(ContentFacts, job.id)
                result[job.processor] = dict(row.facts or {}) if row else {}
            return result

    def derivatives(
        self,
        sha256: str,
        *,
        kind: str | None = None,
        processor: str | None = None,
        session: Session | None = None,
    ) -> list[DerivativeView]:
        """Derivatives of content from the latest done run of each processor (and any stills
        or clips cut from it), in the order the processor listed them."""
        with self._session(session) as s:
            job_ids = [j.id for j in self._latest_done(s, sha256, processor)]
            made = DerivativeRecord.job_id.in_(job_ids)
            if processor is None:  # stills and clips people cut have no job
                made = or_(made, DerivativeRecord.job_id.is_(None))
            query = select(DerivativeRecord).where(DerivativeRecord.parent_sha256 == sha256, made)
            if kind is not None:
                query = query.where(DerivativeRecord.kind == kind)
            rows = s.scalars(query.order_by(DerivativeRecord.processor, DerivativeRecord.position))
            return [DerivativeView.of(r) for r in rows]

    @contextmanager
    def local_copy(self, sha256: str) -> Iterator[Path]:
        """A filesystem path to stored content (the store's own file, or a temporary copy)."""
        local = self.vault.blobs.local_path(sha256)
        if local is not None:
            yield Path(local)
            return
        self.vault.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.vault.settings.tmp_dir) as folder:
            target = Path(folder) / sha256
            with self.vault.blobs.open(sha256) as source, target.open("wb") as out:
                shutil.copyfileobj(source, out, 4 * 2**20)
            yield target

    # --- for people -------------------------------------------------------------------------

    def _exhibit(
        self, session: Session, principal: Principal, exhibit_id: str
    ) -> tuple[Exhibit, Media, Blob]:
        exhibit = session.get(Exhibit, exhibit_id.strip().lower())
        if exhibit is None:
            raise NotFound(f"no exhibit {exhibit_id}, or you are not assigned to its case")
        principal.require(Permission.EXHIBIT_READ, session, exhibit.case_id)
        media = session.get(Media, exhibit.media_id)
        assert media is not None
        blob = session.get(Blob, media.sha256)
        assert blob is not None
        return exhibit, media, blob

    def exhibit_processing(self, principal: Principal, exhibit_id: str) -> ProcessingStateView:
        """The processing state of one exhibit: jobs, facts, derivatives and members of its
        content (``GET /api/v1/exhibits/{id}/processing``)."""
        with self.vault.reading() as session:
            exhibit, _media, blob = self._exhibit(session, principal, exhibit_id)
            view = self._state(session, exhibit, blob)
            case_id = exhibit.case_id
        self.vault.consulted(principal, "processing.view", case_id=case_id, exhibit_id=view.exhibit_id)
        return view

    def exhibit_processing_by_ref(self, principal: Principal, case_key: str, ref: str) -> ProcessingStateView:
        with self.vault.reading() as session:
            case = self.vault.evidence.find_case(session, principal, case_key)
            exhibit = self.vault.evidence.find_exhibit(session, principal, case, ref)
            exhibit_id = exhibit.id
        return self.exhibit_processing(principal, exhibit_id)

    def _state(self, session: Session, exhibit: Exhibit, blob: Blob) -> ProcessingStateView:
        job_rows = session.scalars(
            select(Job).where(Job.sha256 == blob.sha256).order_by(Job.created_at, Job.processor)
        ).all()
        current = {(p.name, p.version) for p in self.registry.processors.values()}
        shown = [j for j in job_rows if (j.processor, j.version) in current or j.status != JobStatus.DONE]
        latest_ids = {j.id for j in self._latest_done(session, blob.sha256)}
        shown += [j for j in job_rows if j.id in latest_ids and j not in shown]
        job_views = [JobView.of(j) for j in shown]
        member_rows = []
        latest_members = session.scalar(
            select(ContentMember.job_id)
            .where(ContentMember.parent_sha256 == blob.sha256, ContentMember.job_id.in_(latest_ids))
            .limit(1)
        )
        if latest_members:
            member_rows = session.scalars(
                select(ContentMember)
                .where(ContentMember.job_id == latest_members)
                .order_by(ContentMember.position)
            ).all()
        return ProcessingStateView(
            exhibit_id=exhibit.id,
            ref=exhibit.ref,
            sha256=blob.sha256,
            mime_type=blob.mime_type,
            state=overall_state(job_views),
            jobs=job_views,
            facts=self.facts(blob.sha256, session=session),
            derivatives=self.derivatives(blob.sha256, session=session),
            members=[MemberView.of(r) for r in member_rows],
        )

    def open_derivative(
        self, principal: Principal, exhibit_id: str, sha256: str
    ) -> tuple[DerivativeView, BinaryIO]:
        """A derivative of an exhibit's content (proxy, thumbnail...), for playback."""
        with self.vault.reading() as session:
            exhibit, _media, blob = self._exhibit(session, principal, exhibit_id)
            # require_exhibit: a restricted exhibit's pictures are as restricted as the exhibit
            principal.require_exhibit(Permission.EXHIBIT_CONTENT, session, exhibit)
            row = session.scalar(
                select(DerivativeRecord).where(
                    DerivativeRecord.parent_sha256 == blob.sha256,
                    DerivativeRecord.output_sha256 == sha256.lower(),
                )
            )
            if row is None:
                raise NotFound(f"exhibit {exhibit.ref} has no derivative {sha256}")
            view = DerivativeView.of(row)
            case_id, exhibit_id = exhibit.case_id, exhibit.id
        self.vault.consulted(
            principal, "derivative.open", case_id=case_id, exhibit_id=exhibit_id, sha256=view.sha256,
            details={"kind": view.kind, "parent_sha256": view.parent_sha256},
        )  # fmt: skip
        return view, self.vault.blobs.open(view.sha256)

    def list_jobs(
        self,
        principal: Principal,
        *,
        case: str | None = None,
        status: str | None = None,
        processor: str | None = None,
        limit: int = 200,
    ) -> list[JobView]:
        """The job queue: the whole vault's (processing:view), or one case's content."""
        with self.vault.reading() as session:
            query = select(Job)
            refs_by_sha: dict[str, list[str]] = {}
            case_id = None
            if case is not None:
                found = self.vault.evidence.find_case(session, principal, case)
                principal.require(Permission.EXHIBIT_READ, session, found.id)
                case_id = found.id
                for ref, sha in session.execute(
                    select(Exhibit.ref, Media.sha256)
                    .join(Media, Media.id == Exhibit.media_id)
                    .where(Exhibit.case_id == found.id)
                    .order_by(Exhibit.created_at)
                ):
                    refs_by_sha.setdefault(sha, []).append(ref)
                query = query.where(Job.sha256.in_(list(refs_by_sha)))
            else:
                principal.require(Permission.PROCESSING_VIEW)
            if status:
                query = query.where(Job.status == status)
            if processor:
                query = query.where(Job.processor == processor)
            rows = session.scalars(query.order_by(Job.created_at.desc(), Job.processor).limit(limit)).all()
            views = [JobView.of(j, refs_by_sha.get(j.sha256, [])) for j in rows]
        self.vault.consulted(
            principal, "processing.list", case_id=case_id,
            details={"count": len(views), "status": status, "processor": processor},
        )  # fmt: skip
        return views

    def counts(self, principal: Principal) -> dict[str, int]:
        """How many jobs are in each state, vault-wide (for dashboards and `jobs --live`)."""
        principal.require(Permission.PROCESSING_VIEW)
        with self.vault.reading() as session:
            rows = session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
        return {str(status): int(count) for status, count in rows}

    def reprocess(
        self,
        principal: Principal,
        *,
        processors: list[str] | None = None,
        case: str | None = None,
        failed: bool = False,
    ) -> dict[str, int]:
        """Plan the jobs missing for the current processor versions and parameters (old
        outputs stay for the record); with ``failed``, also run failed jobs again."""
        principal.require(Permission.PROCESSING_MANAGE)
        names = processors or list(self.registry.order)
        unknown = [n for n in names if self.registry.get(n) is None]
        if unknown:
            known = ", ".join(sorted(self.registry.processors))
            raise InvalidInput(f"unknown processor {', '.join(unknown)} (known: {known})")
        case_id = None
        if case is not None:
            with self.vault.reading() as session:
                case_id = self.vault.evidence.find_case(session, principal, case).id

        def work(ctx: WriteContext) -> dict[str, int]:
            session = ctx.session
            now = self.vault.now()
            query = (
                select(Media.sha256, Blob.mime_type)
                .join(Blob, Blob.sha256 == Media.sha256)
                .where(Media.status == "active", Blob.disposed_at.is_(None))
                .distinct()
            )
            if case_id is not None:
                query = query.where(Media.id.in_(select(Exhibit.media_id).where(Exhibit.case_id == case_id)))
            counts = {"planned": 0, "reopened": 0}
            ready: list[Job] = []
            for sha256, mime in session.execute(query).all():
                if failed:
                    for planned in self.registry.plan(mime, names):
                        job = session.scalar(
                            select(Job).where(
                                Job.sha256 == sha256,
                                Job.processor == planned.name,
                                Job.version == planned.processor.version,
                                Job.params_hash == planned.params_hash,
                                Job.status.in_([JobStatus.FAILED, JobStatus.SKIPPED]),
                            )
                        )
                        if job is not None and job.status == JobStatus.FAILED:
                            ready += jobs.reopen(session, job, now, principal.user_id)
                            counts["reopened"] += 1
                before = (
                    session.scalar(select(func.count()).select_from(Job).where(Job.sha256 == sha256)) or 0
                )
                ready += jobs.plan_jobs(
                    session, self.registry, sha256, mime, now, only=names,
                    priority=jobs.REPROCESS_PRIORITY, requested_by=principal.user_id,
                )  # fmt: skip
                after = session.scalar(select(func.count()).select_from(Job).where(Job.sha256 == sha256)) or 0
                counts["planned"] += after - before
            self.dispatcher.after_commit(ctx, ready)
            self.vault.record(
                ctx, principal, "processing.reprocess", EventClass.ADMINISTRATION, case_id=case_id,
                details={"processors": names, "failed": failed, **counts},
            )  # fmt: skip
            return counts

        return self.vault.write(work)

    # --- stills and clips -------------------------------------------------------------------

    def cut(
        self,
        principal: Principal,
        case_key: str,
        ref: str,
        *,
        start: float,
        end: float | None = None,
        producer: str | None = None,
        description: str | None = None,
    ) -> ExhibitView:
        """Cut a clip (start to end) or a still (at start) from a video exhibit; the result
        is a new exhibit of the same case recording its parent, the times and the tool."""
        kind = "clip" if end is not None else "still"
        maker = refs.parse_producer(producer or f"{principal.collar} {principal.name}")
        with self.vault.reading() as session:
            case = self.vault.evidence.find_case(session, principal, case_key)
            exhibit = self.vault.evidence.find_exhibit(session, principal, case, ref)
            principal.require(Permission.EXHIBIT_CONTENT, session, case.id)
            principal.require(Permission.EXHIBIT_ADD, session, case.id)
            media = session.get(Media, exhibit.media_id)
            assert media is not None
            blob = session.get(Blob, media.sha256)
            assert blob is not None
            exhibit_id, source_ref, sha256 = exhibit.id, exhibit.ref, blob.sha256
            captured = media.captured_at
            if not blob.mime_type.startswith("video/"):
                raise InvalidInput(
                    f"{source_ref} is {blob.mime_type}, not a video: stills and clips need a video"
                )
            duration = self.facts(sha256, "probe", session=session).get("probe", {}).get("duration")
        with self.local_copy(sha256) as source:
            if duration is None:
                from exhibits.processing.media.probe import probe_duration

                duration = probe_duration(source)
            cuts.check_times(start, end, duration)
            self.vault.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=self.vault.settings.tmp_dir) as folder:
                limit = float(self.time_limit("proxy"))
                if end is not None:
                    made = cuts.cut_clip(source, Path(folder), start, end, limit)
                else:
                    made = cuts.cut_still(source, Path(folder), start, limit)
                with made.path.open("rb") as handle:
                    stored = self.vault.blobs.ingest(handle, limit=self.vault.settings.max_ingest_bytes)
        label = f"{kind.capitalize()} {cuts.format_time(start)}" + (
            f" to {cuts.format_time(end)}" if end is not None else ""
        )

        def work(ctx: WriteContext) -> ExhibitView:
            session = ctx.session
            source_exhibit = session.get(Exhibit, exhibit_id)
            assert source_exhibit is not None
            new = self.vault.evidence.add_derived_exhibit(
                ctx, principal, source_exhibit, stored, made.mime_type, maker,
                description or f"{label} of {source_ref}", action=f"exhibit.{kind}", details=made.details(),
                captured_at=captured + timedelta(seconds=start) if captured else None,
            )  # fmt: skip
            session.add(
                DerivativeRecord(
                    id=new_id(), parent_sha256=sha256, output_sha256=stored.sha256, kind=kind, label=label,
                    mime_type=made.mime_type, size=stored.size, processor=kind, version=cuts.CUT_VERSION,
                    params={k: v for k, v in made.details().items() if k.endswith("_ms")},
                    params_hash="", job_id=None, position=0, facts={"tool": made.tool},
                    created_at=self.vault.now(),
                )
            )  # fmt: skip
            return self.vault.evidence.exhibit_view(session, new)

        return self.vault.write(work)


def _depth(session: Session, media: Media) -> int:
    depth, current = 0, media
    while current.parent_media_id is not None and depth <= MAX_NESTING:
        parent = session.get(Media, current.parent_media_id)
        if parent is None:
            break
        depth, current = depth + 1, parent
    return depth
