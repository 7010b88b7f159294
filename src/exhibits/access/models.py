from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exhibits.db.base import Base, IdColumn, UTCDateTime


class User(Base):
    """A person who signs in: keyed by force and collar (or shoulder) number."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    force_code: Mapped[str] = mapped_column(String(16))
    collar: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON)
    password_hash: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    organisation: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("force_code", "collar"),)


class CaseAssignment(Base):
    """A person's part in one case (officer in charge, investigator...)."""

    __tablename__ = "case_assignments"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    case_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("cases.id"))
    user_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(32))
    granted_by: Mapped[str | None] = mapped_column(IdColumn(), ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_case_assignments_user_case", "user_id", "case_id"),)


# --- sign-in: sessions, API tokens, second factor, single sign-on (issue 3) ---------------


class ApiToken(Base):
    """A personal token for scripts and devices. Only its SHA-256 is kept; it is shown once."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    user_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise it in lists
    created_by: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A signed-in browser: the cookie holds a random secret whose SHA-256 is the key here."""

    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    user_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"), index=True)
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(16))  # password, oidc
    second_factor: Mapped[bool] = mapped_column(Boolean, default=False)  # TOTP or the IdP's MFA done
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())  # absolute limit
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    client: Mapped[str | None] = mapped_column(String(300))  # user agent, for "where am I signed in"


class TotpFactor(Base):
    """A TOTP second factor (RFC 6238). ``confirmed_at`` is set once a first code was right."""

    __tablename__ = "totp_factors"
    user_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)  # no code is accepted twice


class ExternalIdentity(Base):
    """An account at the force's identity provider (OpenID Connect), linked to a user."""

    __tablename__ = "external_identities"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("issuer", "subject"),)


class SignInFlow(Base):
    """An OpenID Connect sign-in in progress: state, nonce and PKCE verifier, used once."""

    __tablename__ = "sign_in_flows"
    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    return_to: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- need-to-know inside a case -----------------------------------------------------------


class CaseExclusion(Base):
    """A person kept out of one case whatever their roles or assignments (e.g. under investigation)."""

    __tablename__ = "case_exclusions"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    case_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("cases.id"))
    user_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    excluded_by: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    excluded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_case_exclusions_user_case", "user_id", "case_id"),)


class ExhibitAccess(Base):
    """A person named on a restricted exhibit (sensitive material: only they may see it)."""

    __tablename__ = "exhibit_access"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    exhibit_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("exhibits.id"))
    user_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    granted_by: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_exhibit_access_exhibit_user", "exhibit_id", "user_id"),)


class ContentGrant(Base):
    """A short-lived right to fetch one piece of content, given after a stated justification.

    The URL carries a random secret; only its SHA-256 is kept. Each fetch re-checks that the
    person still holds the permission, so removing someone from a case stops playback.
    """

    __tablename__ = "content_grants"
    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True)
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("users.id"), index=True)
    exhibit_id: Mapped[str] = mapped_column(IdColumn(), ForeignKey("exhibits.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    mime_type: Mapped[str] = mapped_column(String(128))
    filename: Mapped[str] = mapped_column(String(255))
    event_seq: Mapped[int | None] = mapped_column(BigInteger)  # the consultation event of the grant
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
