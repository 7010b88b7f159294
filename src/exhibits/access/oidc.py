"""OpenID Connect sign-in (authorization code + PKCE) with Authlib, for forces that use
Microsoft Entra ID or another identity provider.

The state, nonce and PKCE verifier of each sign-in in progress are kept in the database
(``sign_in_flows``) for ten minutes and used once, so any HTTP worker can finish a sign-in
another one started. The ID token's signature, issuer, audience, expiry and nonce are all
checked before the person's collar-number claim is trusted.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from sqlalchemy import delete, select

from exhibits.access.models import SignInFlow
from exhibits.access.settings import OidcSettings
from exhibits.db.writer import WriteContext
from exhibits.errors import ConfigurationError, NotAuthenticated

if TYPE_CHECKING:
    from exhibits.vault import Vault

FLOW_LIFETIME = timedelta(minutes=10)
METADATA_TTL = 3600.0


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    collar: str | None
    second_factor_done: bool
    claims: dict[str, Any]


class OidcSignIn:
    def __init__(self, vault: Vault, settings: OidcSettings) -> None:
        if not settings.enabled:
            raise ConfigurationError("single sign-on is not configured (set [oidc] issuer)")
        self.vault = vault
        self.settings = settings
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0

    def _client(self, redirect_uri: str) -> AsyncOAuth2Client:
        secret = self.settings.client_secret
        return AsyncOAuth2Client(
            client_id=self.settings.client_id,
            client_secret=secret.get_secret_value() if secret else None,
            scope=self.settings.scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic" if secret else "none",
            timeout=15.0,
        )

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None or time.monotonic() - self._metadata_at > METADATA_TTL:
            issuer = str(self.settings.issuer).rstrip("/")
            async with httpx.AsyncClient(timeout=15.0) as client:
                answer = await client.get(f"{issuer}/.well-known/openid-configuration")
                answer.raise_for_status()
                found = answer.json()
                answer = await client.get(found["jwks_uri"])
                answer.raise_for_status()
                found["jwks"] = answer.json()
            if found.get("issuer") != issuer and found.get("issuer") != self.settings.issuer:
                raise ConfigurationError("the identity provider's metadata names another issuer")
            self._metadata, self._metadata_at = found, time.monotonic()
        return self._metadata

    async def begin(self, redirect_uri: str, return_to: str) -> str:
        """The provider's authorization URL; the flow's secrets are kept for the callback."""
        metadata = await self.metadata()
        state, nonce = generate_token(32), generate_token(32)
        verifier = secrets.token_urlsafe(64)
        async with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                metadata["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
            )
        now = self.vault.now()

        def work(ctx: WriteContext) -> None:
            ctx.session.execute(delete(SignInFlow).where(SignInFlow.created_at < now - FLOW_LIFETIME))
            ctx.session.add(
                SignInFlow(
                    state=state, nonce=nonce, code_verifier=verifier, return_to=return_to, created_at=now
                )
            )

        self.vault.write(work)
        return url

    def _take_flow(self, state: str) -> SignInFlow:
        now = self.vault.now()

        def work(ctx: WriteContext) -> SignInFlow | None:
            flow = ctx.session.scalar(select(SignInFlow).where(SignInFlow.state == state))
            if flow is not None:
                ctx.session.delete(flow)  # used once
            return flow

        flow = self.vault.write(work) if state and len(state) <= 64 else None
        if flow is None or now - flow.created_at > FLOW_LIFETIME:
            raise NotAuthenticated("this sign-in has expired or was already used: start again")
        return flow

    async def finish(self, redirect_uri: str, code: str, state: str) -> tuple[Identity, str]:
        """Exchange the code (with the PKCE verifier) and validate the ID token."""
        from starlette.concurrency import run_in_threadpool

        flow = await run_in_threadpool(self._take_flow, state)
        metadata = await self.metadata()
        async with self._client(redirect_uri) as client:
            try:
                token = await client.fetch_token(
                    metadata["token_endpoint"], code=code, code_verifier=flow.code_verifier
                )
            except Exception as exc:  # the provider said no; tell the person without internals
                raise NotAuthenticated("the identity provider refused the sign-in") from exc
        id_token = token.get("id_token")
        if not id_token:
            raise NotAuthenticated("the identity provider sent no ID token")
        algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        try:
            decoded = jwt.decode(
                id_token,
                KeySet.import_key_set(metadata["jwks"]),
                registry=JWSRegistry(algorithms=[a for a in algorithms if a != "none"]),
            )
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                {"iss": {"essential": True, "values": [metadata["issuer"]]}},
                {
                    "nonce": flow.nonce,
                    "client_id": self.settings.client_id,
                    "access_token": token.get("access_token"),
                },
            )
            claims.validate(leeway=60)
        except Exception as exc:
            raise NotAuthenticated("the ID token could not be verified") from exc
        amr = claims.get("amr") or []
        collar = claims.get(self.settings.collar_claim)
        identity = Identity(
            issuer=str(claims["iss"]),
            subject=str(claims["sub"]),
            collar=str(collar) if collar is not None else None,
            second_factor_done=bool(set(amr) & set(self.settings.second_factor_amr)),
            claims=dict(claims),
        )
        return identity, flow.return_to
