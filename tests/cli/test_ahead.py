"""``exhibits add BIG_FILE`` starts copying the file before the command-line parser loads;
the early copy is used only for the file and vault the parser then names."""

from __future__ import annotations

import ast
import hashlib
import os
from pathlib import Path

import pytest
import typer

from exhibits.cli.ahead import ADD_FLAGS, ROOT_VALUE_OPTIONS, first_file_to_add
from exhibits.storage.staging import MIN_BYTES

from .fresh import after_command


@pytest.mark.parametrize(
    ("argv", "reading"),
    [
        (["add", "bwv.mp4", "--unassigned"], ("bwv.mp4", None)),
        (["add", "--case", "42/19283/26", "bwv.mp4"], ("bwv.mp4", None)),
        (["add", "--case=42/19283/26", "--json", "bwv.mp4"], ("bwv.mp4", None)),
        (["add", "--unassigned", "--device", "BWV-00731", "dock/"], ("dock", None)),
        (["--vault", "/srv/v", "add", "bwv.mp4"], ("bwv.mp4", "/srv/v")),
        (["--vault=/srv/v", "--as", "1234", "add", "bwv.mp4"], ("bwv.mp4", "/srv/v")),
        (["add", "--producer", "PC 1 A B", "--", "-odd.mp4"], ("-odd.mp4", None)),
        (["add", "--unassigned"], None),
        (["ls", "bwv.mp4"], None),
        (["--vault"], None),
        ([], None),
    ],
)
def test_the_command_line_is_read_for_the_first_file_to_add(argv, reading):
    found = first_file_to_add(argv)
    assert (None if found is None else (str(found[0]), found[1] and str(found[1]))) == reading


def _options(command) -> tuple[set[str], set[str]]:
    flags, valued = set(), set()
    for param in command.params:
        if param.param_type_name == "option":
            (flags if param.is_flag else valued).update(param.opts)
    return flags, valued


def test_the_reading_knows_the_real_commands_options():
    from exhibits.cli.app import app
    from exhibits.evidence.cli import add

    _flags, root_valued = _options(typer.main.get_command(app))
    assert root_valued == set(ROOT_VALUE_OPTIONS)
    holder = typer.Typer(add_completion=False)
    holder.command()(add)
    add_flags, _valued = _options(typer.main.get_command(holder))
    assert add_flags | {"--help", "-h"} == set(ADD_FLAGS)


def _big_file(folder: Path) -> Path:
    path = folder / "bwv_0413.mp4"
    path.write_bytes(os.urandom(MIN_BYTES + 5))
    return path


def test_a_large_file_starts_copying_before_the_parser_loads(vault_path, tmp_path):
    footage = _big_file(tmp_path)
    report = after_command(
        ("add", str(footage), "--unassigned", "--json"),
        "(started, [p.name for p in (vault / 'tmp').glob('ingest-*')], [p.name for p in (vault / 'blobs').rglob('*') if p.is_file()])",
        setup=(
            "from pathlib import Path\n"
            "from exhibits.storage import staging\n"
            f"vault = Path({str(vault_path)!r})\n"
            "started = []\n"
            "real_start = staging.StagedCopy.start\n"
            "def start(copy):\n"
            "    started.append('typer' in sys.modules)\n"
            "    return real_start(copy)\n"
            "staging.StagedCopy.start = start\n"
        ),
        env={"EXHIBITS_VAULT": str(vault_path), "EXHIBITS_USER": "ADMIN"},
    )
    started, leftovers, blobs = ast.literal_eval(report)
    assert started == [False]  # one copy, started before typer was imported, and used
    assert leftovers == []
    assert blobs == [hashlib.sha256(footage.read_bytes()).hexdigest()]


def test_an_early_copy_the_command_does_not_use_is_removed(vault_path, tmp_path):
    footage = _big_file(tmp_path)
    after_command(
        ("add", str(footage), "--no-such-option"),
        "'usage error'",
        env={"EXHIBITS_VAULT": str(vault_path), "EXHIBITS_USER": "ADMIN"},
    )
    assert list((vault_path / "tmp").glob("ingest-*")) == []  # removed as the process ended
    assert [p for p in (vault_path / "blobs").rglob("*") if p.is_file()] == []
