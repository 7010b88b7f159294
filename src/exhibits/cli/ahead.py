"""``exhibits add BIG_FILE``: start staging the file before the command-line parser loads.

Typer and Rich take about a fifth of a second to import, and only then does ``add`` know
its arguments. A plain reading of the command line here lets a large first file's copy
start at once (``exhibits.storage.staging.stage_ahead``). The reading is a guess, never
trusted: ``add`` takes the early copy only when its own parser names the same first file
and vault (``stage_first_file``), and the copy is adopted only if the file is unchanged.
A wrong guess costs a wasted copy in the vault's tmp area, removed when the process ends.

This module imports nothing heavy.
"""

from __future__ import annotations

from pathlib import Path

# Root options that take a value (``exhibits.cli.app.root``), and ``add``'s options that
# take none (``exhibits.evidence.cli.add``); every other ``add`` option takes one. A test
# checks both against the real commands.
ROOT_VALUE_OPTIONS = frozenset({"--vault", "--as"})
ADD_FLAGS = frozenset({"--unassigned", "--json", "--help", "-h"})


def first_file_to_add(argv: list[str]) -> tuple[Path, Path | None] | None:
    """``(first path, --vault value or None)`` if ``argv`` reads as an ``add`` command."""
    vault: Path | None = None
    position = 0
    while position < len(argv) and argv[position].startswith("-"):
        option, has_value, value = argv[position].partition("=")
        if option in ROOT_VALUE_OPTIONS and not has_value:
            if position + 1 >= len(argv):
                return None
            value = argv[position + 1]
            position += 1
        if option == "--vault":
            vault = Path(value)
        position += 1
    if argv[position : position + 1] != ["add"]:
        return None
    rest = iter(argv[position + 1 :])
    for token in rest:
        if token == "--":
            following = next(rest, None)
            return (Path(following), vault) if following else None
        if token.startswith("-"):
            if "=" not in token and token not in ADD_FLAGS:
                next(rest, None)  # the option's value
            continue
        return Path(token), vault
    return None


def stage_ahead(argv: list[str]) -> None:
    """Start staging the first file of an ``add`` command line, when that is worth it."""
    reading = first_file_to_add(argv)
    if reading is None:
        return
    from exhibits.locations import resolve_vault_path
    from exhibits.storage.staging import stage_early

    path, vault = reading
    stage_early(path, resolve_vault_path(vault))
