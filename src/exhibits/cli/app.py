"""The ``exhibits`` command's application: root options, the capabilities' commands, errors.

Start-up is most of what a short command costs, so the root group knows the built-in
commands by name and one-line help (``exhibits.cli.commands``) and imports a capability's
command module only when one of its commands runs: ``exhibits add`` does not import video
processing, the web server or case files. ``exhibits --help`` lists every command from that
table without importing any of them; a test checks the table against the real commands.
Plugins with no command in that table (a force's own) are loaded whole whenever a command
is not in it or the list of commands is shown.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from exhibits import __version__
from exhibits.cli.commands import BUILTIN_COMMANDS
from exhibits.cli.common import CliState, err_console, print_error
from exhibits.errors import ExhibitsError


class _Unloaded(TyperCommand):
    """A built-in command whose plugin is not imported yet: its name and help, for listing."""

    def __init__(self, name: str, plugin: str, help: str) -> None:
        super().__init__(name=name, help=help)
        self.plugin = plugin


class PluginCommands(TyperGroup):
    """The root group: a plugin's commands are imported the first time one of them is needed.

    Built-in commands start as ``_Unloaded`` entries from ``BUILTIN_COMMANDS``; looking one
    up imports its plugin's commands (all of that plugin's, through its ``exhibits_cli``
    hook) in place of the entries. Listing the commands (``--help``) uses the entries as
    they are. Plugins with no command in the table are loaded when a name is not in it or
    the list is shown; a name a built-in command already has stays the built-in's.
    """

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, (plugin, help_text) in BUILTIN_COMMANDS.items():
            self.commands.setdefault(name, _Unloaded(name, plugin, help_text))
        self._loaded: set[str] = set()
        self._listing = False

    def _load(self, plugin_name: str) -> None:
        if plugin_name in self._loaded:
            return
        self._loaded.add(plugin_name)
        from exhibits.hooks import plugin_manager

        manager = plugin_manager()
        others = [plugin for name, plugin in manager.list_name_plugin() if name != plugin_name]
        holder = typer.Typer(rich_markup_mode=self.rich_markup_mode)
        manager.subset_hook_caller("exhibits_cli", remove_plugins=others)(app=holder)
        if not holder.registered_commands and not holder.registered_groups:
            return
        for name, command in typer.main.get_group(holder).commands.items():
            current = self.commands.get(name)
            if current is None or (isinstance(current, _Unloaded) and current.plugin == plugin_name):
                self.commands[name] = command

    def _load_others(self) -> None:
        """Every plugin with no command in the table: a force's own, or a built-in whose
        commands the table lacks (the test of the table fails then, but they still run)."""
        from exhibits.hooks import plugin_manager

        listed = {plugin for plugin, _help in BUILTIN_COMMANDS.values()}
        for name, _plugin in plugin_manager().list_name_plugin():
            if name not in listed:
                self._load(name)

    def list_commands(self, ctx: typer.Context) -> list[str]:
        from exhibits.hooks import plugin_manager

        self._load_others()
        manager = plugin_manager()
        return [
            name
            for name, command in self.commands.items()
            if not isinstance(command, _Unloaded) or manager.has_plugin(command.plugin)
        ]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:
        command = self.commands.get(cmd_name)
        if command is None:
            self._load_others()
        elif isinstance(command, _Unloaded) and not self._listing:
            self._load(command.plugin)
            command = self.commands.get(cmd_name)
            if isinstance(command, _Unloaded):  # its plugin is not installed: no such command
                return None
        return self.commands.get(cmd_name)

    def format_help(self, ctx: typer.Context, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="exhibits",
    cls=PluginCommands,
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
    except Exception as exc:  # usage errors (Typer's own click, or click) and genuine bugs
        import click

        if isinstance(exc, typer.TyperException | click.ClickException) and hasattr(exc, "show"):
            exc.show()
            sys.exit(exc.exit_code)
        if os.environ.get("EXHIBITS_DEBUG"):
            raise
        print_error(f"internal error ({type(exc).__name__}); run with EXHIBITS_DEBUG=1 for details")
        sys.exit(70)
