"""Appending a tus piece to a partial file: one writer at a time, at the file's own offset.

Shared by officers' uploads (exhibits.uploads) and the public portal (exhibits.portal): both
keep the bytes that arrived before an interruption (the client resumes from the offset)
unless the piece carried a checksum, which must then match the whole piece.

``RunningHashes`` keeps the SHA-256 of each partial file's bytes so far, updated as pieces
are written, so that completing an upload need not read the whole file again.

A piece is read in page-aligned blocks, each hashed (the piece's checksum, the running
SHA-256) on a hashing thread while it is written with direct I/O where the file system takes
it (``writeback.FileAppender``): no copy into the page cache and no writeback left behind.
With tuspy that cut the server's CPU per GiB by 18-36% (bench/README.md). The
fsync before the offset is acknowledged stays.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import mmap
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

from exhibits.errors import Conflict, TooLarge
from exhibits.storage.writeback import FileAppender
from exhibits.uploads.tus import CHECKSUM_ALGORITHMS, ChecksumMismatch, OffsetMismatch

# Bytes per read, hash and write of a piece: a 4 MiB piece is hashed and written as it
# arrives, so little is left to do after its last byte.
BLOCK = 1024 * 1024
HASH_APART = 256 * 1024  # smaller blocks are hashed on the writing thread
_blocks = threading.local()
_HASHING = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="exhibits-piece-hash")


class Prefix:
    """The SHA-256 of a partial file's first ``length`` bytes."""

    __slots__ = ("hasher", "length")

    def __init__(self, hasher: Any = None, length: int = 0) -> None:
        self.hasher = hasher if hasher is not None else hashlib.sha256()
        self.length = length

    def update(self, data: bytes | memoryview) -> None:
        self.hasher.update(data)
        self.length += len(data)

    def copy(self) -> Prefix:
        return Prefix(self.hasher.copy(), self.length)


class RunningHashes:
    """Each partial file's running SHA-256, in this process only. A piece received by
    another worker, a restart or an eviction leaves a gap: the hash is then unknown here
    (``digest`` answers None) and the caller reads the partial file again. Bytes below a
    partial file's offset are never rewritten, so (file, offset) identifies the prefix."""

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._states: OrderedDict[str, Prefix] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, offset: int) -> Prefix | None:
        """The hash of the first ``offset`` bytes, removed from the table (the caller holds
        the file's lock and keeps it back when done), or None when unknown here."""
        if offset == 0:
            self.forget(key)
            return Prefix()
        with self._lock:
            prefix = self._states.pop(key, None)
        return prefix if prefix is not None and prefix.length == offset else None

    def keep(self, key: str, prefix: Prefix) -> None:
        with self._lock:
            self._states[key] = prefix
            self._states.move_to_end(key)
            while len(self._states) > self.capacity:
                self._states.popitem(last=False)

    def digest(self, key: str, length: int) -> str | None:
        """The SHA-256 of the whole file of ``length`` bytes if every byte passed through here."""
        with self._lock:
            prefix = self._states.pop(key, None)
        return prefix.hasher.hexdigest() if prefix is not None and prefix.length == length else None

    def forget(self, key: str) -> None:
        with self._lock:
            self._states.pop(key, None)


