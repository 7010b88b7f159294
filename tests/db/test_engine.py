"""SQLite transactions as the engine starts them: writes take the write lock at BEGIN."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from exhibits.db import engine
from exhibits.db.engine import Database

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "SQLITE_BUSY_TIMEOUT_MS", 50)  # a busy database fails quickly
    database = Database(f"sqlite:///{tmp_path / 'records.db'}")
    with database.write_engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE notes (text TEXT)")
    yield database
    database.dispose()


def test_a_write_transaction_holds_the_write_lock_from_its_start(db, tmp_path):
    other = sqlite3.connect(tmp_path / "records.db", isolation_level=None, timeout=0.05)
    with db.write_engine.begin(), pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")  # while ours is open, with nothing written yet
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()


def test_a_write_that_cannot_take_the_lock_fails_as_sqlalchemy_reports_it(db, tmp_path):
    """The job runner retries SQLAlchemy's OperationalError: the driver's own must not escape."""
    other = sqlite3.connect(tmp_path / "records.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="locked"), db.write_engine.begin():
            pass
    finally:
        other.execute("ROLLBACK")
        other.close()
    with db.write_engine.begin() as connection:  # the failed begin left nothing behind
        connection.exec_driver_sql("INSERT INTO notes VALUES ('written')")
    with db.reading() as session:
        assert session.connection().exec_driver_sql("SELECT text FROM notes").scalars().all() == ["written"]
