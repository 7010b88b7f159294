"""Bridges between ASGI's async request bodies and the blocking file-like streams that the
vault's services read (in a worker thread), so uploads stream in constant memory."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import anyio.from_thread
from starlette.requests import ClientDisconnect

from exhibits.errors import InvalidInput

BATCH = 1024 * 1024


class BodyInterrupted(InvalidInput):
    """The client went away mid-body."""


async def _raise_disconnect() -> AsyncIterator[bytes]:
    raise ClientDisconnect()
    yield b""  # pragma: no cover - makes this an async generator


class RequestBodyReader(io.RawIOBase):
    """A readable binary stream over an ASGI request body, for use from a worker thread."""

    def __init__(self, chunks: AsyncIterator[bytes], on_bytes=None) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")
        self._done = False
        self._on_bytes = on_bytes
        self.received = 0

    def readable(self) -> bool:
        return True

    async def _next(self) -> bytes | None:
        """Up to about a mebibyte of body: one hop between threads per batch, not per packet."""
        pieces: list[bytes] = []
        size = 0
        try:
            while size < BATCH:
                chunk = await self._chunks.__anext__()
                pieces.append(chunk)
                size += len(chunk)
        except StopAsyncIteration:
            if not pieces:
                return None
        except ClientDisconnect:
            if pieces:  # hand over what did arrive; the next call reports the interruption
                self._chunks = _raise_disconnect()
            else:
                raise BodyInterrupted("the connection closed before the whole body arrived") from None
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def _fill(self) -> bool:
        while not self._pending and not self._done:
            chunk = anyio.from_thread.run(self._next)
            if chunk is None:
                self._done = True
                return False
            if chunk:
                self._pending = memoryview(chunk)
                self.received += len(chunk)
                if self._on_bytes:
                    self._on_bytes(len(chunk))
        return bool(self._pending)

    def readinto(self, buffer) -> int:  # type: ignore[override]
        target = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(target) and self._fill():
            take = min(len(target) - filled, len(self._pending))
            target[filled : filled + take] = self._pending[:take]
            self._pending = self._pending[take:]
            filled += take
        return filled

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(1 << 20), b""))
        if not self._fill():
            return b""
        take = self._pending[:size]
        self._pending = self._pending[len(take) :]
        return bytes(take)
