"""The heavy part of log verification: read every event, re-hash it, check its columns.

Written for speed: rows are fetched through the raw database driver in large batches and
each step runs as a C-level loop over the whole batch (hashlib, orjson, list equality),
falling back to per-row work only to name what is wrong. Large logs are split into chunks
scanned by worker processes, one per core; the Merkle tree is then built level by level
from the concatenated leaf hashes.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from operator import itemgetter

import orjson
from sqlalchemy.engine import make_url

BATCH = 50_000
PARALLEL_FROM = 200_000  # below this, worker start-up costs more than it saves
MAX_PROBLEMS = 50
KEY_ROTATE = "log.key_rotate"
_TOP = itemgetter("at", "class", "action")
_SUBJECT = itemgetter("case", "exhibit", "media", "sha256")
SELECT = (
    "SELECT seq, leaf, leaf_hash, at, event_class, action, actor_id, case_id, exhibit_id, media_id, sha256 "
    "FROM custody_events WHERE seq >= {start} AND seq < {end} ORDER BY seq"
)


@dataclass
class Chunk:
    start: int
    end: int
    hashes: bytes = b""  # 32 bytes per event found, in order
    count: int = 0
    problems: list[str] = field(default_factory=list)
    rotations: list[tuple[int, str | None]] = field(default_factory=list)  # (seq, vkey or None)


def _columns(leaf: dict) -> tuple:
    actor = leaf.get("actor")
    return (*_TOP(leaf), actor.get("id") if actor else None, *_SUBJECT(leaf))


def _connect(url: str):
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return sqlite3.connect(f"file:{parsed.database}?mode=ro", uri=True, check_same_thread=False)
    import psycopg

    return psycopg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False))


def scan(url: str, start: int, end: int) -> Chunk:
    """Check events with start <= seq < end; runs in a worker process or in-line."""
    chunk = Chunk(start, end)
    connection = _connect(url)
    collecting = gc.isenabled()
    gc.disable()  # millions of short-lived, acyclic objects: the cycle collector only slows us
    try:
        cursor = connection.cursor()
        cursor.execute(SELECT.format(start=int(start), end=int(end)))
        expected_seq = start
        parts = []
        while True:
            rows = cursor.fetchmany(BATCH)
            if not rows:
                break
            expected_seq = _check_batch(chunk, rows, expected_seq, parts)
        chunk.hashes = b"".join(parts)
        if expected_seq != end and len(chunk.problems) < MAX_PROBLEMS:
            chunk.problems.append(f"event {expected_seq} is missing: the log ends early")
    finally:
        connection.close()
        if collecting:
            gc.enable()
    return chunk


def _check_batch(chunk: Chunk, rows: list, expected_seq: int, parts: list[bytes]) -> int:
    sha256 = hashlib.sha256
    seqs = [row[0] for row in rows]
    leaves = [bytes(row[1]) for row in rows]
    stored = [bytes(row[2]) for row in rows]
    digests = [sha256(b"\x00" + leaf).digest() for leaf in leaves]
    if seqs != list(range(expected_seq, expected_seq + len(rows))):
        for seq in seqs:
            if seq != expected_seq:
                _problem(chunk, f"event {expected_seq} is missing: the next event is {seq}"
                         if seq > expected_seq else f"event {seq} appears out of order")  # fmt: skip
                break
            expected_seq += 1
    if digests != stored:
        for seq, digest, kept in zip(seqs, digests, stored, strict=True):
            if digest != kept:
                _problem(chunk, f"event {seq}: stored leaf hash does not match the leaf")
    try:
        parsed = list(map(orjson.loads, leaves))
        expected = list(map(_columns, parsed))
    except (orjson.JSONDecodeError, AttributeError, TypeError, KeyError):
        parsed, expected = [], []
        for seq, leaf in zip(seqs, leaves, strict=True):
            try:
                item = orjson.loads(leaf)
                parsed.append(item)
                expected.append(_columns(item))
            except (orjson.JSONDecodeError, AttributeError, TypeError, KeyError):
                _problem(chunk, f"event {seq}: leaf is not a valid event")
                parsed.append({})
                expected.append(None)
    actual = [tuple(row[3:]) for row in rows]
    if expected != actual:
        for seq, want, have in zip(seqs, expected, actual, strict=True):
            if want != have:
                _problem(chunk, f"event {seq}: indexed columns differ from the signed leaf")
    for seq, leaf, item in zip(seqs, leaves, parsed, strict=True):
        if b'"log.key_rotate"' in leaf and item.get("action") == KEY_ROTATE:
            details = item.get("details") or {}
            chunk.rotations.append((seq, details.get("vkey") if isinstance(details, dict) else None))
    parts.append(b"".join(digests))
    chunk.count += len(rows)
    return max(expected_seq, seqs[-1] + 1) if seqs else expected_seq


def _problem(chunk: Chunk, message: str) -> None:
    if len(chunk.problems) < MAX_PROBLEMS:
        chunk.problems.append(message)


def scan_all(url: str, size: int, workers: int = 2) -> list[Chunk]:
    """Scan events 0..size-1, in parallel when the log is large."""
    if size < PARALLEL_FROM or workers < 2:
        return [scan(url, 0, size)]
    pieces = workers * 4
    step = -(-size // pieces)
    bounds = [(start, min(size, start + step)) for start in range(0, size, step)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(scan, [url] * len(bounds), *zip(*bounds, strict=True)))


def build_levels(leaf_hashes: list[bytes]) -> list[list[bytes]]:
    """Every complete node of the tree, level by level (level 0 = leaves)."""
    sha256 = hashlib.sha256
    levels = [leaf_hashes]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append(
            [sha256(b"\x01" + below[i] + below[i + 1]).digest() for i in range(0, len(below) - 1, 2)]
        )
    return levels
