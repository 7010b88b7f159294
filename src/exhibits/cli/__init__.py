"""The ``exhibits`` command: a thin adapter over the same services as the API.

Each capability adds its commands through the ``exhibits_cli`` hook. Errors are one line
on standard error and a non-zero exit status, never a traceback (set EXHIBITS_DEBUG=1 to
see one).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from exhibits import __version__
from exhibits.cli.common import CliState, err_console, print_error
from exhibits.errors import ExhibitsError

app = typer.Typer(
    name="exhibits",
    help="Exhibits: digital evidence, provably intact, from capture to court.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"exhibits {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    vault: Annotated[
        Path | None,
        typer.Option(
            "--vault",
            help="Vault directory (default: $EXHIBITS_VAULT, else the current directory).",
        ),
    ] = None,
    acting_as: Annotated[
        str | None,
        typer.Option("--as", help="Administrators only: act for the user with this collar number."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    ctx.obj = CliState(vault_path=vault, acting_as=acting_as)
    ctx.call_on_close(ctx.obj.close)


def _register() -> None:
    from exhibits.hooks import plugin_manager

    plugin_manager().hook.exhibits_cli(app=app)


_register()


def main() -> None:
    try:
        app(standalone_mode=False)
    except ExhibitsError as exc:
        print_error(exc.message)
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # the click usage errors and genuine bugs
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if os.environ.get("EXHIBITS_DEBUG"):
            raise
        print_error(f"internal error ({type(exc).__name__}); run with EXHIBITS_DEBUG=1 for details")
        sys.exit(70)
