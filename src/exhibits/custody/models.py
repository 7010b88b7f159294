"""Tables of the custody log. Events, tree nodes and checkpoints are append-only (database
triggers on SQLite; privileges on PostgreSQL); only the single head row is updated."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exhibits.db.base import Base, IdColumn, UTCDateTime

APPEND_ONLY_TABLES = ("custody_events", "custody_nodes", "custody_checkpoints", "signing_keys")


class CustodyEventRow(Base):
    """One leaf of the log. ``leaf`` holds the canonical bytes; the other columns are an
    index over them, checked against the leaf by ``exhibits verify``."""

    __tablename__ = "custody_events"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    leaf: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    at: Mapped[str] = mapped_column(String(27), index=True)
    event_class: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[str | None] = mapped_column(IdColumn())
    case_id: Mapped[str | None] = mapped_column(IdColumn())
    exhibit_id: Mapped[str | None] = mapped_column(IdColumn())
    media_id: Mapped[str | None] = mapped_column(IdColumn())
    sha256: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_custody_events_case_seq", "case_id", "seq"),
        Index("ix_custody_events_exhibit_seq", "exhibit_id", "seq"),
        Index("ix_custody_events_media_seq", "media_id", "seq"),
        Index("ix_custody_events_actor_seq", "actor_id", "seq"),
        Index("ix_custody_events_sha256", "sha256"),
    )


class CustodyNode(Base):
    """Hash of a perfect subtree at ``level`` >= TILE_HEIGHT; lower levels are recomputed
    from leaf hashes on demand (a tile of 256 leaves)."""

    __tablename__ = "custody_nodes"
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class CustodyCheckpoint(Base):
    __tablename__ = "custody_checkpoints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime())


class CustodyHead(Base):
    """The latest state of the tree, signed after every committed batch. Also the row that
    serialises appenders across processes (SELECT ... FOR UPDATE on PostgreSQL)."""

    __tablename__ = "custody_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    frontier: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(Text)
    last_checkpoint_at: Mapped[object] = mapped_column(UTCDateTime())


class SigningKey(Base):
    """Every key that ever signed checkpoints, with the log size when it took over."""

    __tablename__ = "signing_keys"
    key_id: Mapped[str] = mapped_column(String(8), primary_key=True)
    vkey: Mapped[str] = mapped_column(Text)
    introduced_at_size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[object] = mapped_column(UTCDateTime())
