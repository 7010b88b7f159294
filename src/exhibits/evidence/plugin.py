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


# An ingest's temporary file older than this was left by a process that died mid-copy.
ABANDONED_INGEST_SECONDS = 24 * 3600


@hookimpl
def exhibits_idle(vault) -> None:
    vault.blobs.cleanup_temporary(older_than_seconds=ABANDONED_INGEST_SECONDS)