def _hold(fd: int, busy: str) -> None:
    """Take the partial file's lock (until ``fd`` is closed), or refuse with ``busy``: one
    request at a time writes to an upload, or completes it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise Conflict(busy) from None
        raise


@contextlib.contextmanager
def locked(path: Path, busy: str) -> Iterator[None]:
    """Hold the partial file's lock for a block, or refuse with ``busy``. Raises
    FileNotFoundError, on entering, when the partial file is gone."""
    fd = os.open(path, os.O_RDONLY)
    try:
        _hold(fd, busy)
        yield
    finally:
        os.close(fd)


def append_piece(
    path: Path,
    offset: int,
    length: int,
    source: BinaryIO,
    checksum: tuple[str, bytes] | None = None,
    content_length: int | None = None,
    *,
    noun: str = "upload",
    written: Callable[[int, int, int], None] | None = None,
    hashes: RunningHashes | None = None,
) -> int:
    """Write ``source`` at ``offset`` of the partial file of declared ``length``; return the
    new end. ``written(fd, start, end)`` runs after the fsync, still holding the lock (to look
    at the bytes). With ``hashes``, the file's running SHA-256 follows the bytes written.
    Raises FileNotFoundError when the partial file is gone."""
    fd = os.open(path, os.O_RDWR)
    try:
        _hold(fd, f"another request is sending bytes to this {noun}")
        start = os.fstat(fd).st_size
        if offset != start:
            raise OffsetMismatch(f"Upload-Offset is {offset} but the {noun} stands at {start}", offset=start)
        room = length - start
        if content_length is not None and content_length > room:
            raise TooLarge(f"this piece would take the {noun} past its length of {length:,} bytes")
        prefix = hashes.take(str(path), start) if hashes is not None else None
        before = prefix.copy() if prefix is not None else None  # for a piece that is discarded
        try:
            end = start + _receive(fd, start, room, source, checksum, noun, prefix)
            os.fsync(fd)
        finally:
            if hashes is not None:
                _keep_matching(hashes, str(path), os.fstat(fd).st_size, prefix, before)
        if written is not None:
            written(fd, start, end)
        return end
    finally:
        os.close(fd)


def _keep_matching(hashes: RunningHashes, key: str, size: int, *candidates: Prefix | None) -> None:
    """Keep whichever running hash covers the file as it now stands (after a discarded piece:
    the one from before it; after an odd partial write: none)."""
    for prefix in candidates:
        if prefix is not None and prefix.length == size:
            hashes.keep(key, prefix)
            return


def _receive(
    fd: int,
    start: int,
    room: int,
    source: BinaryIO,
    checksum: tuple[str, bytes] | None,
    noun: str,
    prefix: Prefix | None = None,
) -> int:
    piece_hash = CHECKSUM_ALGORITHMS[checksum[0]]() if checksum else None
    hashers = [h for h in (piece_hash, prefix) if h is not None]
    os.lseek(fd, start, os.SEEK_SET)
    append = FileAppender(fd, offset=start)
    block = memoryview(_block())
    received = 0
    try:
        while length := source.readinto(block[: append.aligning or BLOCK]) or 0:  # type: ignore[attr-defined]
            if received + length > room:
                raise TooLarge(f"more bytes than the {noun}'s declared length")
            _hash_and_write(block[:length], hashers, append)
            received += length
    except TooLarge:
        os.ftruncate(fd, start)
        raise
    except Exception:
        # Interrupted: keep what arrived unless it was to be checked as a whole.
        if checksum:
            os.ftruncate(fd, start)
        raise
    finally:
        append.finish()
    if piece_hash is not None and checksum is not None and piece_hash.digest() != checksum[1]:
        os.ftruncate(fd, start)
        raise ChecksumMismatch(f"the {checksum[0]} checksum of this piece does not match: it was discarded")
    return received


def _block() -> mmap.mmap:
    """This thread's block: page-aligned memory, as direct I/O needs, kept for its next piece
    (a fresh map per piece would fault in every page again)."""
    block = getattr(_blocks, "block", None)
    if block is None:
        block = _blocks.block = mmap.mmap(-1, BLOCK)
    return block


def _hash_and_write(data: memoryview, hashers: list[Any], append: FileAppender) -> None:
    """Hash ``data`` on the hashing thread while writing it here: both release the GIL, so
    a block costs the slower of the two rather than their sum. A failed write leaves the
    running hash longer than the file, and ``_keep_matching`` then drops it."""
    if not hashers or len(data) < HASH_APART:  # not worth the hand-over
        _update(hashers, data)
        append(data)
        return
    hashing = _HASHING.submit(_update, hashers, data)
    try:
        append(data)
    finally:
        hashing.result()


def _update(hashers: list[Any], data: memoryview) -> None:
    for hasher in hashers:
        hasher.update(data)
