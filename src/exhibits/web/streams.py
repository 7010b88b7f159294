"""Bridges between ASGI's async request bodies and the blocking file-like streams that the
vault's services read (in a worker thread), so uploads stream in constant memory.

The event loop pulls the body ahead of the thread (up to ``AHEAD`` bytes) while the thread
writes and hashes what already arrived: receiving overlaps with storing, and the thread
takes whole batches without a round trip to the loop for each."""

from __future__ import annotations

import asyncio
import contextlib
import io
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from exhibits.errors import InvalidInput

# Up to two of the vault's 4 MiB reads wait in memory per upload, and the thread is woken
# per 2 MiB: smaller figures (1 MiB / 512 KiB) halved plain uploads (bench/api_upload.py).
AHEAD = 8 * 1024 * 1024
WAKE_AT = 2 * 1024 * 1024
T = TypeVar("T")


class BodyInterrupted(InvalidInput):
    """The client went away mid-body."""


class RequestBodyReader(io.RawIOBase):
    """A readable binary stream over an ASGI request body, for use from a worker thread
    while ``pull`` runs on the event loop (``run_with_body`` arranges both)."""

    def __init__(self, chunks: AsyncIterator[bytes], on_bytes: Callable[[int], Any] | None = None) -> None:
        self._chunks = chunks
        self._on_bytes = on_bytes
        self._pieces: deque[memoryview] = deque()
        self._buffered = 0
        self._ended = False
        self._failure: BaseException | None = None
        self._cond = threading.Condition()
        self._room: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.received = 0

    def readable(self) -> bool:
        return True

    # --- the event loop's side -------------------------------------------------------------

    async def pull(self) -> None:
        """Move the body into the buffer, pausing while ``AHEAD`` bytes wait for the thread."""
        self._loop = asyncio.get_running_loop()
        self._room = asyncio.Event()
        whole = False
        try:
            async for chunk in self._chunks:
                if chunk and await self._put(chunk):
                    break
            whole = True
        except Exception as exc:  # handed to the thread, after what did arrive
            self._failure = exc
        finally:
            with self._cond:
                if not whole and (self._failure is None or isinstance(self._failure, ClientDisconnect)):
                    # Never a clean end-of-body for a body that did not end.
                    self._failure = BodyInterrupted("the connection closed before the whole body arrived")
                self._ended = True
                self._cond.notify_all()

    async def _put(self, chunk: bytes) -> bool:
        """Queue a chunk; True when the thread has stopped reading (nothing more is wanted)."""
        assert self._room is not None
        with self._cond:
            self._pieces.append(memoryview(chunk))
            self._buffered += len(chunk)
            full = self._buffered >= AHEAD
            if full:
                self._room.clear()
            if self._buffered >= WAKE_AT:
                self._cond.notify_all()
        if full:
            await self._room.wait()
        return self.closed

    # --- the thread's side -----------------------------------------------------------------

    def _take(self, size: int) -> list[memoryview]:
        """Up to ``size`` bytes of what has arrived, waiting for some unless the body ended."""
        with self._cond:
            while self._buffered < min(size, WAKE_AT) and not self._ended:
                self._cond.wait()
            if not self._pieces:
                if self._failure is not None:
                    raise self._failure
                return []
            taken: list[memoryview] = []
            wanted = size
            while self._pieces and wanted > 0:
                piece = self._pieces.popleft()
                if len(piece) > wanted:
                    self._pieces.appendleft(piece[wanted:])
                    piece = piece[:wanted]
                taken.append(piece)
                wanted -= len(piece)
            count = size - wanted
            self._buffered -= count
            if self._buffered < AHEAD and self._room is not None and self._loop is not None:
                self._loop.call_soon_threadsafe(self._room.set)
        self.received += count
        if self._on_bytes:
            self._on_bytes(count)
        return taken

    def readinto(self, buffer) -> int:  # type: ignore[override]
        """Fill ``buffer``; less only at the end of the body. A body cut short gives what
        arrived before the cut first (a tus upload keeps it), and the failure on the next read."""
        target = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(target):
            try:
                pieces = self._take(len(target) - filled)
            except Exception:
                if filled:
                    return filled
                raise
            if not pieces:
                break
            for piece in pieces:
                target[filled : filled + len(piece)] = piece
                filled += len(piece)
        return filled

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        """What has arrived, up to ``size`` bytes (at least one unless the body ended)."""
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(1 << 20), b""))
        pieces = self._take(size)
        if len(pieces) == 1 and isinstance(pieces[0].obj, bytes) and len(pieces[0]) == len(pieces[0].obj):
            return pieces[0].obj  # a whole chunk as it came: no copy
        return b"".join(pieces)

    def close(self) -> None:
        super().close()
        if self._room is not None and self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already stopped
                self._loop.call_soon_threadsafe(self._room.set)


async def run_with_body(reader: RequestBodyReader, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` in a worker thread while the event loop feeds ``reader``."""
    pulling = asyncio.ensure_future(reader.pull())
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    finally:
        reader.close()
        pulling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pulling
