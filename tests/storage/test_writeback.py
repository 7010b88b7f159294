"""The pump's sink: every byte written in order, straight to the device while the chunks are
aligned, through the page cache for the rest, and the descriptor left as it was found."""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exhibits.storage.base import CHUNK, Pump, chunk_buffer
from exhibits.storage.writeback import DIRECT_BLOCK, FileAppender, supports_direct_io


@pytest.fixture
def temporary(tmp_path: Path):
    path = tmp_path / "ingest-temporary"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    yield path, fd
    os.close(fd)


def _needs_direct_io(fd: int) -> None:
    if not supports_direct_io(fd):
        pytest.skip("the test directory's file system takes no direct I/O")


def _direct(fd: int) -> bool:
    return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT)


def _chunk(data: bytes) -> memoryview:
    buffer = chunk_buffer()
    buffer[: len(data)] = data
    return memoryview(buffer)[: len(data)]


def test_whole_aligned_chunks_go_direct_and_the_flags_are_restored(temporary):
    path, fd = temporary
    _needs_direct_io(fd)
    data = os.urandom(3 * CHUNK - 1000)  # the last chunk: an aligned part, then a ragged end
    append = FileAppender(fd)
    append(_chunk(data[:CHUNK]))
    assert _direct(fd)  # written straight to the device
    append(_chunk(data[CHUNK : 2 * CHUNK]))
    append(_chunk(data[2 * CHUNK :]))  # the unaligned end: buffered from here on
    assert not _direct(fd)
    append.finish()
    assert not _direct(fd) and append.written == len(data)
    assert path.read_bytes() == data


def test_finish_leaves_no_direct_flag_behind(temporary):
    _, fd = temporary
    _needs_direct_io(fd)
    append = FileAppender(fd)
    append(_chunk(os.urandom(CHUNK)))
    assert _direct(fd)
    append.finish()
    assert not _direct(fd)
    assert os.pread(fd, 10, 5)  # an unaligned read works again


def test_an_append_from_inside_a_disk_block_fills_it_buffered_then_goes_direct(temporary):
    """A partial file ending inside a disk block (a tus piece cut at an odd byte)."""
    path, fd = temporary
    _needs_direct_io(fd)
    before = os.urandom(DIRECT_BLOCK + 100)
    os.write(fd, before)
    append = FileAppender(fd, offset=len(before))
    assert append.aligning == DIRECT_BLOCK - 100
    head = os.urandom(append.aligning)
    append(_chunk(head))
    assert not _direct(fd) and append.aligning == 0
    rest = os.urandom(CHUNK - DIRECT_BLOCK + 10)
    append(_chunk(rest))  # direct up to its ragged end
    append.finish()
    assert not _direct(fd) and append.written == len(before) + len(head) + len(rest)
    assert path.read_bytes() == before + head + rest


def test_an_append_from_inside_a_disk_block_goes_direct_only_once_aligned(temporary):
    path, fd = temporary
    _needs_direct_io(fd)
    os.write(fd, b"x" * 10)
    append = FileAppender(fd, offset=10)
    data = os.urandom(CHUNK)
    append(_chunk(data))  # sent whole from an odd offset: buffered, nothing decided
    assert not _direct(fd) and append.aligning
    append.finish()
    assert path.read_bytes() == b"x" * 10 + data


def test_small_unaligned_and_read_only_chunks_are_written_buffered(temporary):
    path, fd = temporary
    append = FileAppender(fd)
    pieces = [os.urandom(100), bytes(os.urandom(CHUNK)), os.urandom(DIRECT_BLOCK)]
    append(memoryview(pieces[0]))  # small content: never direct
    append(memoryview(pieces[1]))  # read-only memory, at an unaligned offset
    append(_chunk(pieces[2]))
    append.finish()
    assert not _direct(fd)
    assert path.read_bytes() == b"".join(pieces)


def test_direct_io_can_be_declined(temporary):
    path, fd = temporary
    append = FileAppender(fd, use_direct=False)
    append(_chunk(b"x" * CHUNK))
    assert not _direct(fd)
    append.finish()
    assert path.read_bytes() == b"x" * CHUNK


@settings(max_examples=25, deadline=None)
@given(size=st.integers(min_value=1, max_value=3 * CHUNK + DIRECT_BLOCK + 7), split=st.integers(0, 9))
def test_the_pump_stores_exact_bytes_and_their_hash(tmp_path_factory, size, split):
    """Whatever the size, and however short the source's reads, the file holds exactly the
    source's bytes and the pump reports their SHA-256."""
    tmp_path = tmp_path_factory.mktemp("pump")
    data = os.urandom(size)
    path = tmp_path / "temporary"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        append = FileAppender(fd)
        pump = Pump(size, None)
        source = _ShortReads(data, short=split * 1000 + 1) if split else io.BytesIO(data)
        try:
            pump.run(source, append)
        finally:
            append.finish()
        assert not _direct(fd)
    finally:
        os.close(fd)
    assert path.read_bytes() == data
    assert pump.sha256 == hashlib.sha256(data).hexdigest() and pump.size == size


class _ShortReads(io.RawIOBase):
    """A stream whose every other read returns fewer bytes than asked (a network body)."""

    def __init__(self, data: bytes, short: int) -> None:
        self._data = memoryview(data)
        self._short = short
        self._odd = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self._odd = not self._odd
        wanted = min(len(buffer), self._short) if self._odd else len(buffer)
        piece = self._data[:wanted]
        buffer[: len(piece)] = piece
        self._data = self._data[len(piece) :]
        return len(piece)
