"""Where a vault is, before its settings are read: nothing here imports more than ``os``,
so that a command can find the vault's directory while the rest of Exhibits still loads."""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_FILE = "exhibits.toml"
VAULT_ENV = "EXHIBITS_VAULT"
TMP_DIR = "tmp"  # the vault's temporary area: partial ingests, uploads, job folders


def resolve_vault_path(explicit: str | os.PathLike | None) -> Path:
    if explicit:
        return Path(explicit)
    if os.environ.get(VAULT_ENV):
        return Path(os.environ[VAULT_ENV])
    return Path.cwd()
