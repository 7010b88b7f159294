"""Apply migrations: every capability's branch up to its head."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from exhibits.db.engine import normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str, app_role: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    config.attributes["app_role"] = app_role
    return config


def app_role_of(url: str, admin_url: str) -> str | None:
    """The application's PostgreSQL role, when it differs from the migrating owner."""
    app, admin = make_url(normalise_url(url)), make_url(normalise_url(admin_url))
    if app.get_backend_name() != "postgresql" or app.username == admin.username:
        return None
    return app.username


def upgrade(admin_url: str, app_url: str | None = None) -> None:
    role = app_role_of(app_url, admin_url) if app_url else None
    config = alembic_config(admin_url, role)
    engine = create_engine(normalise_url(admin_url))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")
    finally:
        engine.dispose()


def current(admin_url: str) -> set[str]:
    """The revisions the database is at (one per capability branch)."""
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(normalise_url(admin_url))
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def ensure_role(admin_url: str, role: str) -> None:
    """Create the application's login role on PostgreSQL if the DBA has not."""
    engine = create_engine(normalise_url(admin_url))
    try:
        with engine.begin() as connection:
            exists = connection.exec_driver_sql(
                "SELECT 1 FROM pg_roles WHERE rolname = %(role)s", {"role": role}
            ).scalar()
            if not exists:
                connection.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
            database = connection.exec_driver_sql("SELECT current_database()").scalar()
            connection.exec_driver_sql(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"')
    finally:
        engine.dispose()
