"""The heavy part of log verification: read every event, re-hash it, check its columns.

Written for speed: rows are fetched through the raw database driver in batches and each
step runs as a C-level loop over the whole batch (hashlib, orjson, list equality),
falling back to per-row work only to name what is wrong. Large logs are split into
power-of-two aligned chunks scanned by worker processes, one per core; each worker also
builds the Merkle subtree of its chunk, so the parent only joins levels and hashes the
few nodes above the chunks.

On SQLite the column check runs inside the query: SQLite's JSON functions (C code in this
process, not something the database file can change) extract the leaf's indexed fields
and compare them with the columns. Any row it does not confirm, and any chunk where it
fails (a leaf that is not JSON, a column holding a blob), is checked again by the Python
path, which alone decides what is reported. PostgreSQL always uses the Python path: there
the JSON functions would run in the server, which an insider who owns it could change.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from operator import itemgetter

import orjson
from sqlalchemy.engine import make_url

from exhibits.custody.merkle import LEAF_PREFIX, NODE_PREFIX

# Rows per fetch. Small enough that a batch's objects (~0.6 MB) stay in memory Python already
# holds, and in the core's cache: 50,000 rows (~30 MB) made the allocator map fresh pages
# and the kernel zero them for every batch, a sixth of the scan's CPU.
BATCH = 1_024
PARALLEL_FROM = 200_000  # below this, worker start-up costs more than it saves
MIN_CHUNK_HEIGHT = 12  # chunks of at least 4,096 events; about 8 per worker balances the load
MAX_PROBLEMS = 50
KEY_ROTATE = "log.key_rotate"
_TOP = itemgetter("at", "class", "action", "case", "exhibit", "media", "sha256")
_ACTOR = itemgetter("actor")
_ROW_TOP = itemgetter(3, 4, 5, 6, 7, 8, 9)
_RANGE = "FROM custody_events WHERE seq >= {start} AND seq < {end} ORDER BY seq"
SELECT = (
    "SELECT seq, leaf, leaf_hash, at, event_class, action, case_id, exhibit_id, media_id, sha256, actor_id "
    + _RANGE
)
# One row per event: (leaf, leaf hash, flag), then seq where asked for. The flag is 1 where
# the leaf's indexed fields, as SQLite's JSON reads them, are exactly the columns (both sides
# rendered as JSON, so types and NULLs must match too), 2 where they are and the action is
# one of those bound as parameters (key rotations, and what plugins asked for: such a leaf
# is parsed in Python), and anything else (0 or NULL) where the check failed.
_CONFIRMED = (
    "json_extract(CAST(leaf AS TEXT), '$.at', '$.class', '$.action', '$.case', '$.exhibit', '$.media', "
    "'$.sha256', '$.actor.id') IS json_array(at, event_class, action, case_id, exhibit_id, media_id, "
    "sha256, actor_id)"
)
SELECT_CHECKED = "SELECT leaf, leaf_hash, (" + _CONFIRMED + ") * (1 + (action IN ({special}))){seq} " + _RANGE
# Whether the range holds exactly end - start events, all with integer seq: then, read in seq
# order, the i-th row is event start + i and seq need not be fetched (which saves a Python
# int per row and the order check). Run in the same read transaction as the scan.
COUNT = (
    "SELECT count(*), count(CASE WHEN typeof(seq) = 'integer' THEN 1 END) "
    "FROM custody_events WHERE seq >= {start} AND seq < {end}"
)
SELECT_ONE = SELECT.replace(_RANGE, "FROM custody_events WHERE seq = ?")


@dataclass
class Chunk:
    start: int
    end: int
    count: int = 0
    levels: list[bytes] = field(default_factory=list)  # level -> complete nodes, 32 bytes each
    problems: list[str] = field(default_factory=list)
    rotations: list[tuple[int, str | None]] = field(default_factory=list)  # (seq, vkey or None)
    # Leaves whose action is one of ``wanted`` (asked for by plugins' own checks), so that
    # nothing else has to read the events table again: (seq, action, leaf).
    wanted: frozenset[str] = frozenset()
    collected: list[tuple[int, str, bytes]] = field(default_factory=list)

    @property
    def special(self) -> frozenset[str]:
        """Actions whose leaves are parsed in any case: key rotations and the wanted ones."""
        return self.wanted | {KEY_ROTATE}

    @property
    def hashes(self) -> bytes:
        """The leaf hashes of the events found, in order."""
        return self.levels[0] if self.levels else b""


def _connect(url: str):
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return sqlite3.connect(f"file:{parsed.database}?mode=ro", uri=True, check_same_thread=False)
    import psycopg

    return psycopg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False))


def scan(url: str, start: int, end: int, fast: bool = True, wanted: frozenset[str] = frozenset()) -> Chunk:
    """Check events with start <= seq < end and build their subtree; runs in a worker or in-line.

    Leaves whose action is in ``wanted`` come back in ``Chunk.collected``."""
    connection = _connect(url)
    collecting = gc.isenabled()
    gc.disable()  # millions of short-lived, acyclic objects: the cycle collector only slows us
    try:
        if fast and isinstance(connection, sqlite3.Connection):
            try:
                chunk = _scan(connection, Chunk(start, end, wanted=wanted), checked=True)
            except sqlite3.Error:  # e.g. a leaf SQLite cannot parse: let the Python path name it
                chunk = _scan(connection, Chunk(start, end, wanted=wanted), checked=False)
        else:
            chunk = _scan(connection, Chunk(start, end, wanted=wanted), checked=False)
    finally:
        connection.close()
        if collecting:
            gc.enable()
    chunk.levels = build_levels(chunk.levels[0] if chunk.levels else b"")
    return chunk


def _scan(connection, chunk: Chunk, checked: bool) -> Chunk:
    cursor = connection.cursor()
    start, end = int(chunk.start), int(chunk.end)
    expected_seq = chunk.start
    parts: list[bytes] = []
    if checked:
        cursor.execute("BEGIN")  # one snapshot for the count and the scan
        try:
            total, integers = cursor.execute(COUNT.format(start=start, end=end)).fetchone()
            complete = total == integers == end - start
            special = sorted(chunk.special)
            query = SELECT_CHECKED.format(
                start=start, end=end, special=", ".join("?" * len(special)), seq="" if complete else ", seq"
            )
            cursor.execute(query, special)
            while rows := cursor.fetchmany(BATCH):
                expected_seq = _check_batch_checked(connection, chunk, rows, expected_seq, parts, complete)
        finally:
            connection.rollback()
    else:
        cursor.execute(SELECT.format(start=start, end=end))
        while rows := cursor.fetchmany(BATCH):
            expected_seq = _check_batch(chunk, rows, expected_seq, parts)
    chunk.levels = [b"".join(parts)]
    chunk.rotations.sort()
    chunk.collected.sort()
    if expected_seq != chunk.end:
        _problem(chunk, f"event {expected_seq} is missing: the log ends early")
    return chunk


def _check_batch(chunk: Chunk, rows: list, expected_seq: int, parts: list[bytes]) -> int:
    """The Python path: order, leaf hashes, and every leaf parsed and compared with its columns."""
    seqs = [row[0] for row in rows]
    leaves = [bytes(row[1]) for row in rows]
    next_seq = _check_order(chunk, seqs, expected_seq)
    parts.append(_hash_leaves(chunk, seqs, leaves, [bytes(row[2]) for row in rows]))
    _check_columns(chunk, seqs, leaves, rows)
    chunk.count += len(rows)
    return next_seq


def _check_batch_checked(
    connection, chunk: Chunk, rows: list, expected_seq: int, parts: list[bytes], complete: bool
) -> int:
    """SQLite's path: the query compared the columns; rows it did not confirm go the Python way.

    ``complete``: the range holds exactly its events (``COUNT``), so rows carry no seq."""
    if complete:
        seqs: Sequence[int] = range(expected_seq, expected_seq + len(rows))
        next_seq = expected_seq + len(rows)
    else:
        seqs = [row[3] for row in rows]
        next_seq = _check_order(chunk, seqs, expected_seq)
    leaves = [row[0] for row in rows]
    parts.append(_hash_leaves(chunk, seqs, leaves, [row[1] for row in rows]))
    flags = [row[2] for row in rows]
    if flags.count(1) != len(flags):
        doubtful = sorted(seq for seq, flag in zip(seqs, flags, strict=True) if flag != 1 and flag != 2)
        full = [connection.execute(SELECT_ONE, (seq,)).fetchone() for seq in doubtful]
        _check_columns(chunk, [row[0] for row in full], [bytes(row[1]) for row in full], full)
        for seq, leaf, flag in zip(seqs, leaves, flags, strict=True):
            if flag == 2:  # confirmed, so its action column is the leaf's: parse it
                _note_special(chunk, seq, leaf, _parse(leaf))
    chunk.count += len(rows)
    return next_seq


def _check_order(chunk: Chunk, seqs: list[int], expected_seq: int) -> int:
    if seqs != list(range(expected_seq, expected_seq + len(seqs))):
        for seq in seqs:
            if seq != expected_seq:
                _problem(chunk, f"event {expected_seq} is missing: the next event is {seq}"
                         if seq > expected_seq else f"event {seq} appears out of order")  # fmt: skip
                break
            expected_seq += 1
    return max(expected_seq, seqs[-1] + 1) if seqs else expected_seq


# SHA-256 states that have already taken the leaf or node prefix: copying one is cheaper than
# starting a new hash (OpenSSL looks the algorithm up for every new one) and than building
# prefix + data first.
_LEAF_STATE = hashlib.sha256(LEAF_PREFIX)
_NODE_STATE = hashlib.sha256(NODE_PREFIX)


def _hash_leaves(chunk: Chunk, seqs: Sequence[int], leaves: list[bytes], stored: list[bytes]) -> bytes:
    copy = _LEAF_STATE.copy
    digests = []
    append = digests.append
    for leaf in leaves:  # merkle.leaf_hash, inlined
        state = copy()
        state.update(leaf)
        append(state.digest())
    if digests != stored:
        for seq, digest, kept in zip(seqs, digests, stored, strict=True):
            if digest != kept:
                _problem(chunk, f"event {seq}: stored leaf hash does not match the leaf")
    return b"".join(digests)


def _check_columns(chunk: Chunk, seqs: list[int], leaves: list[bytes], rows: list) -> None:
    """Parse every leaf with orjson and compare its indexed fields with the row's columns."""
    try:
        parsed = list(map(orjson.loads, leaves))
        expected = list(map(_TOP, parsed))
        actors = [actor.get("id") if actor else None for actor in map(_ACTOR, parsed)]
    except (orjson.JSONDecodeError, AttributeError, TypeError, KeyError):
        parsed, expected, actors = _parse_each(chunk, seqs, leaves)
    if expected != list(map(_ROW_TOP, rows)) or actors != [row[10] for row in rows]:
        for seq, want, actor, row in zip(seqs, expected, actors, rows, strict=True):
            if want != _ROW_TOP(row) or actor != row[10]:
                _problem(chunk, f"event {seq}: indexed columns differ from the signed leaf")
    special = chunk.special
    for seq, leaf, item in zip(seqs, leaves, parsed, strict=True):
        if isinstance(item, dict) and isinstance(action := item.get("action"), str) and action in special:
            _note_special(chunk, seq, leaf, item)


