"""The public evidence portal as a built-in plugin."""

from __future__ import annotations

import weakref

from exhibits.hooks import hookimpl

_SERVICES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def portal(vault):
    """The portal service of a vault (one per vault, so rate-limit windows are shared)."""
    from exhibits.portal.service import PortalService

    service = _SERVICES.get(vault)
    if service is None:
        service = _SERVICES[vault] = PortalService(vault)
    return service


@hookimpl
def exhibits_models():
    from exhibits.portal import models

    return models


@hookimpl
def exhibits_api(app) -> None:
    from exhibits.portal.api import router
    from exhibits.web.api import PROBLEM_RESPONSES

    app.include_router(router, responses=PROBLEM_RESPONSES)


@hookimpl
def exhibits_pages(site) -> None:
    """The public portal pages and the officers' triage pages, with their Welsh catalogue."""
    from pathlib import Path

    from exhibits.portal.pages import router
    from exhibits.webui.i18n import register_catalogue
    from exhibits.webui.templating import add_templates

    here = Path(__file__).parent
    add_templates(site, here / "templates")
    register_catalogue(here / "locale")
    site.include_router(router)


@hookimpl
def exhibits_cli(app) -> None:
    from exhibits.portal.cli import register

    register(app)
