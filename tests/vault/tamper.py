"""What an insider with direct database access could do, for tests of tamper evidence.

Triggers and privileges stop the application from changing the log; an attacker who owns
the database can switch them off. These helpers do exactly that, then change rows.
"""

from __future__ import annotations

from sqlalchemy import create_engine, text

from exhibits.config import load_settings
from exhibits.db.engine import normalise_url

LOG_TABLES = ("custody_events", "custody_nodes", "custody_checkpoints", "custody_head", "signing_keys")


def tamper(vault_path, *statements: str, params: dict | None = None) -> None:
    settings = load_settings(vault_path)
    engine = create_engine(normalise_url(settings.database_admin_url))
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                triggers = connection.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type='trigger'"
                ).all()
                for name, _ in triggers:
                    connection.exec_driver_sql(f"DROP TRIGGER {name}")
                for statement in statements:
                    connection.execute(text(statement), params or {})
                for _, sql in triggers:
                    connection.exec_driver_sql(sql)
            else:
                for table in LOG_TABLES:
                    connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
                for statement in statements:
                    connection.execute(text(statement), params or {})
                for table in LOG_TABLES:
                    connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    finally:
        engine.dispose()


def query(vault_path, statement: str, params: dict | None = None) -> list:
    settings = load_settings(vault_path)
    engine = create_engine(normalise_url(settings.database_admin_url))
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(statement), params or {}).all())
    finally:
        engine.dispose()
