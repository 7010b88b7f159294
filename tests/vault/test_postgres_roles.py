"""On PostgreSQL the application's role can only read and append to the custody log."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from exhibits.vault.init import VaultOptions, init_vault

ADMIN_URL = os.environ.get("EXHIBITS_TEST_DATABASE") or "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def pg_vault(tmp_path, key_dir):
    """A vault created from scratch on PostgreSQL (this test always needs the server)."""
    database = f"exhibits_roles_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{database}"')
    base = ADMIN_URL.rsplit("/", 1)[0]
    settings = init_vault(
        tmp_path / "vault",
        VaultOptions(
            admin_password="correct horse battery staple",
            key_file=key_dir / f"{database}.pem",
            database_admin_url=f"{base}/{database}",
            database_url=f"postgresql://exhibits_app@{base.split('@', 1)[1]}/{database}",
        ),
    )
    yield settings
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    admin.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE custody_events SET action = 'forged'",
        "DELETE FROM custody_events",
        "TRUNCATE custody_events",
        "DROP TRIGGER custody_events_append_only ON custody_events",
        "ALTER TABLE custody_events DISABLE TRIGGER USER",
        "DELETE FROM custody_checkpoints",
        "UPDATE signing_keys SET vkey = 'x'",
        "DELETE FROM custody_head",
        "DROP TABLE custody_nodes",
    ],
)
def test_the_application_role_cannot_rewrite_history(pg_vault, statement):
    app = create_engine(pg_vault.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with app.connect() as connection:
            assert connection.execute(text("SELECT current_user")).scalar() == "exhibits_app"
            assert connection.execute(text("SELECT count(*) FROM custody_events")).scalar() == 2
            with pytest.raises(Exception, match="permission denied|must be owner|append-only"):
                connection.execute(text(statement))
    finally:
        app.dispose()


@pytest.mark.postgres
def test_the_application_role_still_appends(pg_vault):
    from exhibits.vault import Vault

    with Vault(pg_vault) as vault:
        admin = vault.users.principal_for("ADMIN", via="cli")
        vault.evidence.create_case(admin, "42/1/26", "Appends work")
        assert vault.custody.case_trail(admin, "42/1/26")[0].action == "case.create"
