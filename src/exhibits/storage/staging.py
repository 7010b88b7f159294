"""Hash and copy one local file into the vault's tmp area in the background, ahead of its ingest.

A command that ingests a large local file spends its first second or two importing the
application (the database layer, the models, the vault) before it reads a byte. A
``StagedCopy`` started as soon as the vault's directory is known does the reading, hashing
and writing meanwhile, on its own threads (with direct I/O or inside the kernel where it can:
``exhibits.storage.filecopy``): the bytes go to a new temporary file of the tmp
area (``ingest-*``, mode 0600, the same name pattern as an ingest's own temporary files),
which is fdatasynced once complete. Nothing is recorded and nothing becomes visible in the
store by staging.

The ingest then ``take``s the staged file instead of reading the source again, only if it
holds exactly the source's current content: the same file (device, inode), unchanged (size,
mtime and ctime in nanoseconds equal when staging opened it, when it finished reading, and
at the moment of the take), every byte of it read. Anything else (the file changed, was
replaced, could not be read, staging failed) gives nothing, and the ingest reads the
source as it would have without staging. A taken file is adopted into the store like a
finished upload (``BlobStore.adopt``: fsync, read-only, ``link(2)``, directory fsync) before
anything is recorded. The staged file is removed when its ``StagedCopy`` is closed, whether
or not it was taken; a process that dies first leaves an ``ingest-*`` file for the tmp
area's cleanup (``BlobStore.cleanup_temporary``).

This module imports nothing heavy, so that it can start before the rest of Exhibits loads.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import stat
import sys
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from exhibits.locations import CONFIG_FILE, TMP_DIR
from exhibits.storage.filecopy import copy_into
from exhibits.storage.local import TMP_PREFIX  # the same cleanup removes staged files

MIN_BYTES = 64 * 2**20  # below this, start-up outweighs the copy: ingest as usual
SWITCH_INTERVAL = 0.0005  # seconds; lets the staging threads take the GIL back promptly


_switching = threading.Lock()
_copies_running = 0
_saved_interval = 0.0


def _quick_switches(on: bool) -> None:
    """While copies run, hand the GIL over every ``SWITCH_INTERVAL``: as the main thread
    imports (pure Python, holding the GIL), each of a copy's threads would otherwise wait up
    to the default 5 ms for it between chunks. The first copy sets it, the last restores it."""
    global _copies_running, _saved_interval
    with _switching:
        if on:
            if _copies_running == 0:
                _saved_interval = sys.getswitchinterval()
                sys.setswitchinterval(min(_saved_interval, SWITCH_INTERVAL))
            _copies_running += 1
        else:
            _copies_running -= 1
            if _copies_running == 0:
                sys.setswitchinterval(_saved_interval)


@dataclass(frozen=True)
class FileIdentity:
    """Which file, and whether it changed: device, inode, size, mtime and ctime (ns)."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, info: os.stat_result) -> FileIdentity:
        return cls(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


@dataclass(frozen=True)
class StagedFile:
    """A complete, fdatasynced temporary file holding the source's content."""

    path: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class _Done:
    staged: StagedFile
    before: FileIdentity  # when staging opened the source
    after: FileIdentity  # when it had read the last byte


class StagedCopy:
    """One local file being hashed and copied into ``tmp_dir`` on background threads.

    Use as a context manager: leaving it stops the copy if it still runs, waits for its
    threads and removes the temporary file, taken or not.
    """

    def __init__(self, source: Path, tmp_dir: Path) -> None:
        self.source = Path(source)
        self.tmp_dir = Path(tmp_dir)
        self._tmp: Path | None = None
        self._done: _Done | None = None
        self._taken = False
        self._closed = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="exhibits-staging", daemon=True)

    def start(self) -> StagedCopy:
        _quick_switches(True)
        try:
            self._thread.start()
        except BaseException:
            _quick_switches(False)
            raise
        return self

    def _run(self) -> None:
        try:
            self._done = self._copy()
        except Exception:  # any failure only means the ingest reads the source itself
            self._done = None
        finally:
            _quick_switches(False)

    def _copy(self) -> _Done | None:
        source_fd = os.open(self.source, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            info = os.fstat(source_fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
                return None
            before = FileIdentity.of(info)
            with contextlib.suppress(OSError):
                os.posix_fadvise(source_fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
            tmp = self.tmp_dir / f"{TMP_PREFIX}{uuid.uuid4().hex}"
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
            self._tmp = tmp
            try:
                # A source that grows past the size it had when opened is refused (TooLarge)
                # rather than copied on: it is changing, and will not be taken.
                with open(source_fd, "rb", buffering=0, closefd=False) as reader:
                    copied = copy_into(reader, fd, limit=before.size, stop=self._stop)
                after = FileIdentity.of(os.fstat(source_fd))
                os.fdatasync(fd)
            finally:
                os.close(fd)
            if copied.size != before.size:
                return None
            return _Done(StagedFile(tmp, copied.sha256, copied.size), before, after)
        finally:
            os.close(source_fd)

    def wait(self) -> None:
        if self._thread.ident is not None:  # started
            self._thread.join()

    def take(self, path: Path) -> StagedFile | None:
        """The staged copy of ``path``, if it holds exactly that file's current content;
        else None (and the caller reads ``path`` itself). Given at most once."""
        if self._taken or self._closed or self._thread.ident is None:
            return None
        self.wait()
        done = self._done
        if done is None:
            return None
        try:
            now = FileIdentity.of(os.stat(path))
        except OSError:
            return None
        if not (done.before == done.after == now and done.staged.size == now.size):
            return None
        self._taken = True
        return done.staged

    def close(self) -> None:
        """Stop the copy if it still runs, and remove its temporary file."""
        if self._closed:
            return
        self._stop.set()
        self.wait()
        self._closed = True
        if self._tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._tmp)

    def __enter__(self) -> StagedCopy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


_early: StagedCopy | None = None  # started from a guess, before the caller knew (stage_early)


def stage_early(path: Path, vault_dir: Path) -> None:
    """Start staging ``path`` for ``vault_dir`` before it is certain that it will be ingested
    there (``exhibits.cli.ahead``). ``stage_first_file`` hands the copy over when asked for
    the same file and vault and closes it otherwise; at exit it is closed in any case."""
    global _early
    tmp_dir = _staging_area(path, vault_dir)
    if tmp_dir is not None:
        _early = StagedCopy(path, tmp_dir).start()
        atexit.register(_early.close)


def _early_copy_of(path: Path, tmp_dir: Path | None) -> StagedCopy | None:
    """The early copy, if it is of ``path`` into ``tmp_dir``; an early copy of anything else
    is stopped and removed."""
    global _early
    copy, _early = _early, None
    if copy is None:
        return None
    if os.path.abspath(copy.source) == os.path.abspath(path) and copy.tmp_dir == tmp_dir:
        return copy
    copy.close()
    return None


def _staging_area(path: Path, vault_dir: Path) -> Path | None:
    """``vault_dir``'s tmp area, if ``path`` is worth staging there: a regular file of at
    least ``MIN_BYTES``, and a vault there (its settings file and tmp directory exist;
    nothing is created)."""
    try:
        vault_dir = vault_dir.resolve()
        if not (vault_dir / CONFIG_FILE).is_file() or not (vault_dir / TMP_DIR).is_dir():
            return None
        info = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size < MIN_BYTES:
        return None
    return vault_dir / TMP_DIR


def stage_first_file(paths: list[Path], vault_dir: Path) -> StagedCopy | None:
    """Start copying the first of ``paths`` into ``vault_dir``'s tmp area, when that is worth
    it (``_staging_area``); None otherwise. A copy of that file started early
    (``stage_early``) is handed over instead of starting another."""
    if not paths:
        return None
    tmp_dir = _staging_area(paths[0], vault_dir)
    early = _early_copy_of(paths[0], tmp_dir)
    if early is not None or tmp_dir is None:
        return early
    return StagedCopy(paths[0], tmp_dir).start()
