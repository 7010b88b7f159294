"""``exhibits serve``: the API under a production ASGI server (uvicorn), plus background workers."""

from __future__ import annotations

from typing import Annotated

import typer


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    no_workers: Annotated[
        bool, typer.Option("--no-workers", help="Run HTTP alone, without the background job workers.")
    ] = False,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run the API and web server (one HTTP worker, plus the job workers at lower priority)."""
    from exhibits.cli.common import state
    from exhibits.web.server import run_server

    cli = state(ctx)
    run_server(cli.vault(), host=host, port=port, workers=not no_workers, log_level=log_level)


def register(app: typer.Typer) -> None:
    app.command()(serve)
