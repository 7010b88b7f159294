"""The command list: every command listed with its help, each plugin imported only when needed."""

from __future__ import annotations

import json

import typer
import typer.main

from exhibits.cli.commands import BUILTIN_COMMANDS
from exhibits.hooks import DEFAULT_PLUGINS, hookimpl, plugin_manager

from .fresh import after_command


def _first_paragraph(text: str | None) -> str:
    return " ".join((text or "").strip().split("\n\n")[0].split())


def _real_commands() -> dict[str, tuple[str, str]]:
    """Every built-in plugin's commands, registered through its real hook."""
    manager = plugin_manager()
    found: dict[str, tuple[str, str]] = {}
    for name in DEFAULT_PLUGINS:
        holder = typer.Typer(rich_markup_mode="rich")
        others = [plugin for other, plugin in manager.list_name_plugin() if other != name]
        manager.subset_hook_caller("exhibits_cli", remove_plugins=others)(app=holder)
        if not holder.registered_commands and not holder.registered_groups:
            continue
        for command_name, command in typer.main.get_group(holder).commands.items():
            assert command_name not in found, f"{command_name} is added by two plugins"
            found[command_name] = (name, _first_paragraph(command.short_help or command.help))
    return found


def test_the_table_of_commands_matches_the_real_commands():
    assert _real_commands() == BUILTIN_COMMANDS


def test_help_lists_every_command_with_its_help(cli):
    shown = cli("--help")
    assert shown.exit_code == 0, shown.stderr
    lines = shown.stdout.splitlines()
    for name, (_plugin, help_text) in BUILTIN_COMMANDS.items():
        assert any(line.split()[1:3] and name == line.split()[1] and help_text in line for line in lines), (
            f"{name} is not listed with its help"
        )


def _modules_after(*args: str) -> list[str]:
    """The capability command modules a fresh ``exhibits`` process imported to run ``args``."""
    loaded = (
        "json.dumps(sorted(m for m in sys.modules"
        " if m.startswith('exhibits.') and m.endswith('.cli') and m.count('.') == 2))"
    )
    return json.loads(after_command(args, loaded))


def test_listing_the_commands_imports_none_of_them():
    assert _modules_after("--help") == []


def test_a_command_imports_only_its_own_plugin():
    assert _modules_after("add", "--help") == ["exhibits.evidence.cli"]
    assert _modules_after("case", "list", "--help") == ["exhibits.evidence.cli"]
    assert _modules_after("verify", "--help") == ["exhibits.custody.cli", "exhibits.vault.cli"]


class _Hello:
    """A plugin other than the built-ins, as a force would install one."""

    @hookimpl
    def exhibits_cli(self, app):
        @app.command()
        def hello() -> None:
            """Say hello from a plugin."""
            typer.echo("hello from a plugin")

        @app.command("add")
        def not_the_real_add() -> None:
            """Tries to take a built-in's name."""
            typer.echo("wrong add")


def test_other_plugins_add_commands_but_not_over_built_ins(cli, tmp_path):
    manager = plugin_manager()
    manager.register(_Hello(), name="test-hello")
    try:
        listing = cli("--help")
        assert "Say hello from a plugin." in listing.stdout
        said = cli("hello")
        assert said.exit_code == 0 and "hello from a plugin" in said.stdout
        empty = tmp_path / "empty"
        empty.mkdir()
        added = cli("add", str(empty), "--unassigned")
        assert "wrong add" not in added.stdout and "nothing to ingest" in added.stderr
    finally:
        manager.unregister(name="test-hello")


def test_a_listed_command_whose_plugin_is_not_installed_is_neither_listed_nor_run(cli, monkeypatch):
    monkeypatch.setitem(BUILTIN_COMMANDS, "ghost", ("exhibits.no_such_plugin", "Haunt the vault."))
    assert "ghost" not in cli("--help").stdout
    assert cli("ghost").exit_code != 0
