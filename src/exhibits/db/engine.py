"""Engines and sessions for SQLite (embedded default) and PostgreSQL (scale-out).

On SQLite, reads and writes use separate engines: writes start with BEGIN IMMEDIATE so
that two processes never deadlock upgrading a read lock, and reads are read-only
connections that never block the writer (WAL).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 60_000


SQLITE_READER_MMAP_BYTES = 2_147_418_112  # SQLite's own ceiling (SQLITE_MAX_MMAP_SIZE)
SQLITE_READER_CACHE_KIB = 32 * 1024  # per reading connection


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_engine(url: str, *, writer: bool) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # durable before acknowledged
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if not writer:
            cursor.execute("PRAGMA query_only=ON")
            # Readers map the file and keep more pages: a search or a page of exhibits touches
            # thousands of rows, and read() per 4 KiB page costs more than the lookups themselves.
            cursor.execute(f"PRAGMA mmap_size={SQLITE_READER_MMAP_BYTES}")
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_READER_CACHE_KIB}")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # Straight to the driver: SQLAlchemy's statement machinery (events, compiled cache,
        # result set-up) cost more than the BEGIN itself, and this runs for every transaction.
        try:
            connection.connection.driver_connection.execute(begin)
        except sqlite3.Error as exc:  # as SQLAlchemy would have raised it (e.g. OperationalError)
            raise DBAPIError.instance(begin, None, exc, sqlite3.Error) from exc

    return engine


class Database:
    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        if self.is_sqlite:
            self.write_engine = _sqlite_engine(self.url, writer=True)
            self.read_engine = _sqlite_engine(self.url, writer=False)
        else:
            self.write_engine = create_engine(self.url, pool_pre_ping=True, pool_size=8)
            self.read_engine = self.write_engine
        self.write_sessions = sessionmaker(self.write_engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session with one consistent snapshot, rolled back at the end."""
        session = self.read_sessions()
        try:
            yield session
        finally:
            # close() rolls the connection's transaction back and drops every loaded object;
            # a rollback() first would only expire those objects' state to be dropped anyway.
            session.close()

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()
