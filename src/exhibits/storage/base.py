"""The blob store interface, and the single-pass hash-and-copy both backends share."""

from __future__ import annotations

import hashlib
import mmap
import queue
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from exhibits.errors import InvalidInput, TooLarge

CHUNK = 4 * 2**20
HEAD_BYTES = 64 * 1024  # kept for type sniffing
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

Progress = Callable[[int], None]  # called with the number of new bytes handled


def chunk_buffer() -> mmap.mmap:
    """A pump buffer: page-aligned memory, as direct I/O needs (``writeback.FileAppender``)."""
    return mmap.mmap(-1, CHUNK)


def is_sha256(text: str) -> bool:
    return bool(_SHA256.match(text))


@dataclass(frozen=True)
class IngestResult:
    sha256: str
    size: int
    head: bytes  # the first bytes, for sniffing the content type
    created: bool  # False when identical content was already stored


class BlobStore(Protocol):
    """What the rest of Exhibits may do with stored content."""

    def ingest(
        self,
        source: BinaryIO,
        *,
        limit: int,
        progress: Progress | None = None,
        expected_sha256: str | None = None,
    ) -> IngestResult:
        """Store everything readable from ``source`` under its SHA-256, reading it once.

        Empty content, content over ``limit`` and content whose hash differs from
        ``expected_sha256`` are refused before anything becomes visible in the store.
        """
        ...

    def adopt(
        self,
        path: Path,
        *,
        limit: int,
        known_sha256: str | None = None,
        expected_sha256: str | None = None,
    ) -> IngestResult:
        """Store a complete file of the tmp area (a finished upload) under its SHA-256, moving
        rather than copying it where the backend can. ``known_sha256`` is the file's hash as
        computed while its bytes were written; without it the file is read and hashed. The
        same refusals as ``ingest``. The caller removes ``path`` afterwards."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int: ...

    def open(self, sha256: str) -> BinaryIO:
        """Stored bytes, as a seekable stream. Callers that export re-check the hash."""
        ...

    def read_range(self, sha256: str, start: int, length: int) -> bytes: ...

    def rehash(self, sha256: str, progress: Progress | None = None) -> str:
        """Read the stored content again and return its actual SHA-256."""
        ...

    def delete(self, sha256: str) -> None:
        """Remove content: disposal only, after the rules in the evidence service."""
        ...

    def iter_hashes(self) -> Iterator[str]: ...

    def local_path(self, sha256: str) -> str | None:
        """A filesystem path to the content when the backend has one (tools like ffmpeg)."""
        ...

    def cleanup_temporary(self, older_than_seconds: float) -> int:
        """Remove temporary files of interrupted ingests; returns how many went."""
        ...


class Pump:
    """Read a source once; hash each chunk on one thread while writing it on another.

    Hashing (OpenSSL SHA-NI) and writing both release the GIL, so on two cores the copy
    costs about what the slower of the two costs alone. Content of a single chunk is
    handled in the calling thread, without starting any.
    """

    BUFFERS = 6

    def __init__(self, limit: int, progress: Progress | None) -> None:
        self.limit = limit
        self.progress = progress
        self.hasher = hashlib.sha256()
        self.size = 0
        self.head = b""

    def _read(self, source: BinaryIO, buffer: mmap.mmap) -> int:
        try:
            length = source.readinto(buffer)  # type: ignore[attr-defined]
        except OSError as exc:
            raise InvalidInput(f"cannot read the source: {exc.strerror or exc}") from exc
        length = length or 0
        self.size += length
        if self.size > self.limit:
            raise TooLarge(f"larger than the {self.limit:,}-byte limit")
        if length and len(self.head) < HEAD_BYTES:
            self.head += bytes(memoryview(buffer)[: min(length, HEAD_BYTES - len(self.head))])
        if length and self.progress:
            self.progress(length)
        return length

    def run(self, source: BinaryIO, sink: Callable[[memoryview], None]) -> None:
        first = chunk_buffer()
        length = self._read(source, first)
        if not length:
            return
        second = chunk_buffer()
        more = self._read(source, second)
        if not more:  # small content: no threads
            view = memoryview(first)[:length]
            self.hasher.update(view)
            sink(view)
            return
        self._run_threaded(source, sink, [(first, length), (second, more)])

    def _run_threaded(
        self, source: BinaryIO, sink: Callable[[memoryview], None], ready: list[tuple[mmap.mmap, int]]
    ) -> None:
        free: queue.Queue = queue.Queue()
        for _ in range(self.BUFFERS - len(ready)):
            free.put(chunk_buffer())
        users: dict[int, int] = {}
        users_lock = threading.Lock()
        failure: list[BaseException] = []

        def release(buffer: mmap.mmap) -> None:
            with users_lock:
                users[id(buffer)] -= 1
                done = users[id(buffer)] == 0
            if done:
                free.put(buffer)

        def consumer(work: queue.Queue, act: Callable[[memoryview], None]) -> None:
            while True:
                item = work.get()
                if item is None:
                    return
                buffer, length = item
                if not failure:
                    try:
                        act(memoryview(buffer)[:length])
                    except BaseException as exc:  # handed back to the reading thread
                        failure.append(exc)
                release(buffer)

        hash_work: queue.Queue = queue.Queue()
        write_work: queue.Queue = queue.Queue()
        threads = [
            threading.Thread(target=consumer, args=(hash_work, self.hasher.update), daemon=True),
            threading.Thread(target=consumer, args=(write_work, sink), daemon=True),
        ]
        for thread in threads:
            thread.start()

        def hand_over(buffer: mmap.mmap, length: int) -> None:
            with users_lock:
                users[id(buffer)] = 2
            hash_work.put((buffer, length))
            write_work.put((buffer, length))

        try:
            for buffer, length in ready:
                hand_over(buffer, length)
            while not failure:
                buffer = free.get()
                length = self._read(source, buffer)
                if not length:
                    break
                hand_over(buffer, length)
        finally:
            hash_work.put(None)
            write_work.put(None)
            for thread in threads:
                thread.join()
        if failure:
            raise failure[0]

    @property
    def sha256(self) -> str:
        return self.hasher.hexdigest()

    def check(self, expected_sha256: str | None) -> None:
        check_content(self.size, self.sha256, expected_sha256)


def check_content(size: int, sha256: str, expected_sha256: str | None) -> None:
    """Refuse what must not be stored: empty content or a hash the sender did not declare."""
    if size == 0:
        raise InvalidInput("the content is empty: nothing was stored")
    if expected_sha256 and expected_sha256.lower() != sha256:
        raise InvalidInput(f"the content's SHA-256 is {sha256}, not {expected_sha256.lower()} as declared")


def hash_stream(stream: BinaryIO, progress: Progress | None = None) -> str:
    hasher = hashlib.sha256()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    while True:
        length = stream.readinto(buffer)  # type: ignore[attr-defined]
        if not length:
            return hasher.hexdigest()
        hasher.update(view[:length])
        if progress:
            progress(length)
