"""Signing in and out: password, then the authenticator code where the account has one (or
where force policy requires one: set it up, then confirm); sign out; sign out everywhere.

The session is the API's (same cookie, CSRF token and second-factor rules), opened through
``access.signin``, which logs every sign-in and refusal."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from exhibits.access.signin import SecondFactorRequired
from exhibits.errors import ExhibitsError, NotAuthenticated, TooManyRequests
from exhibits.web.api.session import _local_path, _session_out, set_session_cookie
from exhibits.web.auth import SESSION_COOKIE, CsrfFailed
from exhibits.webui.i18n import _
from exhibits.webui.session import SignInNeeded, current_caller, viewer
from exhibits.webui.templating import render

router = APIRouter()


def _same_origin(request: Request) -> None:
    """Sign-in forms carry no session yet: refuse posts from other sites instead."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise CsrfFailed("cross-site request refused")


def _go(target: str) -> RedirectResponse:
    return RedirectResponse(
        _local_path(target or "/"), status_code=303, headers={"Cache-Control": "no-store"}
    )


@router.get("/signin", name="signin")
async def signin_form(request: Request, next: str = "/") -> Response:
    caller = await current_caller(request)
    if caller is not None and not (caller.session and caller.session.second_factor_needed):
        return _go(next)
    request.state.caller = None
    sso = request.app.state.vault.access.oidc.enabled
    return render(request, "signin/password.html", {"next": _local_path(next), "sso": sso})


@router.post("/signin")
async def signin(request: Request) -> Response:
    _same_origin(request)
    form = await request.form()
    collar = str(form.get("collar", ""))[:32]
    password = str(form.get("password", ""))[:1024]
    code = str(form.get("totp", "")).strip()[:16] or None
    target = _local_path(str(form.get("next", "/")))
    vault = request.app.state.vault
    context = {"next": target, "collar": collar, "sso": vault.access.oidc.enabled}
    request.state.caller = None
    try:
        signed_in = await run_in_threadpool(
            vault.access.signin.sign_in_password,
            collar,
            password,
            code,
            client=request.headers.get("user-agent"),
        )
    except SecondFactorRequired:
        context.update(need_code=True, error=_("Enter the 6-digit code from your authenticator app."))
        return render(request, "signin/password.html", context, status=401)
    except NotAuthenticated:
        context.update(need_code=bool(code), error=_("Wrong collar number, password or code."))
        return render(request, "signin/password.html", context, status=401)
    except TooManyRequests as throttled:
        context.update(error=_("Too many failed sign-ins for this account. Try again later."))
        return render(request, "signin/password.html", context, status=429, headers=throttled.headers)
    response = _go(target if not signed_in.session.second_factor_needed else f"/signin/code?next={target}")
    set_session_cookie(request, response, signed_in)
    return response


@router.get("/signin/code", name="second_factor")
async def second_factor_form(request: Request, next: str = "/") -> Response:
    caller = await current_caller(request)
    if caller is None:
        raise SignInNeeded("/signin")
    state = await run_in_threadpool(_session_out, request.app.state.vault, caller)
    if not state.second_factor_needed:
        return _go(next)
    return render(
        request, "signin/code.html", {"next": _local_path(next), "enrolled": state.second_factor_enrolled}
    )


@router.post("/signin/code")
async def second_factor(request: Request) -> Response:
    caller = await current_caller(request)  # checks the CSRF token
    if caller is None or caller.session is None:
        raise SignInNeeded("/signin")
    form = await request.form()
    target = _local_path(str(form.get("next", "/")))
    code = str(form.get("code", "")).strip()[:16]
    step = str(form.get("step", "verify"))
    vault = request.app.state.vault
    signin = vault.access.signin
    if step == "enrol":
        secret, uri = await run_in_threadpool(signin.totp_enrol, caller.principal)
        return render(request, "signin/code.html", {"next": target, "secret": secret, "uri": uri})
    try:
        if step == "confirm":
            await run_in_threadpool(signin.totp_confirm, caller.principal, code, caller.session.id)
        else:
            await run_in_threadpool(signin.verify_second_factor, caller.principal, caller.session.id, code)
    except ExhibitsError:
        state = await run_in_threadpool(_session_out, vault, caller)
        context = {
            "next": target,
            "enrolled": state.second_factor_enrolled,
            "error": _("That code is wrong."),
        }
        return render(request, "signin/code.html", context, status=400)
    return _go(target)


@router.post("/signout", name="signout")
async def signout(request: Request) -> Response:
    caller = await current_caller(request)
    if caller is not None and caller.session is not None:
        await run_in_threadpool(
            request.app.state.vault.access.signin.sign_out, caller.principal, caller.session.id
        )
    response = _go("/signin")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/signout/everywhere", name="signout_everywhere")
async def signout_everywhere(request: Request) -> Response:
    caller = await viewer(request)
    await run_in_threadpool(request.app.state.vault.access.signin.sign_out_everywhere, caller.principal)
    response = _go("/signin?signed_out=everywhere")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account", name="account")
async def account(request: Request) -> Response:
    caller = await viewer(request)
    state = await run_in_threadpool(_session_out, request.app.state.vault, caller)
    return render(request, "signin/account.html", {"state": state})
