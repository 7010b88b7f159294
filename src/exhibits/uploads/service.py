"""Resumable uploads: bytes arrive in pieces, over days if need be, into the vault's tmp area;
only when the last byte is in does the file become evidence through
``vault.evidence.ingest_upload``: stored content-addressed and recorded in the custody log like
any other ingest, but moved into the blob store rather than copied, under the SHA-256 computed
as the pieces arrived (or, when this process did not see every piece, read from the file).

Partial bytes are never evidence: they are not in the blob store, no exhibit points at them,
and they are removed when the upload completes, is terminated or expires. The offset is the
size of the partial file after fsync, so a crash never claims bytes that are not on disk.
"""

from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, bindparam, inspect, select, update
from sqlalchemy.orm import Session

from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.clock import iso_utc, parse_iso
from exhibits.db.writer import WriteContext
from exhibits.errors import Conflict, ExhibitsError, InvalidInput, NotFound, TooLarge
from exhibits.evidence.service import IngestRequest
from exhibits.ids import new_id
from exhibits.storage.base import is_sha256
from exhibits.uploads.models import Upload
from exhibits.uploads.partial import RunningHashes, append_piece, locked
from exhibits.uploads.tus import OffsetMismatch

if TYPE_CHECKING:
    from exhibits.vault import Vault

PART_SUFFIX = ".part"


class UploadGone(ExhibitsError):
    kind = "upload-gone"
    status = 410
    exit_code = 3


class UploadSettings(BaseModel):
    """``[uploads]`` in exhibits.toml."""

    model_config = ConfigDict(extra="forbid")

    max_bytes: int | None = Field(default=None, ge=1)  # default: the vault's max_ingest_bytes
    expiry_hours: float = Field(default=24, gt=0)  # since the last byte arrived
    cleanup_minutes: float = Field(default=10, gt=0)


@dataclass(frozen=True)
class UploadView:
    id: str
    length: int
    offset: int
    status: str
    metadata: dict[str, str]
    created_at: datetime
    expires_at: datetime
    sha256: str | None
    media_id: str | None
    exhibit_id: str | None
    ref: str | None
    problem: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "length": self.length,
            "offset": self.offset,
            "status": self.status,
            "metadata": self.metadata,
            "created_at": iso_utc(self.created_at),
            "expires_at": iso_utc(self.expires_at),
            "sha256": self.sha256,
            "media_id": self.media_id,
            "exhibit_id": self.exhibit_id,
            "ref": self.ref,
            "problem": self.problem,
        }


def ingest_request(metadata: dict[str, str], upload_id: str) -> IngestRequest:
    captured = metadata.get("captured_at")
    try:
        captured_at = parse_iso(captured) if captured else None
    except ValueError:
        raise InvalidInput("captured_at must be an ISO 8601 time, e.g. 2026-11-21T04:13:00Z") from None
    return IngestRequest(
        case=metadata.get("case") or None,
        producer=metadata.get("producer") or None,
        source=metadata.get("source") or None,
        description=metadata.get("description") or None,
        classification=metadata.get("classification") or None,
        captured_at=captured_at,
        device_id=metadata.get("device") or None,
        extra={"upload": upload_id, "via": "tus"},
    )


