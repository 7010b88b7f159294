"""Start writing dirty pages to disk without waiting: Linux ``sync_file_range(2)`` with
``SYNC_FILE_RANGE_WRITE``. Called as bytes are written, it lets the disk work while more
bytes arrive, so the fsync that makes them durable finds little left to do. It promises
nothing by itself (no metadata, no cache flush): the fsync stays, and stays the promise.
Elsewhere (or when the call fails) it does nothing."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Callable

SYNC_FILE_RANGE_WRITE = 2


def _load() -> Callable[[int, int, int, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    with contextlib.suppress(OSError, AttributeError):
        call = ctypes.CDLL(None, use_errno=True).sync_file_range
        call.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
        call.restype = ctypes.c_int
        return call
    return None


_SYNC_FILE_RANGE = _load()


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to begin writing ``length`` bytes at ``offset`` of ``fd`` to disk."""
    if _SYNC_FILE_RANGE is not None and length > 0:
        _SYNC_FILE_RANGE(fd, offset, length, SYNC_FILE_RANGE_WRITE)


class FileAppender:
    """Write each chunk to ``fd`` in full, at the end of what was written before, and start
    its writeback at once (the ingest pump's sink for a temporary file)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.written = 0

    def __call__(self, chunk: memoryview) -> None:
        length = len(chunk)
        while chunk:
            chunk = chunk[os.write(self.fd, chunk) :]
        start_writeback(self.fd, self.written, length)
        self.written += length
