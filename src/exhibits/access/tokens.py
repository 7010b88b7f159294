"""Personal API tokens for scripts and devices: high-entropy, shown once, stored as SHA-256,
with an expiry, revocable one by one or all at once ("sign out everywhere")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from exhibits.access.models import ApiToken, User
from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.access.secrets import TOKEN_PREFIX, digest, new_secret
from exhibits.access.settings import access_settings
from exhibits.clock import iso_utc
from exhibits.custody.events import EventClass
from exhibits.db.writer import WriteContext
from exhibits.errors import InvalidInput, NotFound
from exhibits.ids import new_id

if TYPE_CHECKING:
    from exhibits.vault import Vault

_DURATION = re.compile(r"^\s*(\d{1,5})\s*([hdwy]?)\s*$")


def parse_expiry(text: str) -> timedelta:
    """'30d', '12h', '2w', '1y' or a number of days."""
    match = _DURATION.match(text or "")
    if not match:
        raise InvalidInput(f"cannot read expiry {text!r}: use e.g. 30d, 12h, 2w or 1y")
    count, unit = int(match.group(1)), match.group(2) or "d"
    delta = {"h": timedelta(hours=count), "d": timedelta(days=count), "w": timedelta(weeks=count)}.get(
        unit, timedelta(days=365 * count)
    )
    if delta <= timedelta(0):
        raise InvalidInput("a token must be valid for some time")
    return delta


@dataclass(frozen=True)
class TokenView:
    id: str
    collar: str
    name: str
    hint: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "collar": self.collar,
            "name": self.name,
            "hint": self.hint,
            "created_at": iso_utc(self.created_at),
            "expires_at": iso_utc(self.expires_at),
            "last_used_at": iso_utc(self.last_used_at) if self.last_used_at else None,
            "revoked_at": iso_utc(self.revoked_at) if self.revoked_at else None,
        }


class TokenService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def _owner(self, principal: Principal, collar: str | None) -> tuple[str, str]:
        """Whose tokens: one's own (everyone), or another user's (administrators)."""
        if collar is None or collar.strip().upper() == principal.collar:
            principal.require(Permission.ACCOUNT_SELF)
            return principal.user_id, principal.collar
        principal.require(Permission.USER_MANAGE)
        with self.vault.reading() as session:
            user = self.vault.users.find(session, collar)
            return user.id, user.collar

    def create(
        self,
        principal: Principal,
        *,
        collar: str | None = None,
        name: str = "api",
        expires_in: timedelta | None = None,
    ) -> tuple[TokenView, str]:
        """Create a token; returns its view and the secret, which is never shown again."""
        settings = access_settings(self.vault.settings)
        user_id, owner_collar = self._owner(principal, collar)
        name = " ".join((name or "").split())
        if not name or len(name) > 100:
            raise InvalidInput("a token's name is 1-100 characters")
        lifetime = expires_in or timedelta(days=settings.token_default_days)
        if lifetime > timedelta(days=settings.token_max_days):
            raise InvalidInput(f"a token may be valid for at most {settings.token_max_days} days")
        secret = new_secret(TOKEN_PREFIX)
        now = self.vault.now()

        def work(ctx: WriteContext) -> TokenView:
            user = ctx.session.get(User, user_id)
            if user is None or not user.active:
                raise InvalidInput(f"user {owner_collar} is disabled")
            row = ApiToken(
                id=new_id(),
                user_id=user_id,
                name=name,
                token_sha256=digest(secret),
                hint=secret[:8],
                created_by=principal.user_id,
                created_at=now,
                expires_at=now + lifetime,
            )
            ctx.session.add(row)
            self.vault.record(
                ctx,
                principal,
                "token.create",
                EventClass.ADMINISTRATION,
                details={
                    "token": row.id,
                    "user": user_id,
                    "name": name,
                    "expires_at": iso_utc(row.expires_at),
                },
            )
            return TokenView(row.id, owner_collar, name, row.hint, now, row.expires_at, None, None)

        return self.vault.write(work), secret

    def list(self, principal: Principal, collar: str | None = None) -> list[TokenView]:
        user_id, owner_collar = self._owner(principal, collar)
        with self.vault.reading() as session:
            rows = session.scalars(
                select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at)
            )
            return [
                TokenView(
                    t.id,
                    owner_collar,
                    t.name,
                    t.hint,
                    t.created_at,
                    t.expires_at,
                    t.last_used_at,
                    t.revoked_at,
                )
                for t in rows
            ]

    def revoke(self, principal: Principal, token_id: str) -> TokenView:
        """Revoke by id (or the hint shown in lists): one's own, or anyone's for administrators."""
        key = token_id.strip()
        with self.vault.reading() as session:
            row = session.get(ApiToken, key.lower()) or session.scalar(
                select(ApiToken).where(ApiToken.hint == key, ApiToken.revoked_at.is_(None))
            )
            if row is None:
                raise NotFound("no such token")
            if row.user_id != principal.user_id:
                if not principal.has(Permission.USER_MANAGE):
                    raise NotFound("no such token")
            else:
                principal.require(Permission.ACCOUNT_SELF)
            owner = session.get(User, row.user_id)
            assert owner is not None
            found_id, owner_collar = row.id, owner.collar

        def work(ctx: WriteContext) -> TokenView:
            t = ctx.session.get(ApiToken, found_id)
            assert t is not None
            if t.revoked_at is None:
                t.revoked_at = self.vault.now()
                self.vault.record(
                    ctx,
                    principal,
                    "token.revoke",
                    EventClass.ADMINISTRATION,
                    details={"token": t.id, "user": t.user_id},
                )
            return TokenView(
                t.id, owner_collar, t.name, t.hint, t.created_at, t.expires_at, t.last_used_at, t.revoked_at
            )

        return self.vault.write(work)
