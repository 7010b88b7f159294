"""Make tables append-only at the database level, for migrations to call.

SQLite: triggers that abort any UPDATE or DELETE. PostgreSQL: the same as row and
TRUNCATE triggers, and the application's role keeps only SELECT and INSERT (it does not
own the tables, so it cannot drop the triggers either).
"""

from __future__ import annotations

from alembic import op

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION exhibits_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END $$;
"""


def app_role() -> str | None:
    return op.get_context().config.attributes.get("app_role")  # type: ignore[union-attr]


def make_append_only(table: str, *, allow_update: bool = False) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        if not allow_update:
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END"
            )
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END"
        )
        return
    op.execute(PG_FUNCTION)
    events = "DELETE" if allow_update else "UPDATE OR DELETE"
    op.execute(
        f"CREATE TRIGGER {table}_append_only BEFORE {events} ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION exhibits_append_only()"
    )
    op.execute(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION exhibits_append_only()"
    )
    role = app_role()
    if role:
        op.execute(f'REVOKE ALL ON {table} FROM "{role}"')
        grants = "SELECT, INSERT, UPDATE" if allow_update else "SELECT, INSERT"
        op.execute(f'GRANT {grants} ON {table} TO "{role}"')


def grant_app_role() -> None:
    """Let the application's role use every ordinary table (run before make_append_only)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    role = app_role()
    if not role:
        return
    op.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"')
    op.execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
    # Tables added by later migrations get the same, unless made append-only there.
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "{role}"'
    )
    op.execute(f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "{role}"')
