"""A tus piece on its way to the partial file: read in page-aligned blocks, written with direct
I/O where the file system takes it (from odd offsets too), hashed as it goes, and kept up to
a cut in the body."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from starlette.requests import ClientDisconnect

from exhibits.storage.writeback import DIRECT_BLOCK
from exhibits.uploads.partial import BLOCK, RunningHashes, append_piece
from exhibits.uploads.tus import ChecksumMismatch
from exhibits.web.streams import BodyInterrupted, RequestBodyReader, run_with_body


def _on_own_loop(coroutine):
    """Run on a thread with its own event loop, as a server's request is (and as an earlier
    test's loop, still running on this thread, would not allow)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


@pytest.fixture
def part(tmp_path: Path) -> Path:
    path = tmp_path / "upload.part"
    path.touch()
    return path


def test_pieces_from_odd_offsets_land_exactly_with_the_running_sha256(part):
    data = os.urandom(3 * BLOCK + 3 * DIRECT_BLOCK)
    hashes = RunningHashes()
    # Piece ends inside a disk block, then a piece from there of several blocks, and so on.
    ends = [DIRECT_BLOCK + 17, 2 * BLOCK + 5, 2 * BLOCK + DIRECT_BLOCK, len(data)]
    start = 0
    for end in ends:
        assert append_piece(part, start, len(data), io.BytesIO(data[start:end]), hashes=hashes) == end
        start = end
    assert part.read_bytes() == data
    assert hashes.digest(str(part), len(data)) == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_a_large_piece_with_a_wrong_checksum_leaves_the_file_and_its_hash_as_they_were(part, algorithm):
    data = os.urandom(BLOCK + 999)
    hashes = RunningHashes()
    append_piece(part, 0, 10 * BLOCK, io.BytesIO(data[:999]), hashes=hashes)
    wrong = (algorithm, hashlib.new(algorithm, b"other").digest())
    with pytest.raises(ChecksumMismatch):
        append_piece(part, 999, 10 * BLOCK, io.BytesIO(data[999:]), wrong, hashes=hashes)
    assert part.read_bytes() == data[:999]
    right = (algorithm, hashlib.new(algorithm, data[999:]).digest())
    assert append_piece(part, 999, len(data), io.BytesIO(data[999:]), right, hashes=hashes) == len(data)
    assert hashes.digest(str(part), len(data)) == hashlib.sha256(data).hexdigest()


async def _cut_body(data: bytes, step: int) -> AsyncIterator[bytes]:
    for at in range(0, len(data), step):
        yield data[at : at + step]
        await asyncio.sleep(0)
    raise ClientDisconnect


def test_a_cut_body_gives_what_arrived_then_the_interruption():
    data = os.urandom(BLOCK // 2 + 12345)  # less than one block arrives before the cut

    def read_blocks(reader: RequestBodyReader) -> list[int | str]:
        block = bytearray(BLOCK)
        results: list[int | str] = [reader.readinto(block)]
        assert bytes(block[: len(data)]) == data
        try:
            reader.readinto(block)
        except BodyInterrupted:
            results.append("interrupted")
        return results

    async def main() -> list[int | str]:
        reader = RequestBodyReader(_cut_body(data, 64 * 1024))
        return await run_with_body(reader, read_blocks, reader)

    assert _on_own_loop(main()) == [len(data), "interrupted"]


def test_a_piece_cut_mid_block_keeps_the_bytes_that_arrived(part):
    data = os.urandom(2 * BLOCK + 4321)

    def append(reader: RequestBodyReader) -> int:
        return append_piece(part, 0, 4 * BLOCK, reader)

    async def main() -> None:
        reader = RequestBodyReader(_cut_body(data, 100_000))
        await run_with_body(reader, append, reader)

    with pytest.raises(BodyInterrupted):
        _on_own_loop(main())
    assert part.read_bytes() == data  # the client resumes from here
