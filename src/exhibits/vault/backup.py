"""Consistent backups: a database snapshot, the blobs it references, and its signed head.

The database is copied first (SQLite's online backup API, or pg_dump); blobs are
immutable and content-addressed, so every blob the snapshot references is already
stored and can be copied afterwards, re-hashed on the way.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from exhibits import __version__
from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.config import CONFIG_FILE, load_settings, update_config
from exhibits.errors import ConfigurationError, IntegrityFailure, InvalidInput
from exhibits.storage import open_blob_store
from exhibits.storage.base import Pump

if TYPE_CHECKING:
    from exhibits.vault import Vault

FORMAT = "exhibits-backup/1"


def _empty_target(path: Path) -> None:
    if path.exists() and any(path.iterdir()):
        raise InvalidInput(f"{path} is not empty")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)


def backup(vault: Vault, principal: Principal, target: Path) -> dict:
    principal.require(Permission.VAULT_ADMIN)
    target = target.resolve()
    _empty_target(target)
    url = make_url(vault.db.url)
    if vault.db.is_sqlite:
        snapshot = target / "exhibits.db"
        source = sqlite3.connect(url.database)
        dest = sqlite3.connect(snapshot)
        with dest:
            source.backup(dest)
        source.close()
        dest.close()
        reader = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
        rows = reader.execute("SELECT sha256, size FROM blobs WHERE disposed_at IS NULL").fetchall()
        note = reader.execute("SELECT note FROM custody_head").fetchone()[0]
        reader.close()
    else:
        dump = target / "database.dump"
        admin = make_url(vault.settings.database_admin_url).set(drivername="postgresql")
        subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                f"--file={dump}",
                admin.render_as_string(False),
            ],
            check=True,
        )
        with vault.reading() as session:
            from sqlalchemy import text

            rows = session.execute(text("SELECT sha256, size FROM blobs WHERE disposed_at IS NULL")).all()
            note = session.execute(text("SELECT note FROM custody_head")).scalar_one()
    blob_root = target / "blobs" / "sha256"
    total = 0
    for sha256, size in rows:
        path = blob_root / sha256[:2] / sha256[2:4] / sha256
        path.parent.mkdir(parents=True, exist_ok=True)
        with vault.blobs.open(sha256) as source_file, path.open("wb") as out:
            pump = Pump(size + 1, None)
            pump.run(source_file, out.write)
            out.flush()
            os.fsync(out.fileno())
        if pump.sha256 != sha256:
            raise IntegrityFailure(f"content {sha256} is damaged in the vault: backup stopped")
        total += size
    shutil.copy2(vault.settings.vault / CONFIG_FILE, target / CONFIG_FILE)
    (target / "checkpoint.txt").write_text(note)
    manifest = {
        "format": FORMAT,
        "exhibits_version": __version__,
        "vault_id": vault.settings.vault_id,
        "database": "sqlite" if vault.db.is_sqlite else "postgresql",
        "blobs": len(rows),
        "bytes": total,
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def restore(source: Path, target: Path, *, database_url: str | None = None) -> dict:
    """Make a working vault at ``target`` from a backup (a new directory)."""
    source = source.resolve()
    try:
        manifest = json.loads((source / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{source} is not an Exhibits backup") from exc
    if manifest.get("format") != FORMAT:
        raise InvalidInput(f"unsupported backup format {manifest.get('format')!r}")
    target = target.resolve()
    _empty_target(target)
    shutil.copy2(source / CONFIG_FILE, target / CONFIG_FILE)
    (target / "tmp").mkdir(mode=0o700)
    changes: dict = {"blob_url": (target / "blobs").as_uri()}
    if manifest["database"] == "sqlite":
        shutil.copy2(source / "exhibits.db", target / "exhibits.db")
        changes["database_url"] = f"sqlite:///{target / 'exhibits.db'}"
        changes["database_admin_url"] = changes["database_url"]
    else:
        if not database_url:
            raise ConfigurationError(
                "restoring a PostgreSQL backup needs --database-url for the new database"
            )
        admin = make_url(database_url).set(drivername="postgresql")
        subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                f"--dbname={admin.render_as_string(False)}",
                str(source / "database.dump"),
            ],
            check=True,
        )
        changes["database_url"] = database_url
        changes["database_admin_url"] = database_url
    shutil.copytree(source / "blobs", target / "blobs", dirs_exist_ok=True)
    update_config(target, **changes)
    settings = load_settings(target)
    store = open_blob_store(settings.blob_url, settings.tmp_dir)
    return {
        **manifest,
        "restored_to": str(target),
        "blobs_present": sum(1 for _ in store.iter_hashes()),
    }
