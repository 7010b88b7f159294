"""Alembic environment: migrations run programmatically through exhibits.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from exhibits.db.base import Base
from exhibits.hooks import load_all_models

load_all_models()
config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        _run(connection)
    engine.dispose()


def _include_name(name, type_, parent_names) -> bool:
    """Leave alone what migrations made by hand (FTS5 tables, generated columns): a model
    declares them in ``Base.metadata.info["unmanaged"]`` so autogenerate never drops them."""
    unmanaged = target_metadata.info.get("unmanaged", {})
    if type_ == "table":
        return not any(name == t or name.startswith(f"{t}_") for t in unmanaged.get("tables", ()))
    if type_ == "column":
        return (parent_names.get("table_name"), name) not in unmanaged.get("columns", set())
    return True


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_name=_include_name,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported")
run_migrations_online()
