"""Start-up: the cyclic collector is held back while the command starts, and only then."""

from __future__ import annotations

from pathlib import Path

from .fresh import after_command


def _thresholds_after(vault_path: Path, *args: str) -> str:
    return after_command(
        args,
        "'default' if gc.get_threshold() == default else gc.get_threshold()",
        setup="default = gc.get_threshold()",
        env={"EXHIBITS_VAULT": str(vault_path), "EXHIBITS_USER": "ADMIN"},
    )


def test_collection_is_as_usual_once_the_vault_is_open(vault_path):
    assert _thresholds_after(vault_path, "case", "list", "--json") == "default"


def test_collection_is_held_back_until_then(vault_path):
    assert _thresholds_after(vault_path, "--help") == "(100000, 50, 100)"
