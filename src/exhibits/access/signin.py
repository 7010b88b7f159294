"""Signing in: passwords (argon2id), a TOTP second factor, sessions, and bearer tokens.

A session is a random secret in an HttpOnly cookie; the database keeps its SHA-256 with
an idle timeout and an absolute limit. Force policy can require a second factor (by
default for administrators and external partners): until it is done, a session may only
enrol or confirm the factor. "Sign out everywhere" revokes every session and token of a
person at once (a lost phone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

import pyotp
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import Session

from exhibits.access.models import ApiToken, ExternalIdentity, TotpFactor, User, WebSession
from exhibits.access.passwords import hash_password, verify_password
from exhibits.access.permissions import Permission, Role
from exhibits.access.principal import Principal
from exhibits.access.secrets import TOKEN_PREFIX, digest, new_secret, plausible
from exhibits.access.service import validate_collar
from exhibits.access.settings import AccessSettings, access_settings
from exhibits.access.throttle import REFUSED, SIGNED_IN, THROTTLED, account_wait
from exhibits.custody.events import EventClass
from exhibits.db.writer import WriteContext
from exhibits.errors import Conflict, ExhibitsError, InvalidInput, NotAuthenticated, TooManyRequests
from exhibits.ids import new_id

if TYPE_CHECKING:
    from exhibits.vault import Vault

TOUCH_EVERY = timedelta(seconds=60)  # how often "last seen" is written, at most
TOKEN_TOUCH_EVERY = timedelta(minutes=5)
_DUMMY_HASH = hash_password("an account that does not exist")


class SecondFactorRequired(ExhibitsError):
    """The password was right; a TOTP code is needed too."""

    kind = "second-factor-required"
    status = 401
    exit_code = 4


class SecondFactorEnrolmentRequired(ExhibitsError):
    """Force policy wants a second factor that this person has not set up yet."""

    kind = "second-factor-enrolment-required"
    status = 403
    exit_code = 4


@dataclass(frozen=True)
class SessionInfo:
    id: str
    user_id: str
    csrf_token: str
    method: str
    second_factor_done: bool
    second_factor_needed: bool  # policy asks for one and it is not done
    expires_at: datetime


@dataclass(frozen=True)
class SignedIn:
    secret: str  # goes into the cookie; never stored
    session: SessionInfo
    principal: Principal


def policy_requires_second_factor(settings: AccessSettings, roles: list[str] | frozenset) -> bool:
    return any(Role(r) in settings.second_factor_roles for r in roles)


class SignInService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    @property
    def settings(self) -> AccessSettings:
        return access_settings(self.vault.settings)

    # --- password sign-in ----------------------------------------------------------------

    def sign_in_password(
        self, collar: str, password: str, totp_code: str | None = None, *, client: str | None = None
    ) -> SignedIn:
        """Check the password (and second factor) and open a session; refusals are logged."""
        try:
            collar = validate_collar(collar or "")
        except InvalidInput:
            verify_password(_DUMMY_HASH, password or "")
            raise NotAuthenticated("wrong collar number or password") from None
        settings = self.settings
        window = timedelta(minutes=settings.sign_in_window_minutes)
        with self.vault.reading() as session:
            user = session.scalar(
                select(User).where(User.force_code == self.vault.settings.force_code, User.collar == collar)
            )
            factor = session.get(TotpFactor, user.id) if user is not None else None
            wait = (
                account_wait(session, user.id, self.vault.now(), settings.sign_in_failures, window)
                if user is not None
                else None
            )
            session.expunge_all()  # keep the loaded values after the read ends
        if user is None:
            verify_password(_DUMMY_HASH, password or "")  # same time whether or not the account exists
            raise NotAuthenticated("wrong collar number or password")
        if wait is not None:  # checked before the password, so guesses made now teach nothing
            self._refused(user, "too many failed sign-ins", action=THROTTLED)
            minutes = -(-int(wait.total_seconds()) // 60)
            raise TooManyRequests(
                f"too many failed sign-ins: try again in {minutes} minute{'s' if minutes != 1 else ''}",
                int(wait.total_seconds()) + 1,
            )
        if not user.active or not verify_password(user.password_hash, password or ""):
            self._refused(user, "password" if user.active else "account disabled")
            raise NotAuthenticated("wrong collar number or password")
        enrolled = factor is not None and factor.confirmed_at is not None
        done = False
        if enrolled:
            assert factor is not None
            if not totp_code:
                raise SecondFactorRequired("enter the 6-digit code from your authenticator app")
            if not self._accept_code(user.id, totp_code):
                self._refused(user, "second factor")
                raise NotAuthenticated("wrong or already used authenticator code")
            done = True
        return self.open_session(user, "password", second_factor_done=done, client=client)

    def _refused(self, user: User, why: str, action: str = REFUSED) -> None:
        principal = Principal.from_user(user, via="api")
        self.vault.write(
            lambda ctx: self.vault.record(
                ctx, principal, action, EventClass.ADMINISTRATION, details={"reason": why}
            )
        )

    def open_session(
        self, user: User, method: str, *, second_factor_done: bool, client: str | None = None
    ) -> SignedIn:
        settings = self.settings
        secret = new_secret()
        now = self.vault.now()
        principal = Principal.from_user(user, via="web")
        row = WebSession(
            id=new_id(),
            user_id=user.id,
            secret_sha256=digest(secret),
            csrf_token=new_secret(),
            method=method,
            second_factor=second_factor_done,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_max_hours),
            client=(client or "")[:300] or None,
        )

        def work(ctx: WriteContext) -> None:
            ctx.session.add(row)
            self.vault.record(
                ctx,
                principal,
                SIGNED_IN,
                EventClass.ADMINISTRATION,
                details={"session": row.id, "method": method, "second_factor": second_factor_done},
            )

        self.vault.write(work)
        return SignedIn(secret, self._info(row, user.roles), principal)

    def _info(self, row: WebSession, roles: list[str]) -> SessionInfo:
        needed = policy_requires_second_factor(self.settings, roles) and not row.second_factor
        return SessionInfo(
            row.id, row.user_id, row.csrf_token, row.method, row.second_factor, needed, row.expires_at
        )

    # --- who is calling ------------------------------------------------------------------

    def authenticate_session(self, secret: str | None) -> tuple[Principal, SessionInfo]:
        if not plausible(secret):
            raise NotAuthenticated("sign in first")
        assert secret is not None
        now = self.vault.now()
        with self.vault.reading() as session:
            found = session.execute(
                select(WebSession, User)
                .join(User, User.id == WebSession.user_id)
                .where(WebSession.secret_sha256 == digest(secret))
            ).one_or_none()
            session.expunge_all()
        if found is None:
            raise NotAuthenticated("your session has ended: sign in again")
        row, user = found
        idle = timedelta(minutes=self.settings.session_idle_minutes)
        if (
            row.revoked_at is not None
            or not user.active
            or now >= row.expires_at
            or now - row.last_seen_at > idle
        ):
            raise NotAuthenticated("your session has ended: sign in again")
        if now - row.last_seen_at >= TOUCH_EVERY:
            self._touch(WebSession, row.id, "last_seen_at", now)
        return Principal.from_user(user, via="web"), self._info(row, user.roles)

    def authenticate_token(self, secret: str | None, session: Session | None = None) -> Principal:
        """The holder of an API token. ``session``: read it in this read session (the caller's
        snapshot, so that the check and what follows see the same state); by default its own."""
        if not plausible(secret, TOKEN_PREFIX):
            raise NotAuthenticated("not a valid API token")
        assert secret is not None
        now = self.vault.now()
        params = {"token_sha256": digest(secret)}
        if session is not None:
            found = session.connection().execute(_token_holder_query(), params).one_or_none()
        else:
            with self.vault.reading() as own:
                found = own.connection().execute(_token_holder_query(), params).one_or_none()
        if found is None:
            raise NotAuthenticated("not a valid API token")
        principal = Principal.from_user(found, via="api")
        if found.revoked_at is not None or now >= found.expires_at or not found.active:
            why = (
                "revoked"
                if found.revoked_at is not None
                else "expired"
                if found.active
                else "account disabled"
            )
            self.vault.write(
                lambda ctx: self.vault.record(
                    ctx,
                    principal,
                    "auth.token_refused",
                    EventClass.ADMINISTRATION,
                    details={"token": found.token_id, "reason": why},
                )
            )
            raise NotAuthenticated(f"this API token is {why}")
        if found.last_used_at is None or now - found.last_used_at >= TOKEN_TOUCH_EVERY:
            self._touch(ApiToken, found.token_id, "last_used_at", now)
        return principal

    def _touch(self, model, row_id: str, column: str, now: datetime) -> None:
        def work(ctx: WriteContext) -> None:
            ctx.session.execute(update(model).where(model.id == row_id).values({column: now}))

        self.vault.write(work)

    # --- signing out ---------------------------------------------------------------------

    def sign_out(self, principal: Principal, session_id: str) -> None:
        def work(ctx: WriteContext) -> None:
            row = ctx.session.get(WebSession, session_id)
            if row is None or row.revoked_at is not None or row.user_id != principal.user_id:
                return
            row.revoked_at = self.vault.now()
            self.vault.record(
                ctx, principal, "auth.sign_out", EventClass.ADMINISTRATION, details={"session": session_id}
            )

        self.vault.write(work)

    def sign_out_everywhere(self, principal: Principal, collar: str | None = None) -> dict[str, int]:
        """Revoke every session and API token of a person: oneself, or anyone (administrators)."""
        if collar is None or collar.strip().upper() == principal.collar:
            principal.require(Permission.ACCOUNT_SELF)
            user_id = principal.user_id
        else:
            principal.require(Permission.USER_MANAGE)
            with self.vault.reading() as session:
                user_id = self.vault.users.find(session, collar).id

        def work(ctx: WriteContext) -> dict[str, int]:
            now = self.vault.now()
            sessions = ctx.session.execute(
                update(WebSession)
                .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
                .values(revoked_at=now)
            ).rowcount
            tokens = ctx.session.execute(
                update(ApiToken)
                .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                .values(revoked_at=now)
            ).rowcount
            grants = self.vault.access.grants.revoke_all(ctx, user_id)
            counts = {"sessions": int(sessions or 0), "tokens": int(tokens or 0), "content_links": grants}
            self.vault.record(
                ctx,
                principal,
                "auth.sign_out_everywhere",
                EventClass.ADMINISTRATION,
                details={"user": user_id, **counts},
            )
            return counts

        return self.vault.write(work)

    # --- second factor (TOTP, RFC 6238) --------------------------------------------------

    def totp_enrol(self, principal: Principal) -> tuple[str, str]:
        """Start (or restart) enrolment: a new secret and its otpauth:// URI for a QR code."""
        principal.require(Permission.ACCOUNT_SELF)
        secret = pyotp.random_base32()
        now = self.vault.now()

        def work(ctx: WriteContext) -> None:
            row = ctx.session.get(TotpFactor, principal.user_id)
            if row is not None and row.confirmed_at is not None:
                raise Conflict("a second factor is already set up; an administrator can reset it")
            if row is None:
                ctx.session.add(
                    TotpFactor(user_id=principal.user_id, secret=secret, created_at=now, last_step=0)
                )
            else:
                row.secret, row.created_at = secret, now

        self.vault.write(work)
        uri = pyotp.TOTP(secret).provisioning_uri(
            name=principal.collar, issuer_name=self.settings.totp_issuer
        )
        return secret, uri

    def totp_confirm(self, principal: Principal, code: str, session_id: str | None = None) -> None:
        principal.require(Permission.ACCOUNT_SELF)
        with self.vault.reading() as session:
            row = session.get(TotpFactor, principal.user_id)
            confirmed = row is not None and row.confirmed_at is not None
        if row is None:
            raise InvalidInput("start enrolment first")
        if confirmed:
            raise Conflict("the second factor is already confirmed")
        if not self._accept_code(principal.user_id, code, confirming=True):
            raise InvalidInput("that code is not right: check the time on your phone and try again")

        def work(ctx: WriteContext) -> None:
            if session_id:
                current = ctx.session.get(WebSession, session_id)
                if current is not None and current.user_id == principal.user_id:
                    current.second_factor = True
            self.vault.record(ctx, principal, "auth.second_factor_enrolled", EventClass.ADMINISTRATION)

        self.vault.write(work)

    def totp_reset(self, principal: Principal, collar: str) -> None:
        """An administrator removes a lost second factor; the person enrols again at next sign-in."""
        principal.require(Permission.USER_MANAGE)
        with self.vault.reading() as session:
            user_id = self.vault.users.find(session, collar).id

        def work(ctx: WriteContext) -> None:
            row = ctx.session.get(TotpFactor, user_id)
            if row is None:
                return
            ctx.session.delete(row)
            self.vault.record(
                ctx,
                principal,
                "auth.second_factor_reset",
                EventClass.ADMINISTRATION,
                details={"user": user_id},
            )

        self.vault.write(work)

    def _accept_code(self, user_id: str, code: str, *, confirming: bool = False) -> bool:
        """Check a code (one step of clock drift either way) and burn its time step."""
        code = "".join((code or "").split())
        if not (code.isdigit() and len(code) == 6):
            return False
        now = self.vault.now()

        def work(ctx: WriteContext) -> bool:
            row = ctx.session.get(TotpFactor, user_id)
            if row is None or (row.confirmed_at is None and not confirming):
                return False
            totp = pyotp.TOTP(row.secret)
            step = int(now.timestamp()) // totp.interval
            for candidate in (step, step - 1, step + 1):
                if candidate > row.last_step and totp.verify(code, for_time=candidate * totp.interval):
                    row.last_step = candidate
                    if confirming:
                        row.confirmed_at = now
                    return True
            return False

        return self.vault.write(work)

    def second_factor_done(self, session_id: str) -> None:
        def work(ctx: WriteContext) -> None:
            row = ctx.session.get(WebSession, session_id)
            if row is not None:
                row.second_factor = True

        self.vault.write(work)

    def verify_second_factor(self, principal: Principal, session_id: str, code: str) -> None:
        """Complete a session's second factor after sign-in (e.g. after single sign-on)."""
        if not self._accept_code(principal.user_id, code):
            raise NotAuthenticated("wrong or already used authenticator code")
        self.second_factor_done(session_id)

    # --- single sign-on ------------------------------------------------------------------

    def sign_in_external(
        self,
        issuer: str,
        subject: str,
        collar: str | None,
        *,
        second_factor_done: bool,
        client: str | None = None,
    ) -> SignedIn:
        """Open a session for a person the identity provider vouched for.

        Accounts are not created here: the identity is linked, on first use, to the existing
        account whose collar number the provider states, and the link is logged.
        """
        with self.vault.reading() as session:
            link = session.scalar(
                select(ExternalIdentity).where(
                    ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject
                )
            )
            user = session.get(User, link.user_id) if link else None
            if user is None and collar:
                user = session.scalar(
                    select(User).where(
                        User.force_code == self.vault.settings.force_code,
                        User.collar == collar.strip().upper()[:32],
                    )
                )
            session.expunge_all()
        if user is None:
            raise NotAuthenticated(
                "your sign-in worked but you have no Exhibits account: ask an administrator"
            )
        if not user.active:
            self._refused(user, "account disabled")
            raise NotAuthenticated("your Exhibits account is disabled")
        if link is None:
            principal = Principal.from_user(user, via="web")

            def work(ctx: WriteContext) -> None:
                ctx.session.add(
                    ExternalIdentity(
                        id=new_id(),
                        issuer=issuer,
                        subject=subject,
                        user_id=user.id,
                        linked_at=self.vault.now(),
                    )
                )
                self.vault.record(
                    ctx,
                    principal,
                    "auth.identity_linked",
                    EventClass.ADMINISTRATION,
                    details={"issuer": issuer, "subject": subject},
                )

            self.vault.write(work)
        return self.open_session(user, "oidc", second_factor_done=second_factor_done, client=client)


@cache
def _token_holder_query() -> Select:
    """An API token and its holder by the token's SHA-256, built once with a bound parameter
    and run as Core (plain columns): on every API request, building the statement and loading
    ORM entities cost more than the read itself."""
    return (
        select(
            ApiToken.id.label("token_id"),
            ApiToken.expires_at,
            ApiToken.last_used_at,
            ApiToken.revoked_at,
            User.id,  # the row reads as its holder for Principal.from_user
            User.force_code,
            User.collar,
            User.name,
            User.roles,
            User.active,
        )
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_sha256 == bindparam("token_sha256"))
    )