class UploadService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.hashes = RunningHashes()
        self._settings: tuple[Any, UploadSettings] | None = None

    @property
    def settings(self) -> UploadSettings:
        """``[uploads]``, validated once per section read from the file (every PATCH asks for
        it, twice); a section replaced in place is validated again when next asked for."""
        raw = (self.vault.settings.model_extra or {}).get("uploads")
        cached = self._settings
        if cached is None or cached[0] is not raw:
            cached = self._settings = (raw, self.vault.settings.section("uploads", UploadSettings))
        return cached[1]

    @property
    def max_size(self) -> int:
        limit = self.vault.settings.max_ingest_bytes
        own = self.settings.max_bytes
        return min(limit, own) if own else limit

    @property
    def directory(self) -> Path:
        return self.vault.settings.tmp_dir / "uploads"

    def part_path(self, upload_id: str) -> Path:
        if not (len(upload_id) == 32 and all(c in "0123456789abcdef" for c in upload_id)):
            raise NotFound("no such upload")
        return self.directory / f"{upload_id}{PART_SUFFIX}"

    def _view(self, row: Upload, path: Path | None = None) -> UploadView:
        path = path or self.part_path(row.id)
        return UploadView(
            row.id, row.length, self._offset(row, path), row.status, dict(row.metadata_ or {}),
            row.created_at, self._expires(row, path), row.sha256, row.media_id, row.exhibit_id, row.ref,
            row.problem,
        )  # fmt: skip

    def _offset(self, row: Upload, path: Path | None = None) -> int:
        if row.status == "complete":
            return row.length
        try:
            return (path or self.part_path(row.id)).stat().st_size
        except FileNotFoundError:
            return 0

    # --- creation --------------------------------------------------------------------------

    def create(self, principal: Principal, length: int, metadata: dict[str, str]) -> UploadView:
        """Check everything about the future exhibit before accepting a single byte."""
        if length > self.max_size:
            raise TooLarge(f"{length:,} bytes is over the {self.max_size:,}-byte limit")
        if length == 0:
            raise InvalidInput("an empty file cannot be evidence")
        declared = metadata.get("sha256")
        if declared is not None and not is_sha256(declared.lower()):
            raise InvalidInput("the sha256 metadata must be 64 hex digits")
        upload_id = new_id()
        # The same checks as any ingest: permission on the case (or to ingest unassigned media),
        # producer, source, classification, capture time.
        self.vault.evidence.check_request(principal, ingest_request(metadata, upload_id))
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        now = self.vault.now()
        row = Upload(
            id=upload_id,
            user_id=principal.user_id,
            length=length,
            metadata_=metadata,
            status="receiving",
            created_at=now,
            expires_at=now + timedelta(hours=self.settings.expiry_hours),
        )
        fd = os.open(self.part_path(upload_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)

        def work(ctx: WriteContext) -> None:
            ctx.session.add(row)

        try:
            self.vault.write(work)
        except BaseException:
            self.part_path(upload_id).unlink(missing_ok=True)
            raise
        return self._view(row)

    # --- reading -------------------------------------------------------------------------

    def _own(self, principal: Principal, upload_id: str) -> Upload:
        with self.vault.reading() as session:
            return self.own(principal, upload_id, session)

    def own(self, principal: Principal, upload_id: str, session: Session) -> Upload:
        """An upload is its uploader's alone; others are told it does not exist. Read in the
        caller's read session (one snapshot with the caller's own check) as plain columns:
        the row reads like an ``Upload`` (a ``Row``, not an entity)."""
        self.part_path(upload_id)  # shape check
        row = session.connection().execute(_upload_query(), {"upload_id": upload_id}).one_or_none()
        if row is None or row.user_id != principal.user_id:
            raise NotFound("no such upload")
        return row

    def status(self, principal: Principal, upload_id: str) -> UploadView:
        principal.require(Permission.ACCOUNT_SELF)
        row = self._own(principal, upload_id)
        if row.status in ("terminated", "expired"):
            raise UploadGone(f"this upload was {row.status}")
        return self._view(row)

    # --- receiving bytes -----------------------------------------------------------------

    def append(
        self,
        principal: Principal,
        row: Upload,
        offset: int,
        source: BinaryIO,
        checksum: tuple[str, bytes] | None = None,
        content_length: int | None = None,
    ) -> UploadView:
        """Append bytes at ``offset`` (which must be where the upload stands) to an upload
        ``own`` has read for this principal. Without a checksum, whatever arrives before an
        interruption is kept so the client resumes from there; with one, the piece is kept
        only if it matches. Completes the upload when the last byte is in."""
        if row.status in ("terminated", "expired", "failed"):
            raise UploadGone(f"this upload was {row.status}")
        if row.status == "complete":
            raise OffsetMismatch("this upload is already complete", offset=row.length)
        path = self.part_path(row.id)
        if self.vault.now() >= self._expires(row, path):
            raise UploadGone("this upload has expired")
        if offset == row.length and not content_length and self._offset(row, path) == row.length:
            # Every byte is in but the upload is not complete: its completion was cut short
            # (a restart), and the file may already be read-only. Complete it now.
            return self._complete(principal, row)
        try:
            end = append_piece(path, offset, row.length, source, checksum, content_length, hashes=self.hashes)
        except FileNotFoundError:
            raise UploadGone("this upload's bytes are gone") from None
        if end == row.length:
            return self._complete(principal, row)
        return self._view(row, path)

    def _expires(self, row: Upload, path: Path | None = None) -> datetime:
        """The deadline moves with every piece that arrives: the partial file's time says when
        the last one did (no database write per piece)."""
        try:
            last = datetime.fromtimestamp((path or self.part_path(row.id)).stat().st_mtime, tz=UTC)
        except FileNotFoundError:
            return row.expires_at
        return max(row.expires_at, last + timedelta(hours=self.settings.expiry_hours))

    def _complete(self, principal: Principal, row: Upload) -> UploadView:
        """The whole file is in: ingest it as evidence, checking the client's SHA-256. Two
        requests may both find every byte in (a last PATCH and a retried empty one): the
        partial file's lock lets one of them complete it, and the other finds it done."""
        path = self.part_path(row.id)
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(locked(path, "this upload is being completed by another request"))
            except FileNotFoundError:  # completed (and removed) while this request waited
                return self._after_completion(self._own(principal, row.id))
            current = self._own(principal, row.id)
            if current.status != "receiving":
                return self._after_completion(current)
            return self._ingest(principal, current, path)

    def _after_completion(self, row: Upload) -> UploadView:
        if row.status == "complete":
            return self._view(row)
        raise UploadGone(f"this upload was {row.status}")

    def _ingest(self, principal: Principal, row: Upload, path: Path) -> UploadView:
        metadata = dict(row.metadata_ or {})
        try:
            outcome = self.vault.evidence.ingest_upload(
                principal,
                path,
                metadata.get("filename"),
                ingest_request(metadata, row.id),
                known_sha256=self.hashes.digest(str(path), row.length),
                expected_sha256=metadata.get("sha256") or None,
            )
        except ExhibitsError as exc:
            self._finish(row.id, status="failed", problem=exc.message)
            path.unlink(missing_ok=True)
            raise
        self._finish(
            row.id,
            status="complete",
            sha256=outcome.sha256,
            media_id=outcome.media_id,
            exhibit_id=outcome.exhibit_id,
            ref=outcome.ref,
        )
        path.unlink(missing_ok=True)
        with self.vault.reading() as session:
            done = session.get(Upload, row.id)
            assert done is not None
            session.expunge(done)
        return self._view(done)

    def _finish(self, upload_id: str, **values: Any) -> None:
        values["finished_at"] = self.vault.now()

        def work(ctx: WriteContext) -> None:
            ctx.session.execute(update(Upload).where(Upload.id == upload_id).values(**values))

        self.vault.write(work)

    # --- termination and expiry ----------------------------------------------------------

    def terminate(self, principal: Principal, upload_id: str) -> None:
        row = self._own(principal, upload_id)
        if row.status == "complete":
            raise Conflict("this upload is complete and is now evidence: it cannot be deleted")
        if row.status != "receiving":
            raise UploadGone(f"this upload was {row.status}")
        path = self.part_path(upload_id)
        busy = "bytes are arriving for this upload right now"
        with contextlib.suppress(FileNotFoundError), locked(path, busy):
            self._finish(upload_id, status="terminated")
            path.unlink()
            self.hashes.forget(str(path))
            return
        self._finish(upload_id, status="terminated")

    def expire(self) -> int:
        """Remove uploads not completed in time, and stray partial files. Returns how many."""
        now = self.vault.now()
        with self.vault.reading() as session:
            receiving = list(session.scalars(select(Upload).where(Upload.status == "receiving")))
            session.expunge_all()
        stale = [row.id for row in receiving if self._expires(row) <= now]
        known = {row.id for row in receiving}
        for upload_id in stale:
            self._finish(upload_id, status="expired")
            part = self.part_path(upload_id)
            part.unlink(missing_ok=True)
            self.hashes.forget(str(part))
        removed = len(stale)
        if self.directory.is_dir():
            grace = timedelta(hours=self.settings.expiry_hours).total_seconds()
            for entry in self.directory.glob(f"*{PART_SUFFIX}"):
                upload_id = entry.name[: -len(PART_SUFFIX)]
                with contextlib.suppress(FileNotFoundError):
                    if upload_id not in known and now.timestamp() - entry.stat().st_mtime > grace:
                        entry.unlink()
                        removed += 1
        return removed


@functools.cache
def _upload_query() -> Select:
    """An upload by id as plain columns named like ``Upload``'s attributes, built once: on
    every tus request, loading an ORM entity cost more than the read itself."""
    columns = inspect(Upload).column_attrs
    return select(*(attr.expression.label(attr.key) for attr in columns)).where(
        Upload.id == bindparam("upload_id")
    )
