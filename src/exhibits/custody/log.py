"""The custody log over the database: append in batches, prove, checkpoint, read.

Appends happen inside the caller's write transaction, so an event commits exactly when
the change it records commits. After every batch the head is re-signed, so every event
ever acknowledged is covered by a signed checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from exhibits.clock import iso_utc
from exhibits.custody import merkle
from exhibits.custody.events import EventDraft
from exhibits.custody.keys import CheckpointSigner
from exhibits.custody.models import (
    CustodyCheckpoint,
    CustodyEventRow,
    CustodyHead,
    CustodyNode,
    SigningKey,
)
from exhibits.custody.note import Checkpoint, Verifier, sign_note
from exhibits.errors import IntegrityFailure, NotFound
from exhibits.faults import fault_point

TILE_HEIGHT = 8  # nodes below this level are recomputed from a tile of 256 leaf hashes
TILE_SIZE = 1 << TILE_HEIGHT
HEAD_ID = 1


def _frontier_bytes(frontier: merkle.Frontier) -> bytes:
    return b"".join(frontier.stack)


def _load_frontier(size: int, data: bytes) -> merkle.Frontier:
    frontier = merkle.Frontier()
    frontier.size = size
    frontier.stack = [data[i : i + 32] for i in range(0, len(data), 32)]
    if len(frontier.stack) != size.bit_count():
        raise IntegrityFailure("the log head is corrupt: frontier does not match its size")
    return frontier


_HEAD_KEY = "exhibits.custody_head"
# Statements of the append path, built once: this runs for every batch of every writer.
_HEAD = CustodyHead.__table__
_UPDATE_HEAD = (
    _HEAD.update()
    .where(_HEAD.c.id == HEAD_ID)
    .values(
        size=bindparam("new_size"),
        root=bindparam("new_root"),
        frontier=bindparam("new_frontier"),
        note=bindparam("new_note"),
        last_checkpoint_at=bindparam("new_checkpoint_at", type_=_HEAD.c.last_checkpoint_at.type),
    )
)
_INSERT_CHECKPOINT = CustodyCheckpoint.__table__.insert()
# The statements run for every batch go straight to the database driver, in its own
# parameter style: SQLAlchemy's per-statement work (compiled-cache lookup, parameter
# processing, result set-up) cost as much as the inserts themselves. Their values are
# plain ints, strings and bytes, which every driver binds alike.
_EVENT_COLUMNS = (
    "seq, leaf, leaf_hash, at, event_class, action, actor_id, case_id, exhibit_id, media_id, sha256"
)
_RAW_SQL = {
    "lock_head": f"SELECT size, frontier, last_checkpoint_at FROM custody_head WHERE id = {HEAD_ID}",
    "insert_events": f"INSERT INTO custody_events ({_EVENT_COLUMNS}) VALUES ({', '.join(['?'] * 11)})",
    "insert_nodes": "INSERT INTO custody_nodes (level, idx, hash) VALUES (?, ?, ?)",
    "update_head": f"UPDATE custody_head SET size = ?, root = ?, frontier = ?, note = ? WHERE id = {HEAD_ID}",
}
_SERVER_SQL = {name: sql.replace("?", "%s") for name, sql in _RAW_SQL.items()}
_SERVER_SQL["lock_head"] += " FOR UPDATE"  # the row lock that serialises appenders across processes
_PARAMSTYLE_SQL = {"qmark": _RAW_SQL, "format": _SERVER_SQL, "pyformat": _SERVER_SQL}
_CHECKPOINT_AT: dict[tuple[str, str], Callable[[Any], Any]] = {}  # driver value -> aware datetime


def _checkpoint_at(dialect: Any) -> Callable[[Any], Any]:
    """The column type's own conversion of a driver value (SQLite stores text), per dialect."""
    key = (dialect.name, dialect.driver)
    if key not in _CHECKPOINT_AT:
        processor = _HEAD.c.last_checkpoint_at.type.dialect_impl(dialect).result_processor(dialect, None)
        _CHECKPOINT_AT[key] = processor or (lambda value: value)
    return _CHECKPOINT_AT[key]


