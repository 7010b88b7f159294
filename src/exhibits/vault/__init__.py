"""The vault: one data directory's settings, records, blobs and custody log, wired together.

``Vault.open(path)`` is the composition root. Adapters (CLI, API, workers) hold one Vault
per process and call its services; services reach storage only through it.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session

from exhibits.clock import utcnow
from exhibits.config import Settings, load_settings
from exhibits.custody.events import EventClass, EventDraft
from exhibits.custody.keys import CheckpointSigner, load_signer
from exhibits.custody.log import CustodyLog
from exhibits.db.engine import Database
from exhibits.db.writer import WriteContext, Writer
from exhibits.hooks import plugin_manager
from exhibits.storage import BlobStore, open_blob_store

if TYPE_CHECKING:
    from exhibits.access.facade import AccessServices
    from exhibits.access.principal import Principal
    from exhibits.access.service import UserService
    from exhibits.analysis.service import AnalysisService
    from exhibits.casefile.service import CaseFileService
    from exhibits.custody.service import CustodyService
    from exhibits.evidence.service import EvidenceService
    from exhibits.processing.service import ProcessingService
    from exhibits.redaction.service import RedactionService
    from exhibits.search.service import SearchService
    from exhibits.uploads.service import UploadService

T = TypeVar("T")


class Vault:
    def __init__(self, settings: Settings, *, signer: CheckpointSigner | None = None) -> None:
        self.settings = settings
        self.db = Database(settings.database_url)
        self.blobs: BlobStore = open_blob_store(settings.blob_url, settings.tmp_dir)
        self._signer = signer
        self.log = CustodyLog(
            settings.log_origin,
            lambda: self.signer,
            timedelta(seconds=settings.checkpoint_interval_seconds),
        )
        self.writer = Writer(self.db, self._finalise, prepare=self.log.lock_head)
        self.plugins = plugin_manager()
        self.now: Callable[[], datetime] = utcnow
        self.os_user = _os_user()
        self.plugins.hook.exhibits_vault_opened(vault=self)

    @classmethod
    def open(cls, path: Path) -> Vault:
        return cls(load_settings(path))

    def close(self) -> None:
        self.writer.close()
        self.db.dispose()

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- signing -------------------------------------------------------------------------

    @property
    def signer(self) -> CheckpointSigner:
        if self._signer is None:
            secret = self.settings.signing_key
            self._signer = load_signer(
                self.settings.log_origin,
                key_file=self.settings.signing_key_file,
                key_text=secret.get_secret_value() if secret else None,
                provider=self.settings.signing_key_provider,
            )
        return self._signer

    def _finalise(self, session: Session, drafts: list[EventDraft], flags: dict[str, Any]) -> None:
        self.log.append(
            session,
            drafts,
            self.now(),
            cosigners=flags.get("cosigners", ()),
            force_checkpoint=bool(flags.get("checkpoint")),
        )

    # --- units of work -------------------------------------------------------------------

    def write(self, fn: Callable[[WriteContext], T]) -> T:
        """Run ``fn`` in the single writer and return once it is durably committed."""
        return self.writer.run(fn)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self.db.reading() as session:
            yield session

    def record(
        self,
        ctx: WriteContext,
        principal: Principal | None,
        action: str,
        event_class: EventClass,
        **fields: Any,
    ) -> EventDraft:
        """Stage a custody event by ``principal`` in the current unit of work."""
        return ctx.record(self.draft(principal, action, event_class, **fields))

    def draft(
        self, principal: Principal | None, action: str, event_class: EventClass, **fields: Any
    ) -> EventDraft:
        return EventDraft(
            action=action,
            event_class=event_class,
            actor=principal.actor if principal else None,
            via=principal.via if principal else "system",
            os_user=(principal.os_user if principal else None) or self.os_user,
            asserted_by=principal.asserted_by if principal else None,
            **fields,
        )

    def consulted(self, principal: Principal, action: str, **fields: Any) -> EventDraft:
        """Log one consultation (a read of evidence or its metadata), durably, before answering."""
        draft = self.draft(principal, action, EventClass.CONSULTATION, **fields)
        self.writer.append([draft])
        return draft

    def consulting(self, principal: Principal, action: str, **fields: Any) -> Future:
        """``consulted`` without waiting in this thread: the returned future is done once the
        event is durable. The caller must wait for it (``asyncio.wrap_future``) and check
        its result before answering: the event loop is woken by the writer directly."""
        draft = self.draft(principal, action, EventClass.CONSULTATION, **fields)
        return self.writer.append_pending([draft])

    # --- services ------------------------------------------------------------------------

    @cached_property
    def evidence(self) -> EvidenceService:
        from exhibits.evidence.service import EvidenceService

        return EvidenceService(self)

    @cached_property
    def users(self) -> UserService:
        from exhibits.access.service import UserService

        return UserService(self)

    @cached_property
    def custody(self) -> CustodyService:
        from exhibits.custody.service import CustodyService

        return CustodyService(self)

    @cached_property
    def analysis(self) -> AnalysisService:
        from exhibits.analysis.service import AnalysisService

        return AnalysisService(self)

    @cached_property
    def search(self) -> SearchService:
        from exhibits.search.service import SearchService

        return SearchService(self)

    @cached_property
    def redaction(self) -> RedactionService:
        from exhibits.redaction.service import RedactionService

        return RedactionService(self)

    @cached_property
    def casefile(self) -> CaseFileService:
        from exhibits.casefile.service import CaseFileService

        return CaseFileService(self)

    @cached_property
    def access(self) -> AccessServices:
        from exhibits.access.facade import AccessServices

        return AccessServices(self)

    @cached_property
    def uploads(self) -> UploadService:
        from exhibits.uploads.service import UploadService

        return UploadService(self)

    @cached_property
    def processing(self) -> ProcessingService:
        from exhibits.processing.service import ProcessingService

        return ProcessingService(self)


def _os_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None
