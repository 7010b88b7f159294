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


# How to change each column of one event, as an insider would (SQL over a row ``:s``).
EVENT_COLUMNS = {
    "leaf": "CAST(REPLACE(CAST(leaf AS TEXT), 'exhibit.list', 'exhibit.lisT') AS BLOB)",
    "leaf_hash": "leaf_hash",
    "at": "'2020-01-01T00:00:00.000000Z'",
    "event_class": "'continuity'",
    "action": "'case.view'",
    "actor_id": "CASE WHEN substr(actor_id, 1, 1) = '0' THEN '1' ELSE '0' END || substr(actor_id, 2)",
    "case_id": "NULL",
    "exhibit_id": "'ffffffffffffffffffffffffffffffff'",
    "media_id": "'ffffffffffffffffffffffffffffffff'",
    "sha256": "'0000000000000000000000000000000000000000000000000000000000000000'",
}
_PG_LEAF = (
    "UPDATE custody_events SET leaf = convert_to(replace(convert_from(leaf, 'UTF8'), "
    "'exhibit.list', 'exhibit.lisT'), 'UTF8') WHERE seq = :s"
)


def tamper_event(vault_path, dialect: str, column: str, seq: int) -> None:
    """Change one column of event ``seq`` (an 'exhibit.list' event, for the leaf)."""
    if column == "leaf_hash":
        statement, params = "UPDATE custody_events SET leaf_hash = :h WHERE seq = :s", {"h": b"\x01" * 32}
    elif column == "leaf" and dialect == "postgresql":
        statement, params = _PG_LEAF, {}
    else:
        statement, params = f"UPDATE custody_events SET {column} = {EVENT_COLUMNS[column]} WHERE seq = :s", {}
    tamper(vault_path, statement, params={**params, "s": seq})
