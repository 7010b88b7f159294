"""The web capability as a built-in plugin: upload tables, the API routes, and ``exhibits serve``."""

from __future__ import annotations

from exhibits.hooks import hookimpl


@hookimpl
def exhibits_models():
    from exhibits.uploads import models

    return models


@hookimpl
def exhibits_cli(app) -> None:
    from exhibits.web.cli import register

    register(app)


@hookimpl
def exhibits_api(app) -> None:
    from exhibits.web.api import register

    register(app)
