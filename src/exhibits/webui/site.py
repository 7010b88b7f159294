"""``create_site(vault)``: the whole server, the HTTP API under ``/api``, versioned static
files under ``/static/<version>/`` and the HTML pages everywhere else.

The pages are their own FastAPI app (``site.pages``), so they never appear among the API's
routes (whose table of permissions covers the API alone). Page modules come from the
``exhibits_pages(site)`` hook, as API routers come from ``exhibits_api``. Pages and static
files are gzipped; the API is left as it is (its evidence content is served by Range).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Message, Receive, Scope, Send

from exhibits.errors import ExhibitsError
from exhibits.web.app import create_app
from exhibits.webui import i18n
from exhibits.webui.assets import VersionedStatic
from exhibits.webui.session import SignInNeeded
from exhibits.webui.templating import make_environment, render


class Site:
    """The ASGI app ``exhibits serve`` runs. ``api``, ``pages`` and ``static`` are its parts."""

    def __init__(self, api: FastAPI, pages: FastAPI, static: VersionedStatic) -> None:
        self.api = api
        self.pages = pages
        self.static = static
        self.vault = api.state.vault
        self._pages = GZipMiddleware(pages, minimum_size=500)
        self._static = GZipMiddleware(static, minimum_size=500)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "lifespan" or path == "/api" or path.startswith("/api/"):
            await self.api(scope, receive, send)  # the API's lifespan runs its housekeeping
        elif path.startswith("/static/"):
            await self._static(scope, receive, send)
        elif any(name == b"range" for name, _ in scope.get("headers", ())):
            await self.pages(scope, receive, send)  # byte ranges of content: never re-encoded
        else:
            await self._pages(scope, receive, send)


class LanguageMiddleware:
    """Choose the language for this request (see ``i18n``) before the page runs."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        chosen = request.query_params.get("lang")
        language = i18n.choose_language(
            chosen, request.cookies.get(i18n.LANG_COOKIE), request.headers.get("accept-language")
        )
        i18n.set_language(language)
        if chosen != language or request.cookies.get(i18n.LANG_COOKIE) == language:
            await self.app(scope, receive, send)
            return
        cookie = f"{i18n.LANG_COOKIE}={language}; Path=/; Max-Age=31536000; SameSite=Lax"

        async def remember(message: Message) -> None:  # the switch sticks for later pages
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())],
                }
            await send(message)

        await self.app(scope, receive, remember)


def create_pages(vault: Any, static: VersionedStatic) -> FastAPI:
    pages = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    pages.state.vault = vault
    pages.state.static = static
    pages.state.templates = make_environment()
    pages.state.api_settings = None
    pages.add_middleware(LanguageMiddleware)

    @pages.exception_handler(SignInNeeded)
    async def to_sign_in(request: Request, exc: SignInNeeded) -> RedirectResponse:
        return RedirectResponse(exc.target, status_code=303, headers={"Cache-Control": "no-store"})

    @pages.exception_handler(ExhibitsError)
    async def refused(request: Request, exc: ExhibitsError):
        return render(request, "error.html", {"error": exc}, status=exc.status)

    @pages.exception_handler(404)
    async def not_found(request: Request, exc: Exception):
        return render(request, "error.html", {"error": None}, status=404)

    vault.plugins.hook.exhibits_pages(site=pages)
    return pages


def create_site(vault: Any, *, background: bool = False) -> Site:
    """The API, the pages and their static files for one vault."""
    api = create_app(vault, background=background)
    static = VersionedStatic()
    pages = create_pages(vault, static)
    pages.state.api_settings = api.state.api_settings
    pages.state.metrics = api.state.metrics
    return Site(api, pages, static)
