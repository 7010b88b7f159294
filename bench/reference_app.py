"""The Exhibits app plus one bench-only reference endpoint, for bench/api_reads.py.

``GET /bench/reference`` does what every metadata read must do at least: the same token
check (the same dependency as the real routes) and one INSERT + commit through the vault's
single writer. Never part of the product."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Request
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from exhibits.access.permissions import Permission
from exhibits.hooks import hookimpl, plugin_manager
from exhibits.vault import Vault
from exhibits.web.auth import Caller, requires


class ReferencePlugin:
    @hookimpl
    def exhibits_api(self, app) -> None:
        router = APIRouter()

        @router.get("/bench/reference")
        async def reference(
            request: Request, caller: Annotated[Caller, requires(Permission.ACCOUNT_SELF)]
        ) -> dict:
            vault = request.app.state.vault

            def insert() -> None:
                vault.write(
                    lambda ctx: ctx.session.execute(
                        text("INSERT INTO bench_reference (user_id) VALUES (:u)"),
                        {"u": caller.principal.user_id},
                    )
                )

            await run_in_threadpool(insert)
            return {"ok": True}

        app.include_router(router)


def make_app():
    from exhibits.web.app import create_app
    from exhibits.web.server import settle_heap

    plugin_manager().register(ReferencePlugin())
    vault = Vault.open(Path(os.environ["EXHIBITS_VAULT"]))
    app = create_app(vault)
    settle_heap()  # as `exhibits serve` does before serving
    return app