def _parse_each(chunk: Chunk, seqs: list[int], leaves: list[bytes]) -> tuple[list, list, list]:
    parsed, expected, actors = [], [], []
    for seq, leaf in zip(seqs, leaves, strict=True):
        try:
            item = orjson.loads(leaf)
            want, actor = _TOP(item), _ACTOR(item)
            actor_id = actor.get("id") if actor else None
        except (orjson.JSONDecodeError, AttributeError, TypeError, KeyError):
            _problem(chunk, f"event {seq}: leaf is not a valid event")
            item, want, actor_id = {}, None, _INVALID
        parsed.append(item)
        expected.append(want)
        actors.append(actor_id)
    return parsed, expected, actors


_INVALID = object()  # never equal to a column, so an unparseable leaf is also a column mismatch


def _parse(leaf: bytes) -> dict:
    try:
        item = orjson.loads(leaf)
    except orjson.JSONDecodeError:
        return {}
    return item if isinstance(item, dict) else {}


def _note_special(chunk: Chunk, seq: int, leaf: bytes, item: object) -> None:
    """A key rotation, or a leaf of a wanted action (``item`` is the parsed leaf)."""
    if not isinstance(item, dict):
        return
    action = item.get("action")
    if action == KEY_ROTATE:
        details = item.get("details") or {}
        chunk.rotations.append((seq, details.get("vkey") if isinstance(details, dict) else None))
    if isinstance(action, str) and action in chunk.wanted:
        chunk.collected.append((seq, action, bytes(leaf)))


