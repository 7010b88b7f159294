"""Opening evidence content: a stated justification buys a short-lived URL for one file.

``POST /api/v1/exhibits/{id}/access`` (or the web pages) call ``grant``; it logs one
consultation event with the justification, as DPA 2018 s.62 expects, and returns an
unguessable URL that a video element can then fetch with plain Range requests. Every
fetch re-checks that the person still may open the exhibit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from exhibits.access.models import ContentGrant, User
from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.access.secrets import digest, new_secret, plausible
from exhibits.access.settings import access_settings
from exhibits.clock import iso_utc
from exhibits.custody.events import EventClass
from exhibits.db.writer import WriteContext
from exhibits.errors import ExhibitsError, InvalidInput, JustificationRequired, NotFound
from exhibits.evidence.models import Blob, Exhibit, Media
from exhibits.ids import new_id
from exhibits.storage.base import is_sha256

if TYPE_CHECKING:
    from exhibits.vault import Vault

GRANT_PREFIX = "g_"


class GrantExpired(ExhibitsError):
    kind = "grant-expired"
    status = 410
    exit_code = 4


@dataclass(frozen=True)
class Grant:
    secret: str
    expires_at: datetime
    sha256: str
    size: int
    mime_type: str
    filename: str
    derivative: str | None  # the kind of derivative, or None for the original

    def as_dict(self, url: str) -> dict[str, Any]:
        return {
            "url": url,
            "expires_at": iso_utc(self.expires_at),
            "sha256": self.sha256,
            "size": self.size,
            "mime_type": self.mime_type,
            "derivative": self.derivative,
        }


@dataclass(frozen=True)
class GrantedContent:
    sha256: str
    size: int
    mime_type: str
    filename: str


class GrantService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def check_justification(self, justification: str | None, reason: str | None) -> str | None:
        settings = self.vault.settings
        text = " ".join((justification or "").split()) or None
        if text is not None and len(text) > 2000:
            raise InvalidInput("a justification is at most 2,000 characters")
        if reason is not None and reason not in settings.justification_reasons:
            raise InvalidInput("unknown reason: choose one of " + "; ".join(settings.justification_reasons))
        parts = [p for p in (reason, text) if p]
        if not parts and settings.justification_policy == "required":
            raise JustificationRequired(
                "say why you are opening this evidence: a reason from the list or your own words",
                reasons=list(settings.justification_reasons),
            )
        return ": ".join(parts) if parts else None

    def grant(
        self,
        principal: Principal,
        exhibit_id: str,
        *,
        justification: str | None = None,
        reason: str | None = None,
        sha256: str | None = None,
    ) -> Grant:
        why = self.check_justification(justification, reason)
        with self.vault.reading() as session:
            exhibit = session.get(Exhibit, exhibit_id)
            if exhibit is None:
                raise NotFound("no such exhibit, or you may not see it")
            principal.require_exhibit(Permission.EXHIBIT_CONTENT, session, exhibit)
            media = session.get(Media, exhibit.media_id)
            assert media is not None
            blob = session.get(Blob, media.sha256)
            assert blob is not None
            if blob.disposed_at is not None:
                raise NotFound("this exhibit's content has been disposed of")
            target, kind = blob, None
            mime, size, name = blob.mime_type, blob.size, media.original_name or exhibit.ref
            if sha256 and sha256.lower() != blob.sha256:
                wanted = sha256.lower()
                if not is_sha256(wanted):
                    raise InvalidInput("sha256 must be 64 lowercase hex digits")
                derived = self.vault.plugins.hook.exhibits_derivative(
                    session=session, parent_sha256=blob.sha256, sha256=wanted
                )
                if not derived:
                    raise NotFound("no such derivative of this exhibit")
                kind = str(derived.get("kind") or "derivative")
                target_blob = session.get(Blob, wanted)
                if target_blob is None or target_blob.disposed_at is not None:
                    raise NotFound("no such derivative of this exhibit")
                target = target_blob
                mime = str(derived.get("mime_type") or target_blob.mime_type)
                size = target_blob.size
                name = f"{exhibit.ref.replace('/', '-')}-{kind}"
            case_id, ref, media_id = exhibit.case_id, exhibit.ref, media.id
            sha = target.sha256
        ttl = timedelta(seconds=access_settings(self.vault.settings).grant_ttl_seconds)
        secret = new_secret(GRANT_PREFIX)
        now = self.vault.now()

        def work(ctx: WriteContext) -> None:
            self.vault.record(
                ctx,
                principal,
                "exhibit.open",
                EventClass.CONSULTATION,
                case_id=case_id,
                exhibit_id=exhibit_id,
                media_id=media_id,
                sha256=sha,
                justification=why,
                details={"ref": ref, "derivative": kind, "expires_at": iso_utc(now + ttl)},
            )
            ctx.session.add(
                ContentGrant(
                    id=new_id(),
                    secret_sha256=digest(secret),
                    user_id=principal.user_id,
                    exhibit_id=exhibit_id,
                    sha256=sha,
                    mime_type=mime,
                    filename=(name or ref)[:255],
                    created_at=now,
                    expires_at=now + ttl,
                )
            )

        self.vault.write(work)
        return Grant(secret, now + ttl, sha, size, mime, name or ref, kind)

    def open(self, secret: str) -> GrantedContent:
        """What a grant URL serves, if it is still good and its holder still may open it."""
        if not plausible(secret, GRANT_PREFIX):
            raise NotFound("no such content link")
        with self.vault.reading() as session:
            grant = (
                session.query(ContentGrant).filter(ContentGrant.secret_sha256 == digest(secret)).one_or_none()
            )
            if grant is None:
                raise NotFound("no such content link")
            if grant.revoked_at is not None or self.vault.now() >= grant.expires_at:
                raise GrantExpired("this content link has expired: ask for access again")
            user = session.get(User, grant.user_id)
            exhibit = session.get(Exhibit, grant.exhibit_id)
            assert user is not None and exhibit is not None
            if not user.active:
                raise GrantExpired("this content link has expired: ask for access again")
            principal = Principal.from_user(user, via="web")
            principal.require_exhibit(Permission.EXHIBIT_CONTENT, session, exhibit)
            blob = session.get(Blob, grant.sha256)
            if blob is None or blob.disposed_at is not None:
                raise NotFound("this content has been disposed of")
            return GrantedContent(grant.sha256, blob.size, grant.mime_type, grant.filename)

    def revoke_all(self, ctx: WriteContext, user_id: str) -> int:
        """Inside sign-out-everywhere: links already handed out stop working too."""
        result = ctx.session.execute(
            update(ContentGrant)
            .where(ContentGrant.user_id == user_id, ContentGrant.revoked_at.is_(None))
            .values(revoked_at=self.vault.now())
        )
        return int(result.rowcount or 0)
