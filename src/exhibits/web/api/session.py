"""Signing in and out: password (+ TOTP), single sign-on (OpenID Connect), second factor."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from exhibits.access.models import TotpFactor
from exhibits.access.permissions import Permission
from exhibits.access.signin import SignedIn
from exhibits.errors import NotFound
from exhibits.web.api.schemas import CodeIn, LoginIn, SessionOut, SignOutOut, TotpEnrolOut
from exhibits.web.auth import SESSION_COOKIE, Caller, public, requires

router = APIRouter(prefix="/api/v1/auth", tags=["sign-in"])
Self = Annotated[Caller, requires(Permission.ACCOUNT_SELF, second_factor=False)]


def set_session_cookie(request: Request, response: Response, signed_in: SignedIn) -> None:
    """The session cookie, for the API and the web pages alike."""
    vault = request.app.state.vault
    settings = vault.access.settings
    secure = settings.cookie_secure if settings.cookie_secure is not None else request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE,
        signed_in.secret,
        max_age=settings.session_max_hours * 3600,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )


def _session_out(vault, caller_or_signed) -> SessionOut:
    principal = caller_or_signed.principal
    session = caller_or_signed.session
    with vault.reading() as db:
        factor = db.get(TotpFactor, principal.user_id)
        enrolled = factor is not None and factor.confirmed_at is not None
    return SessionOut(
        collar=principal.collar,
        name=principal.name,
        roles=sorted(principal.roles),
        method=session.method if session else "token",
        csrf_token=session.csrf_token if session else None,
        second_factor_needed=bool(session and session.second_factor_needed),
        second_factor_enrolled=enrolled,
        expires_at=session.expires_at.isoformat().replace("+00:00", "Z") if session else None,
    )


@router.post("/login", dependencies=[public("signing in is how one gets credentials")])
async def login(body: LoginIn, request: Request, response: Response) -> SessionOut:
    """Sign in with collar number and password (and the authenticator code, when enrolled).
    Sets the session cookie; the answer carries the CSRF token for later state changes."""
    vault = request.app.state.vault
    signed_in = await run_in_threadpool(
        vault.access.signin.sign_in_password,
        body.collar,
        body.password,
        body.totp,
        client=request.headers.get("user-agent"),
    )
    set_session_cookie(request, response, signed_in)
    return await run_in_threadpool(_session_out, vault, signed_in)


@router.get("/session")
async def current_session(request: Request, caller: Self) -> SessionOut:
    """Who you are signed in as, and whether a second factor is still needed."""
    return await run_in_threadpool(_session_out, request.app.state.vault, caller)


@router.post("/logout", status_code=204)
async def logout(request: Request, response: Response, caller: Self) -> None:
    if caller.session is not None:
        await run_in_threadpool(
            request.app.state.vault.access.signin.sign_out, caller.principal, caller.session.id
        )
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.post("/signout-everywhere")
async def sign_out_everywhere(request: Request, response: Response, caller: Self) -> SignOutOut:
    """Revoke all your sessions, API tokens and content links (a lost phone)."""
    counts = await run_in_threadpool(
        request.app.state.vault.access.signin.sign_out_everywhere, caller.principal
    )
    response.delete_cookie(SESSION_COOKIE, path="/")
    return SignOutOut(**counts)


@router.post("/totp")
async def totp_enrol(request: Request, caller: Self) -> TotpEnrolOut:
    """Start setting up an authenticator app: show the URI as a QR code, then confirm a code."""
    secret, uri = await run_in_threadpool(request.app.state.vault.access.signin.totp_enrol, caller.principal)
    return TotpEnrolOut(secret=secret, otpauth_uri=uri)


@router.post("/totp/confirm", status_code=204)
async def totp_confirm(body: CodeIn, request: Request, caller: Self) -> None:
    session_id = caller.session.id if caller.session else None
    await run_in_threadpool(
        request.app.state.vault.access.signin.totp_confirm, caller.principal, body.code, session_id
    )


@router.post("/totp/verify", status_code=204)
async def totp_verify(body: CodeIn, request: Request, caller: Self) -> None:
    """Complete this session's second factor (e.g. after single sign-on without one)."""
    if caller.session is None:
        return
    await run_in_threadpool(
        request.app.state.vault.access.signin.verify_second_factor,
        caller.principal,
        caller.session.id,
        body.code,
    )


def _sso(request: Request):
    from exhibits.access.oidc import OidcSignIn

    vault = request.app.state.vault
    if not vault.access.oidc.enabled:
        raise NotFound("single sign-on is not configured on this server")
    cached = getattr(request.app.state, "oidc", None)
    if cached is None:
        cached = OidcSignIn(vault, vault.access.oidc)
        request.app.state.oidc = cached
    return cached


def _redirect_uri(request: Request) -> str:
    configured = request.app.state.vault.access.oidc.redirect_url
    if configured:
        return configured
    base = request.app.state.api_settings.public_url or str(request.base_url)
    return base.rstrip("/") + "/api/v1/auth/oidc/callback"


def _local_path(target: str) -> str:
    """Only paths on this server: never an open redirect."""
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return "/"
    return target


@router.get("/oidc/login", status_code=302, dependencies=[public("starts single sign-on")])
async def oidc_login(
    request: Request, return_to: Annotated[str, Query(max_length=500)] = "/"
) -> RedirectResponse:
    """Go to the force's identity provider (authorization code flow with PKCE)."""
    url = await _sso(request).begin(_redirect_uri(request), _local_path(return_to))
    return RedirectResponse(url, status_code=302)


@router.get("/oidc/callback", status_code=302, dependencies=[public("the identity provider returns here")])
async def oidc_callback(
    request: Request,
    code: Annotated[str, Query(min_length=1, max_length=2048)],
    state: Annotated[str, Query(min_length=1, max_length=64)],
) -> RedirectResponse:
    sso = _sso(request)
    identity, return_to = await sso.finish(_redirect_uri(request), code, state)
    vault = request.app.state.vault
    signed_in = await run_in_threadpool(
        vault.access.signin.sign_in_external,
        identity.issuer,
        identity.subject,
        identity.collar,
        second_factor_done=identity.second_factor_done,
        client=request.headers.get("user-agent"),
    )
    response = RedirectResponse(return_to, status_code=302)
    set_session_cookie(request, response, signed_in)
    return response
