"""Shared fixtures: real vaults on a real database (SQLite, or PostgreSQL when asked).

Set ``EXHIBITS_TEST_DATABASE=postgresql://postgres@127.0.0.1:5432/postgres`` to run the
whole suite against PostgreSQL: each test then gets its own database, cloned from a
migrated template, used through a separate least-privilege application role.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from exhibits.config import CONFIG_FILE, update_config
from tests.webui.browser import browser  # noqa: F401  (one Chromium for the whole run)

ADMIN_PASSWORD = "correct horse battery staple"
PG_ENV = "EXHIBITS_TEST_DATABASE"
APP_ROLE = "exhibits_app"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def pytest_report_header(config) -> str:
    return f"exhibits database under test: {os.environ.get(PG_ENV) or 'SQLite (embedded default)'}"


def pytest_collection_modifyitems(config, items) -> None:
    """On PostgreSQL, leave out the tests of SQLite-only behaviour (reported as deselected)."""
    if not os.environ.get(PG_ENV):
        return
    sqlite_only = [item for item in items if item.get_closest_marker("sqlite_only")]
    if sqlite_only:
        config.hook.pytest_deselected(items=sqlite_only)
        items[:] = [item for item in items if not item.get_closest_marker("sqlite_only")]


def _pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV)


def _pg_url(admin: str, database: str, user: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(admin).set(database=database)
    if user:
        url = url.set(username=user, password=None)
    return url.render_as_string(hide_password=False)


def _pg_execute(admin: str, sql: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(
        admin.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(sql)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("keys")


@pytest.fixture(scope="session")
def template_vault(tmp_path_factory, key_dir) -> Iterator[Path]:
    """One fully initialised vault per test session; tests get copies of it."""
    from exhibits.vault.init import VaultOptions, init_vault

    path = tmp_path_factory.mktemp("template") / "vault"
    options = VaultOptions(admin_password=ADMIN_PASSWORD, key_file=key_dir / "template.pem", force_code="42")
    admin = _pg_admin_url()
    template_db = None
    if admin:
        template_db = f"exhibits_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        _pg_execute(admin, f'CREATE DATABASE "{template_db}"')
        options.database_admin_url = _pg_url(admin, template_db)
        options.database_url = _pg_url(admin, template_db, APP_ROLE)
    init_vault(path, options)
    yield path
    if admin and template_db:
        _pg_execute(admin, f'DROP DATABASE IF EXISTS "{template_db}" WITH (FORCE)')


@pytest.fixture
def vault_path(template_vault, tmp_path) -> Iterator[Path]:
    """A fresh vault directory (and database) for this test."""
    path = tmp_path / "vault"
    shutil.copytree(template_vault, path)
    admin = _pg_admin_url()
    database = None
    if admin:
        from exhibits.config import load_settings

        template = load_settings(template_vault)
        from sqlalchemy.engine import make_url

        template_db = make_url(template.database_admin_url).database
        database = f"exhibits_t_{uuid.uuid4().hex[:12]}"
        _pg_execute(admin, f'CREATE DATABASE "{database}" TEMPLATE "{template_db}"')
        update_config(
            path,
            database_admin_url=_pg_url(admin, database),
            database_url=_pg_url(admin, database, APP_ROLE),
        )
    yield path
    if admin and database:
        _pg_execute(admin, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture
def vault(vault_path):
    from exhibits.vault import Vault

    with Vault.open(vault_path) as opened:
        yield opened


@pytest.fixture
def admin(vault):
    return vault.users.principal_for("ADMIN", via="cli")


@dataclass
class People:
    admin: object
    officer: object
    investigator: object
    outsider: object
    auditor: object


@pytest.fixture
def people(vault, admin) -> People:
    """An administrator and four users; none of them is on any case yet."""
    for collar, name, role in [
        ("1234", "Jane Smith", "officer"),
        ("2345", "Amir Khan", "investigator"),
        ("3456", "Olu Adeyemi", "officer"),
        ("9001", "Ruth Auditor", "auditor"),
    ]:
        vault.users.create_user(admin, collar=collar, name=name, roles=[role], password=ADMIN_PASSWORD)

    def principal(collar: str):
        return vault.users.principal_for(collar, via="cli")

    return People(admin, principal("1234"), principal("2345"), principal("3456"), principal("9001"))


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(vault_path, monkeypatch):
    """Run the ``exhibits`` command in-process against the test vault."""
    monkeypatch.setenv("EXHIBITS_VAULT", str(vault_path))
    monkeypatch.delenv("EXHIBITS_USER", raising=False)
    monkeypatch.setenv("COLUMNS", "250")

    def run(*args: str, user: str | None = None) -> CliResult:
        from exhibits.cli import main

        if user:
            monkeypatch.setenv("EXHIBITS_USER", user)
        from exhibits.cli import common

        out, err = io.StringIO(), io.StringIO()
        saved = common.console.file, common.err_console.file
        argv = sys.argv
        sys.argv = ["exhibits", *args]
        code = 0
        try:
            with redirect_stdout(out), redirect_stderr(err):
                common.console.file = out
                common.err_console.file = err
                try:
                    main()
                except SystemExit as exc:
                    code = int(exc.code or 0)
        finally:
            sys.argv = argv
            common.console.file, common.err_console.file = saved
            monkeypatch.delenv("EXHIBITS_USER", raising=False)
        return CliResult(code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture
def config_of(vault_path):
    return vault_path / CONFIG_FILE


@pytest.fixture
def merkle_vectors() -> Path | None:
    path = SHARED / "testdata" / "merkle"
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"conformance vectors missing at {path}: CI must run them")
        pytest.skip(f"no shared/testdata/merkle beside the checkout ({path})")
    return path
