"""The web app's own pages, registered through the ``exhibits_pages`` hook like anyone else's."""

from __future__ import annotations

from exhibits.hooks import hookimpl


@hookimpl
def exhibits_pages(site) -> None:
    from exhibits.webui.pages import core_routers

    for router in core_routers():
        site.include_router(router)
