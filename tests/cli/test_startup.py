"""Start-up: the cyclic collector is held back while the command starts, and only then."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def _thresholds_after(vault_path: Path, *args: str) -> str:
    code = (
        "import gc, sys\n"
        "default = gc.get_threshold()\n"
        "from exhibits.cli import main\n"
        f"sys.argv = ['exhibits', *{list(args)!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('GC=' + ('default' if gc.get_threshold() == default else str(gc.get_threshold())))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC), "EXHIBITS_VAULT": str(vault_path), "EXHIBITS_USER": "ADMIN"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("GC=")]
    assert lines, done.stdout + done.stderr
    return lines[-1].removeprefix("GC=")


def test_collection_is_as_usual_once_the_vault_is_open(vault_path):
    assert _thresholds_after(vault_path, "case", "list", "--json") == "default"


def test_collection_is_held_back_until_then(vault_path):
    assert _thresholds_after(vault_path, "--help") == "(100000, 50, 100)"
