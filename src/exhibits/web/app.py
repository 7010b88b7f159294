"""The application factory: ``create_app(vault)`` returns the whole HTTP API.

Routers come from the ``exhibits_api`` hook (this capability's own, then later ones'), so a
capability adds routes without touching this file. Every route must declare its permission
(``web.auth.requires`` or ``public``); one that does not is refused for everyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute

from exhibits import __version__
from exhibits.errors import ConfigurationError, PermissionDenied
from exhibits.web import problems
from exhibits.web.auth import Rule, rule_of
from exhibits.web.metrics import Metrics
from exhibits.web.middleware import RequestMiddleware
from exhibits.web.settings import api_settings

log = logging.getLogger("exhibits.web")

API_PREFIX = "/api/v1"
DESCRIPTION = """Exhibits: digital evidence, provably intact, from capture to court.

Authenticate with a personal API token (`Authorization: Bearer exh_...`; create one with
`exhibits token create COLLAR` or `POST /api/v1/tokens`) or with the session cookie from
`POST /api/v1/auth/login` (then send the session's CSRF token in `X-CSRF-Token` on anything
that changes state). Errors are RFC 9457 `application/problem+json` with a stable `type`.
Uploads: plain `POST /api/v1/cases/{case_id}/exhibits` or resumable tus 1.0 at `/api/v1/uploads`.
"""


_RULES: weakref.WeakKeyDictionary[Any, Rule | None] = weakref.WeakKeyDictionary()


def declared_rule(route: Any) -> Rule | None:
    """The rule of the route answering a request (cached per route object)."""
    try:
        return _RULES[route]
    except KeyError:
        rule = _RULES[route] = rule_of(route)
        return rule
    except TypeError:  # not weak-referenceable
        return rule_of(route)


async def _undeclared(request: Request) -> None:
    """Deny by default: a route without a declared permission answers nobody. A coroutine,
    though it awaits nothing: FastAPI runs a plain function dependency in a worker thread,
    a thread hand-off on every request for a dictionary lookup."""
    route = request.scope.get("route")
    if route is not None and declared_rule(route) is None:
        raise PermissionDenied("this endpoint declares no permission, so it is closed")


def api_routes(app: FastAPI) -> Iterator[tuple[str, frozenset[str], Any]]:
    """(path, methods, route) of every route, through included routers."""
    return _walk(list(app.routes))


def _walk(routes: list[Any]) -> Iterator[tuple[str, frozenset[str], Any]]:
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before lazily included routers
        for route in routes:
            yield getattr(route, "path", "?"), frozenset(getattr(route, "methods", None) or ()), route
        return
    for context in iter_route_contexts(routes):
        original = context.original_route
        if hasattr(original, "effective_route_contexts") and original is not context.route:
            yield from _walk([original])
        elif hasattr(context.route, "effective_route_contexts"):
            for inner in context.route.effective_route_contexts():
                yield inner.path, frozenset(inner.methods or ()), inner.original_route
        else:
            yield context.path or "?", frozenset(context.methods or ()), original


def create_app(vault: Any, *, background: bool = False) -> FastAPI:
    """The API for one vault. ``background`` runs periodic housekeeping (expired uploads)."""
    settings = api_settings(vault.settings)
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_housekeeping(vault)) if background else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(
        title="Exhibits API",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=None,  # served by our own, declared routes
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(_undeclared)],
        license_info={"name": "Apache-2.0", "identifier": "Apache-2.0"},
    )
    app.state.vault = vault
    app.state.metrics = metrics
    app.state.api_settings = settings
    problems.install(app)
    app.add_middleware(RequestMiddleware, metrics=metrics, max_header_bytes=settings.max_header_bytes)
    vault.plugins.hook.exhibits_api(app=app)
    check_routes(app)
    guard_routers(app)
    return app


def guard_routers(app: FastAPI) -> None:
    """Let each included router turn away, before FastAPI tries it route by route, a path that
    none of its routes' patterns matches. FastAPI tries the routers in order, each route with
    some ~2.5 us of bookkeeping (matching a page of a case's exhibits, after 36 routes, took
    ~220 us; ~35 us guarded). A route whose pattern does not match the path is no match at
    all, not even a partial one, so which route answers (or refuses with 405) is unchanged,
    and so is everything else (the OpenAPI document, the order)."""
    if _Guarded is None:  # FastAPI before lazily included routers: nothing to guard
        return
    for route in app.router.routes:
        if type(route) is _Guarded.__base__:
            route.__class__ = _Guarded


def _path_filter(router: Any) -> tuple[str, tuple[re.Pattern[str], ...]] | None:
    """What every path of ``router`` starts with, and its routes' path patterns; None if any
    of its routes could match by more than its pattern (not a plain API route)."""
    contexts = list(router.effective_route_contexts())
    if not all(isinstance(c.original_route, APIRoute) and c.starlette_route is None for c in contexts):
        return None
    prefix = os.path.commonprefix([c.path.split("{", 1)[0] for c in contexts])  # noqa: RUF071 (characters, not segments)
    return prefix, tuple(c.path_regex for c in contexts)


def check_routes(app: FastAPI) -> None:
    """Routes that bypass FastAPI's dependencies are refused outright; undeclared ones are logged
    (and closed to everyone by ``_undeclared``)."""
    for path, methods, route in api_routes(app):
        if not isinstance(route, APIRoute):
            raise ConfigurationError(
                f"route {path!r} is not an API route, so it cannot declare a permission: "
                "add it with a router and web.auth.requires(...)"
            )
        if rule_of(route) is None:
            log.error("route %s %s declares no permission: it is closed to everyone", sorted(methods), path)


async def _housekeeping(vault: Any) -> None:
    from starlette.concurrency import run_in_threadpool

    interval = vault.uploads.settings.cleanup_minutes * 60
    while True:
        try:
            removed = await run_in_threadpool(vault.uploads.expire)
            if removed:
                log.info("removed %d expired uploads", removed, extra={"expired_uploads": removed})
        except Exception:
            log.exception("upload housekeeping failed")
        await asyncio.sleep(interval)


_Guarded: Any = None
try:
    from fastapi.routing import _IncludedRouter
    from starlette._utils import get_route_path
    from starlette.routing import Match

    class _Guarded(_IncludedRouter):  # type: ignore[no-redef]
        """An included router that first checks its routes' patterns against the path (worked
        out again whenever FastAPI rebuilds the router's candidates)."""

        def matches(self, scope: Any) -> tuple[Match, Any]:
            candidates = self.effective_candidates()
            if self.__dict__.get("_filter_for") is not candidates:
                self.__dict__["_filter"] = _path_filter(self)
                self.__dict__["_filter_for"] = candidates
            path_filter = self.__dict__["_filter"]
            if path_filter is not None and scope["type"] == "http":
                prefix, patterns = path_filter
                path = get_route_path(scope)
                if not path.startswith(prefix) or not any(p.match(path) for p in patterns):
                    return Match.NONE, {}
            return super().matches(scope)

except ImportError:  # FastAPI before lazily included routers
    pass
