"""Who is looking at a page: the API's own session cookie and CSRF check (``web.auth.identify``).

``Viewer`` is the dependency a page declares; without a session the browser is sent to the
sign-in page (and back afterwards), and a session still owing its second factor is sent to
finish it. Form posts are checked against the session's CSRF token (field ``csrf_token``)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from exhibits.errors import NotAuthenticated
from exhibits.web.api.session import _local_path
from exhibits.web.auth import Caller, identify


class SignInNeeded(Exception):
    """Answered with a redirect to the sign-in page (or the second-factor page)."""

    def __init__(self, target: str) -> None:
        self.target = target


def return_path(request: Request) -> str:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return _local_path(path)


async def current_caller(request: Request) -> Caller | None:
    """The caller, or None (a missing, expired or revoked session is no one)."""
    try:
        return await identify(request)
    except NotAuthenticated:
        request.state.caller = None
        return None


async def viewer(request: Request) -> Caller:
    caller = await current_caller(request)
    if caller is None:
        raise SignInNeeded("/signin?next=" + quote(return_path(request), safe="/"))
    if caller.session is not None and caller.session.second_factor_needed:
        raise SignInNeeded("/signin/code?next=" + quote(return_path(request), safe="/"))
    return caller


Viewer = Annotated[Caller, Depends(viewer)]
