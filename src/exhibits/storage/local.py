"""Blobs on the local filesystem: ``<root>/sha256/ab/cd/<sha256>``, read-only once stored.

A blob is written to a temporary file on the same filesystem, fsynced, then linked into
place with ``link(2)``, which refuses to replace an existing name: stored content can never
be overwritten, and a crash leaves either no blob or a complete one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from exhibits.errors import NotFound, TooLarge
from exhibits.faults import fault_point
from exhibits.storage.base import (
    HEAD_BYTES,
    IngestResult,
    Progress,
    check_content,
    hash_stream,
    is_sha256,
)
from exhibits.storage.filecopy import copy_into

TMP_PREFIX = "ingest-"


def _hash_fd(fd: int, progress: Progress | None = None) -> str:
    """SHA-256 of an open file, read from its start once, front to back."""
    os.lseek(fd, 0, os.SEEK_SET)
    with contextlib.suppress(OSError):
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
    with open(fd, "rb", closefd=False) as handle:
        return hash_stream(handle, progress)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore:
    def __init__(self, root: Path, tmp_dir: Path) -> None:
        self.root = root
        self.tmp_dir = tmp_dir
        self._base = str(root / "sha256")

    def path(self, sha256: str) -> Path:
        return Path(self._path(sha256))

    def _path(self, sha256: str) -> str:
        """The blob's path as text: the pipeline asks for it several times a job, and
        pathlib costs more than the stat that follows."""
        if not is_sha256(sha256):
            raise NotFound("not a SHA-256 content hash")
        return os.path.join(self._base, sha256[:2], sha256[2:4], sha256)

    def ingest(
        self,
        source: BinaryIO,
        *,
        limit: int,
        progress: Progress | None = None,
        expected_sha256: str | None = None,
    ) -> IngestResult:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.tmp_dir / f"{TMP_PREFIX}{uuid.uuid4().hex}"
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            copied = copy_into(source, fd, limit=limit, progress=progress)
            check_content(copied.size, copied.sha256, expected_sha256)
            os.fdatasync(fd)
            os.close(fd)
            fd = -1
            fault_point("ingest.temp_written")
            created = self._place(tmp, copied.sha256)
            fault_point("ingest.renamed")
            return IngestResult(copied.sha256, copied.size, copied.head, created)
        finally:
            if fd >= 0:
                os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def adopt(
        self,
        path: Path,
        *,
        limit: int,
        known_sha256: str | None = None,
        expected_sha256: str | None = None,
    ) -> IngestResult:
        """Link a finished upload's file into place: no second copy of the bytes. Its data
        was fsynced as it arrived (one more fsync here makes that a promise of this method);
        the file is made read-only before it gets its content name, as a copied blob is."""
        fd = os.open(path, os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            if size > limit:
                raise TooLarge(f"larger than the {limit:,}-byte limit")
            sha256 = known_sha256 or _hash_fd(fd)
            check_content(size, sha256, expected_sha256)
            head = os.pread(fd, HEAD_BYTES, 0)
            os.fsync(fd)
        finally:
            os.close(fd)
        fault_point("ingest.temp_written")
        try:
            created = self._place(path, sha256)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            with path.open("rb") as source:  # blobs on another file system: copy after all
                return self.ingest(source, limit=limit, expected_sha256=sha256)
        fault_point("ingest.renamed")
        return IngestResult(sha256, size, head, created)

    def _place(self, tmp: Path, sha256: str) -> bool:
        final = self.path(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, 0o444)
        try:
            os.link(tmp, final)
        except FileExistsError:
            return False  # identical content is already stored; it is never replaced
        _fsync_dir(final.parent)
        return True

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return os.stat(self._path(sha256)).st_size
        except FileNotFoundError as exc:
            raise NotFound(f"content {sha256} is not in the store") from exc

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self.path(sha256).open("rb")
        except FileNotFoundError as exc:
            raise NotFound(f"content {sha256} is not in the store") from exc

    def read_range(self, sha256: str, start: int, length: int) -> bytes:
        with self.open(sha256) as handle:
            handle.seek(start)
            return handle.read(length)

    def rehash(self, sha256: str, progress: Progress | None = None) -> str:
        with self.open(sha256) as handle:
            return _hash_fd(handle.fileno(), progress)

    def delete(self, sha256: str) -> None:
        path = self.path(sha256)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            _fsync_dir(path.parent)

    def iter_hashes(self) -> Iterator[str]:
        base = self.root / "sha256"
        if not base.is_dir():
            return
        for first in sorted(base.iterdir()):
            for second in sorted(first.iterdir()):
                for blob in sorted(second.iterdir()):
                    if is_sha256(blob.name):
                        yield blob.name

    def local_path(self, sha256: str) -> str | None:
        path = self._path(sha256)
        return path if os.path.isfile(path) else None

    def cleanup_temporary(self, older_than_seconds: float) -> int:
        if not self.tmp_dir.is_dir():
            return 0
        cutoff = time.time() - older_than_seconds
        removed = 0
        for entry in self.tmp_dir.glob(f"{TMP_PREFIX}*"):
            with contextlib.suppress(FileNotFoundError):
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed += 1
        return removed
