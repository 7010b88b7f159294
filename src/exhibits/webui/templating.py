"""Jinja2 templates with gettext, and ``render``: every page is HTML that the browser must not
keep (``Cache-Control: no-store``) behind a strict Content-Security-Policy (no outside hosts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from exhibits import __version__
from exhibits.webui import display, i18n

TEMPLATES_DIR = Path(__file__).parent / "templates"

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        "script-src 'self'; style-src 'self'; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(TEMPLATES_DIR))]),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    display.install(env)
    env.globals["version"] = __version__
    env.globals["languages"] = i18n.LANGUAGES
    return env


def add_templates(site: Any, directory: str | Path) -> None:
    """Let a package's own templates be found (after the web app's)."""
    loader = site.state.templates.loader
    loader.loaders.append(jinja2.FileSystemLoader(str(directory)))


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The page as HTML. The context always has ``request``, ``caller`` (or None), ``csrf_token``,
    ``static(name)``, ``url(name, **params)``, ``lang`` and ``nav`` (the caller's menu)."""
    site = request.app
    caller = request.scope.get("state", {}).get("caller")
    session = getattr(caller, "session", None)
    values = {
        "request": request,
        "caller": caller,
        "csrf_token": session.csrf_token if session else "",
        "static": site.state.static.url,
        "url": lambda name, **params: str(request.url_for(name, **params).path),
        "lang": i18n.current_language(),
        "path": request.url.path,
    }
    values.update(context or {})
    html = site.state.templates.get_template(template).render(values)
    return HTMLResponse(html, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})
