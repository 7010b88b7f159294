"""Custody as a built-in plugin: its tables and commands, and the vault commands."""

from __future__ import annotations

from exhibits.hooks import hookimpl


@hookimpl
def exhibits_models():
    from exhibits.custody import models

    return models


@hookimpl
def exhibits_cli(app) -> None:
    from exhibits.custody.cli import register
    from exhibits.vault.cli import register as register_vault

    register_vault(app)
    register(app)