def _problem(chunk: Chunk, message: str) -> None:
    if len(chunk.problems) < MAX_PROBLEMS:
        chunk.problems.append(message)


def scan_all(
    url: str,
    size: int,
    workers: int = 2,
    *,
    parallel_from: int = PARALLEL_FROM,
    height: int | None = None,
    wanted: frozenset[str] = frozenset(),
) -> list[Chunk]:
    """Scan events 0..size-1, in parallel when the log is large.

    Chunks hold 2**height events (the last may hold fewer) and start at multiples of that,
    so each one's subtree is a subtree of the whole tree.
    """
    if size < max(parallel_from, 1) or workers < 2:
        return [scan(url, 0, size, wanted=wanted)]
    if height is None:
        height = max(MIN_CHUNK_HEIGHT, (-(-size // (workers * 8)) - 1).bit_length())
    step = 1 << height
    starts = list(range(0, size, step))
    ends = [min(size, start + step) for start in starts]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        count = len(starts)
        return list(pool.map(scan, [url] * count, starts, ends, [True] * count, [wanted] * count))


def join_levels(chunks: list[Chunk]) -> list[bytes]:
    """Every complete node of the whole tree, level by level, from the chunks' subtrees."""
    if len(chunks) == 1:
        return chunks[0].levels
    step = chunks[0].end - chunks[0].start
    if step & (step - 1) or any(c.count != step for c in chunks[:-1]):
        # Events are missing, so leaves sit elsewhere than their chunk: build the tree whole.
        return build_levels(b"".join(c.hashes for c in chunks))
    height = step.bit_length() - 1
    lower = [b"".join(c.levels[level] for c in chunks if level < len(c.levels)) for level in range(height)]
    return lower + build_levels(b"".join(c.levels[height] for c in chunks if height < len(c.levels)))


def build_levels(leaf_hashes: bytes) -> list[bytes]:
    """Every complete node of the tree over these leaf hashes, level by level (level 0 = leaves)."""
    copy = _NODE_STATE.copy
    levels = [leaf_hashes]
    while len(below := levels[-1]) > 32:
        nodes = []
        append = nodes.append
        for i in range(0, len(below) - 63, 64):  # merkle.node_hash, inlined
            state = copy()
            state.update(below[i : i + 64])  # a bytes slice costs less than a memoryview one
            append(state.digest())
        levels.append(b"".join(nodes))
    return levels
