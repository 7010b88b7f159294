"""Run one ``exhibits`` command in a fresh Python process and report on that process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def after_command(args: tuple[str, ...], report: str, *, setup: str = "", env: dict | None = None) -> str:
    """``report`` (a Python expression, as text) evaluated once the command has run;
    ``setup`` runs before Exhibits is imported."""
    code = (
        f"import gc, json, sys\n{setup}\n"
        "from exhibits.cli import main\n"
        f"sys.argv = ['exhibits', *{list(args)!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('REPORT=' + str({report}))\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(SRC), **(env or {})}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("REPORT=")]
    assert lines, done.stdout + done.stderr
    return lines[-1].removeprefix("REPORT=")
