"""Appending a tus piece to a partial file: one writer at a time, at the file's own offset.

Shared by officers' uploads (exhibits.uploads) and the public portal (exhibits.portal): both
keep the bytes that arrived before an interruption (the client resumes from the offset)
unless the piece carried a checksum, which must then match the whole piece.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from exhibits.errors import Conflict, TooLarge
from exhibits.uploads.tus import CHECKSUM_ALGORITHMS, ChecksumMismatch, OffsetMismatch

CHUNK = 1024 * 1024


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
) -> int:
    """Write ``source`` at ``offset`` of the partial file of declared ``length``; return the
    new end. ``written(fd, start, end)`` runs after the fsync, still holding the lock (to look
    at the bytes). Raises FileNotFoundError when the partial file is gone."""
    fd = os.open(path, os.O_RDWR)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise Conflict(f"another request is sending bytes to this {noun}") from None
            raise
        start = os.fstat(fd).st_size
        if offset != start:
            raise OffsetMismatch(f"Upload-Offset is {offset} but the {noun} stands at {start}", offset=start)
        room = length - start
        if content_length is not None and content_length > room:
            raise TooLarge(f"this piece would take the {noun} past its length of {length:,} bytes")
        end = start + _receive(fd, start, room, source, checksum, noun)
        os.fsync(fd)
        if written is not None:
            written(fd, start, end)
        return end
    finally:
        os.close(fd)


def _receive(
    fd: int, start: int, room: int, source: BinaryIO, checksum: tuple[str, bytes] | None, noun: str
) -> int:
    hasher = CHECKSUM_ALGORITHMS[checksum[0]]() if checksum else None
    os.lseek(fd, start, os.SEEK_SET)
    received = 0
    try:
        while data := source.read(CHUNK):
            if received + len(data) > room:
                raise TooLarge(f"more bytes than the {noun}'s declared length")
            if hasher:
                hasher.update(data)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            received += len(data)
    except TooLarge:
        os.ftruncate(fd, start)
        raise
    except Exception:
        # Interrupted: keep what arrived unless it was to be checked as a whole.
        if checksum:
            os.ftruncate(fd, start)
        raise
    if checksum and hasher is not None and hasher.digest() != checksum[1]:
        os.ftruncate(fd, start)
        raise ChecksumMismatch(f"the {checksum[0]} checksum of this piece does not match: it was discarded")
    return received
