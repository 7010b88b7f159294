"""Copy a source into a new temporary file, hashing exactly the bytes stored.

Where the vault's file system takes direct I/O, every source goes through the pump
(``exhibits.storage.base.Pump``: read once into page-aligned buffers, hashed on one thread,
written straight to the device on another by ``writeback.FileAppender``): no second copy of
the bytes in the page cache and no writeback left for the kernel. On these machines that
was the cheapest copy by far (bench/ingest.py).

Elsewhere a regular file is copied inside the kernel: ``copy_file_range(2)`` moves each
byte once, and the SHA-256 is computed on a second thread from the *destination*, mapped
read-only just behind the copy, so it is the hash of exactly the bytes stored. Where the
kernel cannot copy between the two files either (a special file, another file system on an
old kernel, no ``copy_file_range``), ``copy_hashed`` gives None before writing a byte and
the pump writes through the page cache.

A small regular file (a thumbnail, a page of text) is read and written in one go: at that
size the pump's buffers and threads cost more than the copy.
"""

from __future__ import annotations

import errno
import hashlib
import mmap
import os
import stat
import threading
from dataclasses import dataclass
from typing import BinaryIO

from exhibits.errors import TooLarge
from exhibits.storage.base import HEAD_BYTES, Progress, Pump
from exhibits.storage.writeback import FileAppender, start_writeback, supports_direct_io

STEP = 16 * 2**20  # bytes per kernel copy, and per mapping hashed
SMALL_FILE = 256 * 2**10  # copied in one read and one write (copy_small)
_UNSUPPORTED = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF}


class Stopped(Exception):
    """The copy was asked to stop before it finished."""


@dataclass(frozen=True)
class Copied:
    sha256: str
    size: int
    head: bytes


class _Follower:
    """Hashes the destination up to where the copy has reached, on its own thread."""

    def __init__(self, dest_fd: int) -> None:
        self.dest_fd = dest_fd
        self.hasher = hashlib.sha256()
        self.failure: BaseException | None = None
        self._reached = 0
        self._finished = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="exhibits-copy-hash", daemon=True)
        self._thread.start()

    def advance(self, reached: int, finished: bool = False) -> None:
        with self._cond:
            self._reached = reached
            self._finished = finished
            self._cond.notify()

    def join(self) -> str:
        self._thread.join()
        if self.failure is not None:
            raise self.failure
        return self.hasher.hexdigest()

    def _run(self) -> None:
        hashed = 0
        try:
            while True:
                with self._cond:
                    while self._reached == hashed and not self._finished:
                        self._cond.wait()
                    reached, finished = self._reached, self._finished
                while hashed < reached:
                    hashed += self._hash(hashed, min(reached, hashed + STEP))
                if finished and hashed == reached:
                    return
        except BaseException as exc:  # handed to the copying thread
            self.failure = exc

    def _hash(self, start: int, end: int) -> int:
        base = start - start % mmap.ALLOCATIONGRANULARITY
        mapped = mmap.mmap(self.dest_fd, end - base, offset=base, access=mmap.ACCESS_READ)
        with mapped, memoryview(mapped) as view, view[start - base :] as piece:
            self.hasher.update(piece)
        return end - start


def copy_hashed(
    source_fd: int,
    dest_fd: int,
    *,
    limit: int,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> Copied | None:
    """Copy ``source_fd`` from its start to its end into the empty ``dest_fd`` (opened for
    reading and writing) and return the copy's SHA-256, size and first bytes; None, with
    nothing written, where the kernel cannot copy between them. More than ``limit`` bytes
    raise ``TooLarge``. The caller makes the copy durable (fdatasync)."""
    copied = _kernel_copy(source_fd, dest_fd, 0, min(STEP, limit + 1))
    if copied is None or (copied == 0 and os.fstat(source_fd).st_size > 0):
        return None  # (some special file systems report nothing copied rather than an error)
    follower = _Follower(dest_fd)
    size = 0
    try:
        while copied:
            size += copied
            if size > limit:
                raise TooLarge(f"larger than the {limit:,}-byte limit")
            start_writeback(dest_fd, size - copied, copied)
            follower.advance(size)
            if progress:
                progress(copied)
            if stop is not None and stop.is_set():
                raise Stopped
            if follower.failure is not None:
                break
            copied = os.copy_file_range(source_fd, dest_fd, min(STEP, limit + 1 - size), size, size)
    finally:
        follower.advance(size, finished=True)
        sha256 = follower.join()
    return Copied(sha256, size, os.pread(dest_fd, HEAD_BYTES, 0))


def _kernel_copy(source_fd: int, dest_fd: int, offset: int, count: int) -> int | None:
    """The first copy: None where this kind of copy is not possible between the two."""
    try:
        return os.copy_file_range(source_fd, dest_fd, count, offset, offset)
    except AttributeError:  # not Linux
        return None
    except OSError as exc:
        if exc.errno in _UNSUPPORTED:
            return None
        raise


def copy_into(
    source: BinaryIO,
    dest_fd: int,
    *,
    limit: int,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> Copied:
    """Copy everything readable from ``source`` into the empty temporary file ``dest_fd``:
    a small regular file in one read and one write (``copy_small``), anything else through
    the pump with direct I/O where ``dest_fd``'s file system takes it (reads on this
    thread, hashing and writing on two others), else in the kernel where ``source`` is an
    unread regular file, else through the pump and the page cache. Either way the bytes are
    on their way to disk as they go, so the caller's fdatasync finds little left to write."""
    source_fd = regular_file(source)
    if source_fd is not None and (small := copy_small(source_fd, dest_fd, limit=limit)) is not None:
        if progress:
            progress(small.size)
        return small
    direct = supports_direct_io(dest_fd)
    if not direct and source_fd is not None:
        copied = copy_hashed(source_fd, dest_fd, limit=limit, progress=progress, stop=stop)
        if copied is not None:
            return copied
    append = FileAppender(dest_fd, use_direct=direct)

    def write(chunk: memoryview) -> None:
        if stop is not None and stop.is_set():
            raise Stopped
        append(chunk)

    pump = Pump(limit, progress)
    try:
        pump.run(source, write)
    finally:
        append.finish()
    return Copied(pump.sha256, pump.size, pump.head)


def copy_small(source_fd: int, dest_fd: int, *, limit: int) -> Copied | None:
    """A regular file of at most SMALL_FILE bytes, copied in one read and one write (the
    caller's fdatasync makes it durable); None, with nothing written, for a larger one.
    For a processor's thumbnail, the pump's buffers and direct I/O cost far more than the
    bytes themselves."""
    if os.fstat(source_fd).st_size > SMALL_FILE:
        return None
    data = os.pread(source_fd, SMALL_FILE + 1, 0)
    if len(data) > SMALL_FILE:  # it grew meanwhile
        return None
    if len(data) > limit:
        raise TooLarge(f"larger than the {limit:,}-byte limit")
    with memoryview(data) as view:
        written = 0
        while written < len(data):
            written += os.pwrite(dest_fd, view[written:], written)
    return Copied(hashlib.sha256(data).hexdigest(), len(data), data[:HEAD_BYTES])


def regular_file(source: BinaryIO) -> int | None:
    """``source``'s descriptor, if it is a regular file not read from yet."""
    try:
        fd = source.fileno()
        if not stat.S_ISREG(os.fstat(fd).st_mode) or source.tell() != 0:
            return None
    except (AttributeError, OSError, ValueError):  # not a file (an upload's stream), or closed
        return None
    return fd
