"""The kernel copy: exact bytes, the hash of what was stored, limits, and a clean refusal
where the kernel cannot copy (then nothing is written and the caller pumps the bytes)."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exhibits.errors import TooLarge
from exhibits.storage import filecopy
from exhibits.storage.base import HEAD_BYTES
from exhibits.storage.filecopy import Stopped, copy_hashed, regular_file
from exhibits.storage.local import LocalBlobStore
from exhibits.storage.writeback import supports_direct_io


def _copy(tmp_path: Path, data: bytes, **options) -> tuple[filecopy.Copied | None, bytes]:
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    dest = tmp_path / f"dest-{os.urandom(4).hex()}"
    source_fd = os.open(source, os.O_RDONLY)
    dest_fd = os.open(dest, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        copied = copy_hashed(source_fd, dest_fd, limit=options.pop("limit", 2**40), **options)
    finally:
        os.close(source_fd)
        os.close(dest_fd)
    return copied, dest.read_bytes()


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=5 * 4096 + 123),
    step_pages=st.integers(min_value=1, max_value=3),
)
def test_the_copy_is_exact_and_hashed_as_stored(tmp_path_factory, size, step_pages):
    tmp_path = tmp_path_factory.mktemp("copy")
    data = os.urandom(size)
    saved = filecopy.STEP
    filecopy.STEP = step_pages * 4096 + (size % 7)  # steps that are not page multiples too
    try:
        copied, stored = _copy(tmp_path, data)
    finally:
        filecopy.STEP = saved
    assert copied is not None
    assert stored == data
    assert copied.sha256 == hashlib.sha256(data).hexdigest()
    assert copied.size == size and copied.head == data[:HEAD_BYTES]


def test_progress_counts_every_byte(tmp_path):
    seen = []
    data = os.urandom(3 * filecopy.STEP + 5)
    copied, _ = _copy(tmp_path, data, progress=seen.append)
    assert copied is not None and sum(seen) == len(data) and len(seen) == 4


def test_a_file_over_the_limit_is_refused(tmp_path):
    with pytest.raises(TooLarge):
        _copy(tmp_path, b"x" * 1000, limit=999)


def test_a_stopped_copy_raises(tmp_path):
    stop = threading.Event()
    stop.set()
    with pytest.raises(Stopped):
        _copy(tmp_path, b"x" * 1000, stop=stop)


def test_where_the_kernel_cannot_copy_nothing_is_written(tmp_path):
    read_end, write_end = os.pipe()
    os.write(write_end, b"from a pipe")
    os.close(write_end)
    dest = tmp_path / "dest"
    dest_fd = os.open(dest, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        assert copy_hashed(read_end, dest_fd, limit=100) is None
    finally:
        os.close(read_end)
        os.close(dest_fd)
    assert dest.read_bytes() == b""


def test_only_an_unread_regular_file_is_copied_in_the_kernel(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"abc")
    with path.open("rb") as handle:
        assert regular_file(handle) == handle.fileno()
        handle.read(1)
        assert regular_file(handle) is None
    assert regular_file(io.BytesIO(b"abc")) is None


@pytest.mark.parametrize("direct_io", [True, False], ids=["direct I/O", "no direct I/O"])
def test_the_store_keeps_the_same_blob_either_way(tmp_path, monkeypatch, direct_io):
    """A file and a stream of the same bytes give one blob, whichever way the file is copied:
    pumped with direct I/O, or (on a file system without it) inside the kernel."""
    data = os.urandom(2 * 2**20 + 17)
    path = tmp_path / "footage.bin"
    path.write_bytes(data)
    kernel_copies = []
    real = filecopy.copy_hashed

    def watched(*args, **kwargs):
        kernel_copies.append(real(*args, **kwargs))
        return kernel_copies[-1]

    monkeypatch.setattr(filecopy, "copy_hashed", watched)
    if not direct_io:
        monkeypatch.setattr(filecopy, "supports_direct_io", lambda fd: False)
    elif not supports_direct_io_in(tmp_path):
        pytest.skip("the test directory's file system takes no direct I/O")
    store = LocalBlobStore(tmp_path / "blobs", tmp_path / "tmp")
    with path.open("rb") as handle:
        from_file = store.ingest(handle, limit=2**30)
    from_stream = store.ingest(io.BytesIO(data), limit=2**30)
    if direct_io:
        assert kernel_copies == []  # pumped, straight to the device
    else:
        assert len(kernel_copies) == 1 and kernel_copies[0] is not None  # through the kernel
    assert from_file.sha256 == from_stream.sha256 == hashlib.sha256(data).hexdigest()
    assert (from_file.created, from_stream.created) == (True, False)
    assert from_file.head == from_stream.head == data[:HEAD_BYTES]
    assert store.path(from_file.sha256).read_bytes() == data
    assert list((tmp_path / "tmp").iterdir()) == []


def supports_direct_io_in(folder: Path) -> bool:
    probe = folder / "direct-io-probe"
    fd = os.open(probe, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        return supports_direct_io(fd)
    finally:
        os.close(fd)
        probe.unlink()


def test_a_small_file_is_copied_in_one_go_and_a_large_one_left_to_the_pump(tmp_path):
    small, large = os.urandom(filecopy.SMALL_FILE), os.urandom(filecopy.SMALL_FILE + 1)
    for name, data in (("small", small), ("large", large)):
        (tmp_path / name).write_bytes(data)
    with (tmp_path / "small").open("rb") as source, (tmp_path / "a").open("w+b") as dest:
        copied = filecopy.copy_small(source.fileno(), dest.fileno(), limit=len(small))
    assert copied == filecopy.Copied(hashlib.sha256(small).hexdigest(), len(small), small[:HEAD_BYTES])
    assert (tmp_path / "a").read_bytes() == small
    with (
        (tmp_path / "small").open("rb") as source,
        (tmp_path / "b").open("w+b") as dest,
        pytest.raises(TooLarge),
    ):
        filecopy.copy_small(source.fileno(), dest.fileno(), limit=len(small) - 1)
    with (tmp_path / "large").open("rb") as source, (tmp_path / "c").open("w+b") as dest:
        assert filecopy.copy_small(source.fileno(), dest.fileno(), limit=2**40) is None
    assert (tmp_path / "b").read_bytes() == (tmp_path / "c").read_bytes() == b""  # nothing written
