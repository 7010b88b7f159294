"""Evidence as a built-in plugin: its tables and commands."""

from __future__ import annotations

from exhibits.hooks import hookimpl


@hookimpl
def exhibits_models():
    from exhibits.evidence import models

    return models


@hookimpl
def exhibits_cli(app) -> None:
    from exhibits.evidence.cli import register

    register(app)
