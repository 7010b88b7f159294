"""Create a vault: data directory, settings, signing key (outside), database, first administrator."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from exhibits.access.permissions import Role
from exhibits.config import CONFIG_FILE, Settings, load_settings, write_config
from exhibits.custody.events import EventClass, EventDraft
from exhibits.custody.keys import generate_key_file, load_signer
from exhibits.db import migrate
from exhibits.errors import Conflict, InvalidInput
from exhibits.ids import new_id


@dataclass
class VaultOptions:
    admin_collar: str = "ADMIN"
    admin_name: str = "Vault Administrator"
    admin_password: str | None = None
    force_code: str = "00"
    force_name: str = "Exhibits demonstration force"
    key_file: Path | None = None
    database_url: str | None = None
    database_admin_url: str | None = None
    blob_url: str | None = None
    origin: str | None = None


def default_key_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "exhibits" / "keys"


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def init_vault(path: Path, options: VaultOptions) -> Settings:
    """Create and initialise a vault; refuses a directory that already holds one."""
    path = path.resolve()
    if (path / CONFIG_FILE).exists():
        raise Conflict(f"{path} already holds a vault")
    if path.exists() and any(path.iterdir()):
        raise InvalidInput(f"{path} is not empty: choose a new or empty directory")
    if not options.admin_password:
        raise InvalidInput("the first administrator needs a password (--admin-password)")
    vault_id = new_id()
    key_file = (options.key_file or default_key_dir() / f"{vault_id}.pem").resolve()
    if _inside(key_file, path):
        raise InvalidInput("the signing key must be kept outside the vault")
    if key_file.exists():
        raise InvalidInput(f"{key_file} already exists: give a new path for this vault's key")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    (path / "tmp").mkdir(mode=0o700, exist_ok=True)
    generate_key_file(key_file)
    origin = options.origin or f"exhibits.local/{options.force_code}/{vault_id}"
    signer = load_signer(origin, key_file=key_file)
    values: dict = {
        "vault_id": vault_id,
        "force_code": options.force_code,
        "force_name": options.force_name,
        "log_origin": origin,
        "log_key": signer.verifier.vkey(),
        "signing_key_file": str(key_file),
        "default_user": options.admin_collar.strip().upper(),
    }
    for key in ("database_url", "database_admin_url", "blob_url"):
        if getattr(options, key):
            values[key] = getattr(options, key)
    write_config(path, values)
    settings = load_settings(path)
    _create_database(settings)
    _genesis(settings, options)
    return settings


def _create_database(settings: Settings) -> None:
    role = migrate.app_role_of(settings.database_url, settings.database_admin_url)
    if role:
        migrate.ensure_role(settings.database_admin_url, role)
    migrate.upgrade(settings.database_admin_url, settings.database_url)


def _genesis(settings: Settings, options: VaultOptions) -> None:
    """The empty signed log, the administrator, and the first two events, in one commit."""
    from exhibits.access.principal import Principal
    from exhibits.vault import Vault

    with Vault(settings) as vault:
        session = vault.db.write_sessions()
        with session.begin():
            now = vault.now()
            vault.log.initialise(session, now)
            admin = vault.users.new_user(
                session,
                collar=options.admin_collar,
                name=options.admin_name,
                roles=[Role.ADMIN],
                password=options.admin_password,
            )
            session.flush()
            actor = Principal.from_user(admin, via="cli", os_user=vault.os_user)
            drafts = [
                EventDraft(
                    action="vault.init",
                    event_class=EventClass.ADMINISTRATION,
                    actor=actor.actor,
                    via="cli",
                    os_user=vault.os_user,
                    details={
                        "vault_id": settings.vault_id,
                        "force_code": settings.force_code,
                        "origin": settings.log_origin,
                        "vkey": settings.log_key,
                    },
                ),
                EventDraft(
                    action="user.create",
                    event_class=EventClass.ADMINISTRATION,
                    actor=actor.actor,
                    via="cli",
                    os_user=vault.os_user,
                    details={
                        "user": admin.id,
                        "collar": admin.collar,
                        "name": admin.name,
                        "roles": admin.roles,
                    },
                ),
            ]
            vault.log.append(session, drafts, now, force_checkpoint=True)
        session.close()