def _driver(session: Session | Connection) -> tuple[Any, dict[str, str], Any]:
    """A cursor of the DBAPI connection inside this transaction, the SQL for its driver, and
    the dialect."""
    if isinstance(session, Session):
        session.flush()  # the ORM's pending rows first, as its own statements would have done
        connection = session.connection()
    else:
        connection = session
    dialect = connection.dialect
    return connection.connection.cursor(), _PARAMSTYLE_SQL[dialect.paramstyle], dialect


@dataclass(frozen=True)
class HeadState:
    size: int
    frontier: bytes
    last_checkpoint_at: datetime


@dataclass(frozen=True)
class SignedHead:
    size: int
    root: bytes
    note: str


class CustodyLog:
    def __init__(self, origin: str, signer: Callable[[], CheckpointSigner], interval: timedelta) -> None:
        self.origin = origin
        self._signer = signer  # loaded only by processes that append
        self.interval = interval

    @property
    def signer(self) -> CheckpointSigner:
        return self._signer()

    # --- writing -------------------------------------------------------------------------

    def _sign(self, size: int, root: bytes, extra_signers: Sequence[CheckpointSigner] = ()) -> str:
        body = Checkpoint(self.origin, size, root).body()
        return sign_note(body, [self.signer, *extra_signers])  # type: ignore[list-item]

    def initialise(self, session: Session, now: datetime) -> None:
        """Create the empty, signed log and register the genesis key."""
        note = self._sign(0, merkle.EMPTY_ROOT)
        session.add(
            CustodyHead(
                id=HEAD_ID,
                size=0,
                root=merkle.EMPTY_ROOT,
                frontier=b"",
                note=note,
                last_checkpoint_at=now,
            )
        )
        session.add(CustodyCheckpoint(size=0, root=merkle.EMPTY_ROOT, note=note, created_at=now))
        verifier = self.signer.verifier
        session.add(
            SigningKey(
                key_id=verifier.key_id.hex(),
                vkey=verifier.vkey(),
                introduced_at_size=0,
                created_at=now,
            )
        )

    def lock_head(self, session: Session) -> HeadState:
        """Take the log's write lock for this transaction and read the head under it."""
        cursor, sql, dialect = _driver(session)
        try:
            cursor.execute(sql["lock_head"])
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            raise IntegrityFailure("the custody log has no head: is the vault initialised?")
        state = HeadState(row[0], bytes(row[1]), _checkpoint_at(dialect)(row[2]))
        session.info[_HEAD_KEY] = state
        return state

    def append(
        self,
        session: Session,
        drafts: Iterable[EventDraft],
        now: datetime,
        *,
        cosigners: Sequence[CheckpointSigner] = (),
        force_checkpoint: bool = False,
    ) -> SignedHead:
        """Append drafts in order, assigning seq, time and leaf hash to each.

        The caller has locked the head in this transaction (the writer does so first thing);
        the events, nodes and head go to the driver directly (see ``_driver``) to keep the
        per-batch cost low.
        """
        state = session.info.pop(_HEAD_KEY, None) or self.lock_head(session)
        session.info.pop(_HEAD_KEY, None)
        frontier = _load_frontier(state.size, state.frontier)
        at = iso_utc(now)
        leaf_hash = merkle.leaf_hash
        rows = []
        nodes = []
        for draft in drafts:
            leaf = draft.encode(at)
            digest = leaf_hash(leaf)
            seq = frontier.size
            draft.seq, draft.at, draft.leaf_hash = seq, at, digest
            actor = draft.actor
            rows.append(
                (seq, leaf, digest, at, str(draft.event_class), draft.action, actor.id if actor else None,
                 draft.case_id, draft.exhibit_id, draft.media_id, draft.sha256)
            )  # fmt: skip
            for level, index, value in frontier.append(digest):
                if level >= TILE_HEIGHT:
                    nodes.append((level, index, value))
        cursor, sql, _ = _driver(session)
        try:
            if rows:
                cursor.executemany(sql["insert_events"], rows)
            if nodes:
                cursor.executemany(sql["insert_nodes"], nodes)
            root = frontier.root()
            note = self._sign(frontier.size, root, cosigners)
            frontier_bytes = _frontier_bytes(frontier)
            if force_checkpoint or (rows and now - state.last_checkpoint_at >= self.interval):
                checkpoint = {"size": frontier.size, "root": root, "note": note, "created_at": now}
                session.execute(_INSERT_CHECKPOINT, [checkpoint])
                session.execute(
                    _UPDATE_HEAD,
                    {
                        "new_size": frontier.size,
                        "new_root": root,
                        "new_frontier": frontier_bytes,
                        "new_note": note,
                        "new_checkpoint_at": now,
                    },
                )
            else:
                cursor.execute(sql["update_head"], (frontier.size, root, frontier_bytes, note))
        finally:
            cursor.close()
        fault_point("log.appended")
        return SignedHead(frontier.size, root, note)

    def register_key(self, session: Session, verifier: Verifier, at_size: int, now) -> None:
        session.add(
            SigningKey(
                key_id=verifier.key_id.hex(),
                vkey=verifier.vkey(),
                introduced_at_size=at_size,
                created_at=now,
            )
        )

    # --- reading and proving --------------------------------------------------------------

    def head(self, session: Session) -> SignedHead:
        head = session.get(CustodyHead, HEAD_ID)
        if head is None:
            raise IntegrityFailure("the custody log has no head: is the vault initialised?")
        return SignedHead(head.size, head.root, head.note)

    def node_reader(self, session: Session) -> merkle.NodeReader:
        tiles: dict[int, merkle.MemoryTree] = {}
        stored: dict[tuple[int, int], bytes] = {}

        def read(level: int, index: int) -> bytes:
            if level >= TILE_HEIGHT:
                key = (level, index)
                if key not in stored:
                    value = session.get(CustodyNode, key)
                    if value is None:
                        raise IntegrityFailure(f"custody tree node {key} is missing")
                    stored[key] = value.hash
                return stored[key]
            first_leaf = index << level
            tile_no = first_leaf >> TILE_HEIGHT
            if tile_no not in tiles:
                start = tile_no * TILE_SIZE
                hashes = session.execute(
                    select(CustodyEventRow.leaf_hash)
                    .where(CustodyEventRow.seq >= start, CustodyEventRow.seq < start + TILE_SIZE)
                    .order_by(CustodyEventRow.seq)
                ).scalars()
                tiles[tile_no] = merkle.MemoryTree(hashes)
            tile = tiles[tile_no]
            local = index - ((tile_no * TILE_SIZE) >> level)
            try:
                return tile.read(level, local)
            except IndexError as exc:
                raise IntegrityFailure(f"custody leaf range at level {level} is missing") from exc

        return read

    def root_at(self, session: Session, size: int) -> bytes:
        return merkle.root_hash(self.node_reader(session), size)

    def inclusion_proof(self, session: Session, seq: int, size: int) -> list[bytes]:
        self._check_size(session, size)
        if not 0 <= seq < size:
            raise NotFound(f"event {seq} is not in a log of size {size}")
        return merkle.inclusion_proof(self.node_reader(session), seq, size)

    def consistency_proof(self, session: Session, old_size: int, new_size: int) -> list[bytes]:
        self._check_size(session, new_size)
        if not 0 < old_size <= new_size:
            raise NotFound("consistency needs 0 < old size <= new size")
        return merkle.consistency_proof(self.node_reader(session), old_size, new_size)

    def _check_size(self, session: Session, size: int) -> None:
        if size > self.head(session).size or size < 1:
            raise NotFound(f"the log has no tree of size {size}")

    def event(self, session: Session, seq: int) -> CustodyEventRow:
        row = session.get(CustodyEventRow, seq)
        if row is None:
            raise NotFound(f"custody event {seq} does not exist")
        return row

    def checkpoints(self, session: Session) -> list[CustodyCheckpoint]:
        return list(session.scalars(select(CustodyCheckpoint).order_by(CustodyCheckpoint.id)))

    def keys(self, session: Session) -> list[SigningKey]:
        return list(session.scalars(select(SigningKey).order_by(SigningKey.introduced_at_size)))
