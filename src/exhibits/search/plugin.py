"""Search as a built-in plugin: its tables, commands, and the index of exhibits' own metadata."""

from __future__ import annotations

from exhibits.hooks import hookimpl


@hookimpl
def exhibits_models():
    from exhibits.search import models

    return models


@hookimpl
def exhibits_content_added(ctx, vault, media, exhibit) -> None:
    if exhibit is not None:
        vault.search.index_exhibit_metadata(ctx, exhibit, media)


@hookimpl
def exhibits_idle(vault) -> None:
    vault.search.optimise()


@hookimpl
def exhibits_cli(app) -> None:
    from exhibits.search.cli import register

    register(app)


@hookimpl
def exhibits_api(app) -> None:
    from exhibits.search.api import router
    from exhibits.web.api import PROBLEM_RESPONSES

    app.include_router(router, responses=PROBLEM_RESPONSES)
