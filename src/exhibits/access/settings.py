"""Sign-in and access settings: ``[access]`` and ``[oidc]`` in exhibits.toml
(``EXHIBITS_ACCESS__SESSION_IDLE_MINUTES``, ``EXHIBITS_OIDC__CLIENT_SECRET``...)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from exhibits.access.permissions import EXTERNAL_ROLES, Role


class AccessSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_max_hours: int = Field(default=12, ge=1, le=24 * 31)
    token_default_days: int = Field(default=30, ge=1)
    token_max_days: int = Field(default=365, ge=1)
    # Force policy: people holding any of these roles must use a second factor.
    second_factor_roles: list[Role] = Field(default_factory=lambda: [Role.ADMIN, *sorted(EXTERNAL_ROLES)])
    totp_issuer: str = "Exhibits"
    grant_ttl_seconds: int = Field(default=900, ge=10, le=24 * 3600)
    # Throttling: an account takes at most this many failed sign-ins (password or
    # authenticator code) in any window of sign_in_window_minutes.
    sign_in_failures: int = Field(default=5, ge=1, le=1000)
    sign_in_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # None: secure cookies whenever the request came over HTTPS.
    cookie_secure: bool | None = None


class OidcSettings(BaseModel):
    """OpenID Connect sign-in (Microsoft Entra ID and similar): set ``issuer`` to enable it."""

    model_config = ConfigDict(extra="forbid")

    issuer: str | None = None
    client_id: str = ""
    client_secret: SecretStr | None = None
    scopes: str = "openid profile email"
    # The claim holding the person's collar number; the account must already exist.
    collar_claim: str = "preferred_username"
    # Where the provider sends people back; default: this server's /api/v1/auth/oidc/callback.
    redirect_url: str | None = None
    # "amr" values that show the provider already asked for a second factor.
    second_factor_amr: list[str] = Field(default_factory=lambda: ["mfa", "otp", "hwk", "swk", "fido"])

    @property
    def enabled(self) -> bool:
        return bool(self.issuer)


def access_settings(settings) -> AccessSettings:
    return settings.section("access", AccessSettings)


def oidc_settings(settings) -> OidcSettings:
    return settings.section("oidc", OidcSettings)
