"""Getting written bytes to disk early, without the page cache's cost where it can be avoided.

``start_writeback``: Linux ``sync_file_range(2)`` with ``SYNC_FILE_RANGE_WRITE``. Called as
bytes are written, it lets the disk work while more bytes arrive, so the fsync that makes
them durable finds little left to do. It promises nothing by itself (no metadata, no cache
flush): the fsync stays, and stays the promise. Elsewhere (or when the call fails) it does
nothing.

``FileAppender``: the ingest pump's sink for a temporary file. Whole, aligned chunks go to
disk with direct I/O (``O_DIRECT``): straight from the pump's buffer to the device, with no
copy into the page cache and no dirty pages for the kernel to write back later. On these
machines a buffered 2 GiB copy cost 1-4.7 s of system CPU under load, against 0.2-0.4 s
direct (bench/ingest.py). Where the file system refuses direct I/O, or for the unaligned
end of the content, it writes through the page cache as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import sys
from collections.abc import Callable

SYNC_FILE_RANGE_WRITE = 2
DIRECT_BLOCK = 4096  # offsets, lengths and buffer addresses of direct writes: a multiple of
# any device's logical block size (512 or 4096)
DIRECT_MIN = 1 << 20  # a first chunk smaller than this is small content: written buffered
_O_DIRECT = getattr(os, "O_DIRECT", 0)


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
    """Write each chunk to ``fd`` in full, at the end of what was written before: with direct
    I/O while the chunks stay aligned (``use_direct``), else through the page cache with its
    writeback started at once. ``finish`` puts ``fd``'s flags back as they were.

    Direct writes need the chunk's memory, the file offset and the length to be multiples of
    ``DIRECT_BLOCK`` (the pump's buffers are page-aligned maps and its chunks whole, but for
    the last). The first chunk that is not switches the file to buffered writes for good.

    ``offset`` is where ``fd`` stands (the end of a partial file being appended to). Chunks
    that start inside a disk block go buffered without deciding anything, so a caller that
    starts there sends the few bytes up to the next block first (``aligning``) and the rest
    can still go direct. ``written`` is the offset reached.
    """

    def __init__(self, fd: int, *, use_direct: bool = True, offset: int = 0) -> None:
        self.fd = fd
        self.written = offset
        self._flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        self._direct: bool | None = None if use_direct and _O_DIRECT else False  # None: not tried

    @property
    def aligning(self) -> int:
        """How many bytes take the offset to the next disk block (0 when it is at one)."""
        return -self.written % DIRECT_BLOCK

    def __call__(self, chunk: memoryview) -> None:
        if self._direct is None and not self.aligning:
            self._direct = len(chunk) >= DIRECT_MIN and _set_flags(self.fd, self._flags | _O_DIRECT)
        if self._direct:
            chunk = self._write_direct(chunk)
        if chunk:
            self._write_buffered(chunk)

    def _write_direct(self, chunk: memoryview) -> memoryview:
        """Write what can go direct; return the rest, having left direct I/O if there is any."""
        whole = len(chunk) - len(chunk) % DIRECT_BLOCK
        if whole and _address(chunk) % DIRECT_BLOCK == 0 and self.written % DIRECT_BLOCK == 0:
            try:
                while whole:
                    done = os.write(self.fd, chunk[:whole])
                    chunk, whole = chunk[done:], whole - done
                    self.written += done
                    if done % DIRECT_BLOCK:
                        break  # a short, unaligned write: the rest goes buffered
            except OSError as exc:
                if exc.errno != errno.EINVAL:  # refused before writing: go buffered
                    raise
        if chunk:
            self._direct = False
            _set_flags(self.fd, self._flags)
        return chunk

    def _write_buffered(self, chunk: memoryview) -> None:
        length = len(chunk)
        while chunk:
            chunk = chunk[os.write(self.fd, chunk) :]
        start_writeback(self.fd, self.written, length)
        self.written += length

    def finish(self) -> None:
        if self._direct:
            self._direct = False
            _set_flags(self.fd, self._flags)


def supports_direct_io(fd: int) -> bool:
    """Whether ``fd``'s file system takes direct I/O (tried, and ``fd`` left as it was)."""
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    if not _O_DIRECT or not _set_flags(fd, flags | _O_DIRECT):
        return False
    _set_flags(fd, flags)
    return True


def _set_flags(fd: int, flags: int) -> bool:
    """Set ``fd``'s status flags; False where the file system refuses (direct I/O)."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, flags)
    except OSError:
        return False
    return True


def _address(view: memoryview) -> int:
    """Where ``view``'s bytes start in memory; -1 for read-only memory (written buffered)."""
    if view.readonly or not len(view):
        return -1
    return ctypes.addressof(ctypes.c_char.from_buffer(view))
