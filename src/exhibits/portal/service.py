"""The public evidence portal's use-cases.

Two kinds of caller. A member of the public holds only a token (from a request link, a short
code, or a standing public page) that opens one submission, and only until it is submitted.
Officers triage what arrives: every officer action names a permission and is logged.

Files arrive resumably (tus, exhibits.uploads.tus) into the vault's tmp area; a complete file
is sniffed, stored as content under its SHA-256 (which the receipt quotes) and logged, but it
is not evidence: it becomes an exhibit (source "public submission") only when an officer
accepts the submission into a case, together with a draft MG11 made from the declaration.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy import func, select, update

from exhibits import identifiers
from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.custody.events import EventClass
from exhibits.db.writer import WriteContext
from exhibits.errors import Conflict, ExhibitsError, IntegrityFailure, InvalidInput, NotFound, TooLarge
from exhibits.evidence.service import IngestRequest, safe_name
from exhibits.evidence.sniff import sniff_mime
from exhibits.ids import new_id
from exhibits.portal import forms
from exhibits.portal.forms import N_
from exhibits.portal.limits import RateLimiter
from exhibits.portal.models import PortalCode, PortalFile, PortalPage, PortalSubmission, PortalToken
from exhibits.portal.settings import PortalSettings
from exhibits.portal.views import FileView, Receipt, SubmissionView
from exhibits.storage import IngestResult
from exhibits.storage.base import HEAD_BYTES
from exhibits.uploads.partial import append_piece
from exhibits.uploads.tus import OffsetMismatch

if TYPE_CHECKING:
    from exhibits.vault import Vault

TOKEN_PREFIX = "pub_"
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: read aloud or texted
CODE_LENGTH = 10  # about 49 bits; guesses are rate-limited per address
SNIFF_AFTER = 4096  # bytes of a file's start that decide its type before the rest is accepted
ANSWERING = "open"


class UnsupportedMediaType(ExhibitsError):
    kind = "unsupported-media-type"
    status = 415
    exit_code = 2


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def _code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def _reference() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"PS-{raw[:4]}-{raw[4:]}"


class PortalService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.limiter = RateLimiter()
        self._swept_at: datetime | None = None

    @property
    def settings(self) -> PortalSettings:
        return self.vault.settings.section("portal", PortalSettings)

    def form(self, name: str) -> forms.Form:
        try:
            return self.settings.forms[name]
        except KeyError:
            raise InvalidInput(
                f"no question set {name!r}: use {', '.join(sorted(self.settings.forms))}"
            ) from None

    @cached_property
    def directory(self) -> Path:
        return self.vault.settings.tmp_dir / "portal"

    def _part(self, file_id: str) -> Path:
        return self.directory / f"{file_id}.part"

    # --- rate limits (the web adapter calls these with the caller's address) ----------------

    def client_address(self, peer: str | None, forwarded_for: str | None) -> str:
        """Who is calling, for the per-address limits: the peer, or, when the peer is a trusted
        reverse proxy, the address it appended last to X-Forwarded-For."""
        peer = peer or "unknown"
        if forwarded_for and peer in self.settings.trusted_proxies:
            last = forwarded_for.split(",")[-1].strip()
            if last:
                return last[:64]
        return peer

    def limit_address(self, address: str, *, starting: bool = False) -> None:
        settings = self.settings
        self.limiter.hit("address", address, settings.per_address_per_minute, 60)
        if starting:
            self.limiter.hit("start", address, settings.starts_per_address_per_hour, 3600)

    def limit_link(self, token: str) -> None:
        self.limiter.hit("link", digest(token), self.settings.per_link_per_minute, 60)

    # --- officers: requests and standing pages -----------------------------------------------

    def create_request(
        self,
        principal: Principal,
        *,
        form: str = "dashcam",
        case: str | None = None,
        appeal: str | None = None,
    ) -> tuple[SubmissionView, str, str]:
        """A link (token) and short code for one member of the public. Returns (view, token, code)."""
        principal.require(Permission.PORTAL_TRIAGE)
        self.form(form)
        appeal = (appeal or "").strip() or None
        if appeal and len(appeal) > 300:
            raise InvalidInput("the appeal text is at most 300 characters")
        case_id = None
        if case:
            with self.vault.reading() as session:
                found = self.vault.evidence.find_case(session, principal, case)
                principal.require(Permission.EXHIBIT_ADD, session, found.id)
                case_id = found.id
        elif not appeal:
            raise InvalidInput("a request is for a case, or for an appeal: give one")
        self.sweep()
        token, code = TOKEN_PREFIX + secrets.token_urlsafe(32), _code()
        expires = self.vault.now() + timedelta(days=self.settings.link_days)

        def work(ctx: WriteContext) -> SubmissionView:
            row = self._new_submission(
                ctx, form, expires, case_id=case_id, appeal=appeal, by=principal.user_id
            )
            ctx.session.add(
                PortalToken(
                    token_sha256=digest(token), submission_id=row.id, kind="link", created_at=row.created_at
                )
            )
            ctx.session.add(PortalCode(code_sha256=digest(normalise_code(code)), submission_id=row.id))
            self.vault.record(
                ctx,
                principal,
                "portal.request.create",
                EventClass.ADMINISTRATION,
                case_id=case_id,
                details={
                    "submission": row.id,
                    "reference": row.reference,
                    "form": form,
                    "expires_at": expires.isoformat(),
                },
            )
            return SubmissionView.of(row, [])

        return self.vault.write(work), token, code

    def _new_submission(
        self, ctx: WriteContext, form: str, expires: datetime, **fields: Any
    ) -> PortalSubmission:
        row = PortalSubmission(
            id=new_id(),
            reference=_reference(),
            form=form,
            appeal=fields.get("appeal"),
            case_id=fields.get("case_id"),
            page_id=fields.get("page_id"),
            requested_by=fields.get("by"),
            status=ANSWERING,
            created_at=self.vault.now(),
            expires_at=expires,
            submitter={},
            answers={},
            declaration={},
        )
        ctx.session.add(row)
        ctx.session.flush()
        return row

    def set_page(
        self, principal: Principal, slug: str, *, form: str, title: str | None, enabled: bool
    ) -> dict:
        """Open (or close) a standing public page such as /portal/p/dashcam."""
        principal.require(Permission.PORTAL_MANAGE)
        definition = self.form(form)
        slug = slug.strip().lower()
        if not slug.replace("-", "").isalnum() or len(slug) > 64:
            raise InvalidInput("a page name is letters, digits and hyphens")

        def work(ctx: WriteContext) -> dict:
            page = ctx.session.scalar(select(PortalPage).where(PortalPage.slug == slug))
            if page is None:
                page = PortalPage(
                    id=new_id(),
                    slug=slug,
                    form=form,
                    title=title or definition.title,
                    enabled=enabled,
                    created_by=principal.user_id,
                    created_at=self.vault.now(),
                )
                ctx.session.add(page)
            else:
                page.form, page.title, page.enabled = form, title or page.title, enabled
            self.vault.record(
                ctx,
                principal,
                "portal.page.set",
                EventClass.ADMINISTRATION,
                details={"page": slug, "form": form, "enabled": enabled},
            )
            return {"slug": slug, "form": form, "title": page.title, "enabled": enabled}

        return self.vault.write(work)

    def page(self, slug: str) -> dict:
        """A standing page as the public sees it (enabled ones only)."""
        with self.vault.reading() as session:
            page = session.scalar(select(PortalPage).where(PortalPage.slug == slug.strip().lower()))
            if page is None or not page.enabled:
                raise NotFound("no such page")
            return {"slug": page.slug, "form": page.form, "title": page.title}

    # --- the public: opening a submission -----------------------------------------------------

    def start_from_page(self, slug: str) -> tuple[SubmissionView, str]:
        """Someone starts a report on a standing page: a new submission and its own token."""
        page = self.page(slug)
        self.sweep()
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires = self.vault.now() + timedelta(days=self.settings.page_days)

        def work(ctx: WriteContext) -> SubmissionView:
            page_id = ctx.session.scalar(select(PortalPage.id).where(PortalPage.slug == page["slug"]))
            row = self._new_submission(ctx, page["form"], expires, page_id=page_id)
            ctx.session.add(
                PortalToken(
                    token_sha256=digest(token), submission_id=row.id, kind="link", created_at=row.created_at
                )
            )
            self._public_event(ctx, row, "portal.submission.start", page=page["slug"])
            return SubmissionView.of(row, [])

        return self.vault.write(work), token

    def redeem_code(self, code: str) -> str:
        """A short code read from a letter or a text message: a fresh token for its submission."""
        wanted = digest(normalise_code(code))
        with self.vault.reading() as session:
            row = session.get(PortalCode, wanted)
            submission = session.get(PortalSubmission, row.submission_id) if row else None
            if submission is None or not self._answerable(submission):
                raise NotFound("that code is not known, has expired or has been used")
            submission_id = submission.id
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)

        def work(ctx: WriteContext) -> None:
            ctx.session.add(
                PortalToken(
                    token_sha256=digest(token),
                    submission_id=submission_id,
                    kind="code",
                    created_at=self.vault.now(),
                )
            )

        self.vault.write(work)
        return token

    def _answerable(self, row: PortalSubmission) -> bool:
        return row.status == ANSWERING and self.vault.now() < row.expires_at

    def _by_token(self, session, token: str) -> PortalSubmission:
        """The one submission a token opens, while it can still be answered; else 404 for all."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
            raise NotFound("this link is not known, has expired or has already been used")
        link = session.get(PortalToken, digest(token))
        row = session.get(PortalSubmission, link.submission_id) if link else None
        if row is None or not self._answerable(row):
            raise NotFound("this link is not known, has expired or has already been used")
        return row

    def _files(self, session, submission_id: str) -> list[PortalFile]:
        return list(
            session.scalars(
                select(PortalFile)
                .where(PortalFile.submission_id == submission_id, PortalFile.status != "removed")
                .order_by(PortalFile.created_at, PortalFile.id)
            )
        )

    def open(self, token: str) -> SubmissionView:
        with self.vault.reading() as session:
            row = self._by_token(session, token)
            return SubmissionView.of(
                row, [FileView.of(f, self._offset(f)) for f in self._files(session, row.id)]
            )

    def save(self, token: str, submitter: dict[str, Any], answers: dict[str, Any]) -> SubmissionView:
        """Who they are, how to reach them, and their answers (may be saved again until submitted)."""
        with self.vault.reading() as session:
            form = self.form(self._by_token(session, token).form)
        person = validate_submitter(submitter)
        clean = forms.validate_answers(form, answers, self.vault.now())

        def work(ctx: WriteContext) -> SubmissionView:
            row = self._by_token(ctx.session, token)
            row.submitter, row.answers = person, clean
            row.offence_at = forms.offence_time(clean) if form.driving else None
            return SubmissionView.of(row, [])

        return self.vault.write(work)

    # --- the public: files (tus) --------------------------------------------------------------

    def sweep(self, every: timedelta = timedelta(minutes=10)) -> None:
        """Expire unsent submissions now and then, as new ones start (no extra process needed;
        ``exhibits portal expire`` does the same from cron)."""
        now = self.vault.now()
        if self._swept_at is None or now - self._swept_at >= every:
            self._swept_at = now
            self.expire()

    def create_file(self, token: str, length: int, filename: str | None) -> FileView:
        settings = self.settings
        if length <= 0:
            raise InvalidInput("an empty file cannot be evidence")
        if length > settings.max_file_bytes:
            raise TooLarge(
                f"{length:,} bytes is over the {settings.max_file_bytes:,}-byte limit for one file"
            )
        name = safe_name(filename)[:255] if filename else None
        file_id = new_id()
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)

        def work(ctx: WriteContext) -> FileView:
            row = self._by_token(ctx.session, token)
            if len(self._files(ctx.session, row.id)) >= settings.max_files:
                raise Conflict(f"a submission holds at most {settings.max_files} files")
            entry = PortalFile(
                id=file_id,
                submission_id=row.id,
                original_name=name,
                length=length,
                status="receiving",
                created_at=self.vault.now(),
            )
            ctx.session.add(entry)
            return FileView.of(entry, 0)

        fd = os.open(self._part(file_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        try:
            return self.vault.write(work)
        except BaseException:
            self._part(file_id).unlink(missing_ok=True)
            raise

    def _file(self, token: str, file_id: str) -> PortalFile:
        """A file of the token's own submission; any other is 'not found'."""
        with self.vault.reading() as session:
            submission = self._by_token(session, token)
            entry = session.get(PortalFile, file_id) if len(file_id) == 32 else None
            if entry is None or entry.submission_id != submission.id or entry.status == "removed":
                raise NotFound("no such file in this submission")
            session.expunge(entry)
            return entry

    def _offset(self, entry: PortalFile) -> int:
        if entry.status == "complete":
            return entry.length
        try:
            return self._part(entry.id).stat().st_size
        except FileNotFoundError:
            return 0

    def file_status(self, token: str, file_id: str) -> FileView:
        entry = self._file(token, file_id)
        return FileView.of(entry, self._offset(entry))

    def append(
        self,
        token: str,
        file_id: str,
        offset: int,
        source: BinaryIO,
        checksum: tuple[str, bytes] | None = None,
        content_length: int | None = None,
    ) -> FileView:
        """tus PATCH: bytes from ``offset``. The first few kilobytes decide whether the file is
        of an allowed type; the last byte makes it content with a SHA-256."""
        entry = self._file(token, file_id)
        if entry.status != "receiving":
            if entry.status == "complete":
                raise OffsetMismatch("this file is complete", offset=entry.length)
            raise NotFound("this file was refused: send it again as a new file")

        def sniff(fd: int, start: int, end: int) -> None:
            if start < SNIFF_AFTER <= end or (end == entry.length and start < SNIFF_AFTER):
                self._check_type(fd, entry)

        try:
            end = append_piece(
                self._part(file_id), offset, entry.length, source, checksum, content_length,
                noun="file", written=sniff,
            )  # fmt: skip
        except FileNotFoundError:
            raise NotFound("this file's bytes are gone: send it again") from None
        if end == entry.length:
            return self._complete(entry)
        return FileView.of(entry, end)

    def _check_type(self, fd: int, entry: PortalFile) -> str:
        head = os.pread(fd, HEAD_BYTES, 0)
        mime = sniff_mime(head)
        if mime not in self.settings.allowed_types:
            self._refuse(entry, "the file's content is not a video, photograph or audio recording")
            raise UnsupportedMediaType(
                "this file is not a video, photograph or sound recording we can accept "
                f"(its content reads as {mime})"
            )
        return mime

    def _refuse(self, entry: PortalFile, problem: str) -> None:
        self._part(entry.id).unlink(missing_ok=True)

        def work(ctx: WriteContext) -> None:
            ctx.session.execute(
                update(PortalFile).where(PortalFile.id == entry.id).values(status="refused", problem=problem)
            )

        self.vault.write(work)

    def _complete(self, entry: PortalFile) -> FileView:
        path = self._part(entry.id)
        with path.open("rb") as handle:
            mime = self._check_type(handle.fileno(), entry)
            stored = self.vault.blobs.ingest(handle, limit=self.settings.max_file_bytes)

        def work(ctx: WriteContext) -> FileView:
            session = ctx.session
            row = session.get(PortalFile, entry.id)
            submission = session.get(PortalSubmission, entry.submission_id)
            assert row is not None and submission is not None
            if row.status != "receiving":
                raise Conflict("this file is no longer being received")
            self.vault.evidence.ensure_blob(session, stored, mime, self.vault.now())
            row.status, row.sha256, row.mime_type = "complete", stored.sha256, mime
            row.completed_at = self.vault.now()
            self._public_event(
                ctx,
                submission,
                "portal.file.receive",
                sha256=stored.sha256,
                outputs=[stored.sha256],
                size=stored.size,
                mime_type=mime,
                original_name=row.original_name,
                file=row.id,
            )
            return FileView.of(row, row.length)

        try:
            return self.vault.write(work)
        finally:
            path.unlink(missing_ok=True)

    def remove_file(self, token: str, file_id: str) -> None:
        """tus termination: the member of the public takes a file back before submitting."""
        entry = self._file(token, file_id)

        def work(ctx: WriteContext) -> None:
            ctx.session.execute(update(PortalFile).where(PortalFile.id == entry.id).values(status="removed"))
            if entry.status == "complete":
                submission = ctx.session.get(PortalSubmission, entry.submission_id)
                self._public_event(ctx, submission, "portal.file.remove", sha256=entry.sha256, file=entry.id)

        self.vault.write(work)
        self._part(file_id).unlink(missing_ok=True)

    # --- the public: the declaration and the receipt ------------------------------------------

    def submit(self, token: str, declaration: dict[str, Any]) -> Receipt:
        """The witness declaration closes the submission: every token of it stops working."""
        clean = validate_declaration(declaration)

        def work(ctx: WriteContext) -> Receipt:
            row = self._by_token(ctx.session, token)
            if not row.submitter or not row.answers:
                raise Conflict(N_("say who you are and answer the questions first"))
            signature = " ".join(clean["signature"].lower().split())
            if signature != " ".join(str(row.submitter.get("name", "")).lower().split()):
                raise InvalidInput(N_("type your full name exactly as you gave it, to sign the declaration"))
            files = self._files(ctx.session, row.id)
            if any(f.status == "receiving" for f in files):
                raise Conflict(N_("a file is still being sent: wait for it to finish, or remove it"))
            complete = [f for f in files if f.status == "complete"]
            if not complete:
                raise Conflict(N_("add at least one file"))
            now = self.vault.now()
            row.declaration = {**clean, "text": forms.DECLARATION, "made_at": now.isoformat()}
            row.status, row.submitted_at = "submitted", now
            ctx.session.query(PortalToken).filter(PortalToken.submission_id == row.id).delete()
            ctx.session.query(PortalCode).filter(PortalCode.submission_id == row.id).delete()
            self._public_event(
                ctx, row, "portal.submission.submit", inputs=[f.sha256 for f in complete], files=len(complete)
            )
            return Receipt(
                row.reference, now, [(f.original_name, f.length, f.sha256 or "") for f in complete]
            )

        return self.vault.write(work)

    def _public_event(self, ctx: WriteContext, row: PortalSubmission, action: str, **fields: Any) -> None:
        """An event by a member of the public: no account, so no actor; 'via' says where from."""
        event_fields = {k: fields.pop(k) for k in ("sha256", "inputs", "outputs") if k in fields}
        draft = self.vault.draft(
            None,
            action,
            EventClass.CONTINUITY,
            case_id=row.case_id,
            details={"submission": row.id, "reference": row.reference, **fields},
            **event_fields,
        )
        draft.via = "portal"
        ctx.record(draft)

    # --- officers: triage ------------------------------------------------------------------

    def _visible(self, session, principal: Principal, row: PortalSubmission) -> bool:
        """Submissions asked for in a case are seen by triagers who may read that case."""
        return row.case_id is None or principal.has(Permission.CASE_READ, session, row.case_id)

    def queue(
        self, principal: Principal, *, status: str = "submitted", limit: int = 50
    ) -> list[SubmissionView]:
        """Submissions awaiting a decision, the soonest NIP deadline first."""
        principal.require(Permission.PORTAL_TRIAGE)
        if status not in ("submitted", "accepted", "rejected", "open"):
            raise InvalidInput("status is one of open, submitted, accepted, rejected")
        with self.vault.reading() as session:
            rows = [
                r
                for r in session.scalars(
                    select(PortalSubmission)
                    .where(PortalSubmission.status == status)
                    .order_by(PortalSubmission.submitted_at, PortalSubmission.created_at)
                )
                if self._visible(session, principal, r)
            ]
            views = [SubmissionView.of(r, self._file_views(session, r.id)) for r in rows]
        views.sort(key=lambda v: (v.nip_deadline is None, v.nip_deadline or v.created_at))
        views = views[:limit]
        self.vault.consulted(principal, "portal.queue", details={"status": status, "count": len(views)})
        return views

    def _file_views(self, session, submission_id: str) -> list[FileView]:
        return [FileView.of(f, self._offset(f)) for f in self._files(session, submission_id)]

    def _triageable(self, session, principal: Principal, submission_id: str) -> PortalSubmission:
        principal.require(Permission.PORTAL_TRIAGE)
        row = session.get(PortalSubmission, submission_id) if len(submission_id) == 32 else None
        if row is None or not self._visible(session, principal, row):
            raise NotFound("no such submission")
        return row

    def get(self, principal: Principal, submission_id: str) -> SubmissionView:
        with self.vault.reading() as session:
            row = self._triageable(session, principal, submission_id)
            view = SubmissionView.of(row, self._file_views(session, row.id), full=True)
        self.vault.consulted(
            principal,
            "portal.submission.view",
            case_id=view.case_id,
            details={"submission": view.id, "reference": view.reference},
        )
        return view

    def review_file(
        self, principal: Principal, submission_id: str, file_id: str, *, log: bool = True
    ) -> FileView:
        """A received file of a submission, for a triager to watch before deciding. Each viewing
        is a consultation event (a player's later range requests continue it: ``log=False``)."""
        with self.vault.reading() as session:
            row = self._triageable(session, principal, submission_id)
            entry = session.get(PortalFile, file_id) if len(file_id) == 32 else None
            if entry is None or entry.submission_id != row.id or entry.status != "complete":
                raise NotFound("no such file in this submission")
            view, case_id, reference = FileView.of(entry, entry.length), row.case_id, row.reference
        if log:
            details = {"submission": submission_id, "reference": reference, "file": file_id}
            self.vault.consulted(
                principal, "portal.file.view", case_id=case_id, sha256=view.sha256,
                justification="triage of a public submission", details=details,
            )  # fmt: skip
        return view

    def reject(self, principal: Principal, submission_id: str, reason: str) -> SubmissionView:
        reason = (reason or "").strip()
        if not reason or len(reason) > 2000:
            raise InvalidInput("give a reason for rejecting the submission (at most 2000 characters)")

        def work(ctx: WriteContext) -> SubmissionView:
            row = self._triageable(ctx.session, principal, submission_id)
            if row.status != "submitted":
                raise Conflict(f"this submission is {row.status}, not awaiting a decision")
            row.status, row.decided_by, row.decided_at = "rejected", principal.user_id, self.vault.now()
            row.decision_reason = reason
            self.vault.record(
                ctx,
                principal,
                "portal.submission.reject",
                EventClass.CONTINUITY,
                case_id=row.case_id,
                details={"submission": row.id, "reference": row.reference, "reason": reason},
            )
            return SubmissionView.of(row, self._file_views(ctx.session, row.id))

        return self.vault.write(work)

    def accept(self, principal: Principal, submission_id: str, case: str | None = None) -> SubmissionView:
        """Into a case: each file becomes an exhibit produced by the witness (source "public
        submission"), and a draft MG11 is made from the account and the declaration, all in
        one unit of work. Stored content is re-hashed first: it must still be what was receipted."""
        with self.vault.reading() as session:
            row = self._triageable(session, principal, submission_id)
            if row.status != "submitted":
                raise Conflict(f"this submission is {row.status}, not awaiting a decision")
            target = case or row.case_id
            if not target:
                raise InvalidInput("name the case to accept this submission into")
            found = self.vault.evidence.find_case(session, principal, target)
            principal.require(Permission.EXHIBIT_ADD, session, found.id)
            principal.require(Permission.CASEFILE_WRITE, session, found.id)
            case_id, crime_ref = found.id, found.crime_ref
            files = [f for f in self._files(session, row.id) if f.status == "complete"]
            session.expunge_all()
        witness = str(row.submitter["name"])
        stored: list[tuple[PortalFile, IngestResult, Any]] = []
        for entry in files:
            assert entry.sha256 is not None
            if self.vault.blobs.rehash(entry.sha256) != entry.sha256:
                raise IntegrityFailure(f"stored content of {entry.sha256[:12]} no longer matches its receipt")
            result = IngestResult(
                entry.sha256,
                entry.length,
                self.vault.blobs.read_range(entry.sha256, 0, HEAD_BYTES),
                created=False,
            )
            checked = self.vault.evidence.check_request(
                principal,
                IngestRequest(
                    case=case_id,
                    producer=witness,
                    source="public",
                    incident_ref=row.reference,
                    description=f"Public submission {row.reference}: {entry.original_name or 'file'}",
                    extra={"portal_submission": row.id, "reference": row.reference},
                ),
            )
            stored.append((entry, result, checked))
        draft = statement(row, self.vault.now())
        from exhibits.casefile import schemas

        schemas.validate_form("MG11", {**draft, "exhibits_produced": ["X/1"]})

        def work(ctx: WriteContext) -> SubmissionView:
            session = ctx.session
            current = self._triageable(session, principal, submission_id)
            if current.status != "submitted":
                raise Conflict(f"this submission is {current.status}, not awaiting a decision")
            refs = []
            for entry, result, checked in stored:
                outcome = self.vault.evidence.record_ingest(
                    ctx,
                    principal,
                    result,
                    entry.mime_type or "application/octet-stream",
                    entry.original_name,
                    checked,
                )
                session.execute(
                    update(PortalFile)
                    .where(PortalFile.id == entry.id)
                    .values(exhibit_id=outcome.exhibit_id, ref=outcome.ref)
                )
                refs.append(outcome.ref)
            data = schemas.validate_form("MG11", {**draft, "exhibits_produced": refs})
            record = self.vault.casefile.records.new_record(
                ctx, principal, case_id, "MG11", f"Statement of {witness}", data
            )
            current.status, current.decided_by, current.decided_at = (
                "accepted",
                principal.user_id,
                self.vault.now(),
            )
            current.accepted_case_id, current.statement_id = case_id, record.id
            self.vault.record(
                ctx,
                principal,
                "portal.submission.accept",
                EventClass.CONTINUITY,
                case_id=case_id,
                inputs=[e.sha256 for e, _, _ in stored if e.sha256],
                details={
                    "submission": current.id,
                    "reference": current.reference,
                    "crime_ref": crime_ref,
                    "exhibits": refs,
                    "statement": record.id,
                },
            )
            session.flush()
            return SubmissionView.of(current, self._file_views(session, current.id), full=True)

        return self.vault.write(work)

    def counts(self, principal: Principal) -> dict[str, int]:
        """How many submissions await triage (for a home page's 'needs attention')."""
        principal.require(Permission.PORTAL_TRIAGE)
        with self.vault.reading() as session:
            total = session.scalar(
                select(func.count())
                .select_from(PortalSubmission)
                .where(PortalSubmission.status == "submitted")
            )
        return {"submitted": int(total or 0)}

    def expire(self) -> int:
        """Close submissions never submitted in time and remove their partial bytes."""
        now = self.vault.now()
        with self.vault.reading() as session:
            stale = list(
                session.scalars(
                    select(PortalSubmission.id).where(
                        PortalSubmission.status == ANSWERING, PortalSubmission.expires_at <= now
                    )
                )
            )
            receiving = list(
                session.scalars(
                    select(PortalFile.id).where(
                        PortalFile.submission_id.in_(stale), PortalFile.status == "receiving"
                    )
                )
            )
        if not stale:
            return 0

        def work(ctx: WriteContext) -> None:
            ctx.session.execute(
                update(PortalSubmission).where(PortalSubmission.id.in_(stale)).values(status="expired")
            )
            ctx.session.query(PortalToken).filter(PortalToken.submission_id.in_(stale)).delete()
            ctx.session.query(PortalCode).filter(PortalCode.submission_id.in_(stale)).delete()

        self.vault.write(work)
        for file_id in receiving:
            with contextlib.suppress(FileNotFoundError):
                self._part(file_id).unlink()
        return len(stale)


def validate_submitter(data: dict[str, Any]) -> dict[str, str]:
    def text(key: str, limit: int) -> str:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{key}: must be text")
        value = " ".join((value or "").split())
        if len(value) > limit:
            raise InvalidInput(f"{key}: at most {limit} characters")
        return value

    name = text("name", 200)
    if not name:
        raise InvalidInput("name: " + N_("your full name is needed"))
    person = {"name": name}
    email, phone = text("email", 254), text("phone", 32)
    if email:
        if not identifiers.normalise_email(email):
            raise InvalidInput("email: " + N_("not an email address"))
        person["email"] = identifiers.normalise_email(email)  # type: ignore[assignment]
    if phone:
        if not identifiers.normalise_phone(phone):
            raise InvalidInput("phone: " + N_("not a telephone number"))
        person["phone"] = identifiers.normalise_phone(phone)  # type: ignore[assignment]
    if not email and not phone:
        raise InvalidInput(
            "email: " + N_("give an email address or a telephone number so that an officer can contact you")
        )
    address = text("address", 500)
    if address:
        person["address"] = address
    postcode = text("postcode", 10)
    if postcode:
        normal = identifiers.normalise_postcode(postcode)
        if not normal:
            raise InvalidInput("postcode: " + N_("not a UK postcode"))
        person["postcode"] = normal
    return person


def validate_declaration(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("true_statement") is not True:
        raise InvalidInput(N_("confirm the declaration to submit"))
    if data.get("over_18") is not True:
        raise InvalidInput(N_("statements through this service are from people aged 18 or over"))
    signature = data.get("signature")
    if not isinstance(signature, str) or not signature.strip() or len(signature) > 200:
        raise InvalidInput(N_("type your full name to sign"))
    court = data.get("willing_to_attend_court")
    if court is not None and not isinstance(court, bool):
        raise InvalidInput("willing_to_attend_court: yes or no")
    return {
        "true_statement": True,
        "over_18": True,
        "signature": signature.strip(),
        "willing_to_attend_court": court,
    }


def statement(row: PortalSubmission, now: datetime) -> dict[str, Any]:
    """A draft MG11 from the answers and the declaration; the officer reviews it with the witness."""
    answers = row.answers
    parts = []
    if answers.get("offence_date"):
        when = answers["offence_date"] + (
            f" at about {answers['offence_time']}" if answers.get("offence_time") else ""
        )
        parts.append(f"On {when}")
    if answers.get("location"):
        parts.append(f"at {answers['location']}")
    opening = " ".join(parts)
    lines = [f"{opening}, I recorded the footage I have sent to the police." if opening else ""]
    if answers.get("vrm"):
        vehicle = f" ({answers['vehicle']})" if answers.get("vehicle") else ""
        lines.append(
            f"The vehicle concerned had the registration {identifiers.display_vrm(answers['vrm'])}{vehicle}."
        )
    if answers.get("account"):
        lines.append(answers["account"])
    submitted = (row.submitted_at or now).date()
    lines.append(
        "I submitted this account and my footage through the police public evidence portal, "
        f"reference {row.reference}, on {submitted.isoformat()}, and I produce the files as exhibits."
    )
    return {
        "statement_of": row.submitter["name"],
        "age": "over 18",
        "statement_date": submitted.isoformat(),
        "body": "\n\n".join(line for line in lines if line),
    }
