"""The single writer: every change to the records goes through here.

Units of work are functions of a ``WriteContext``. One thread per process runs them in
batches inside a single transaction (each unit in its own savepoint, so one failure does
not spoil the others), appends the custody events they staged, signs the new log head and
commits once: group commit, one fsync for many writers. Across processes the database
lock (SQLite BEGIN IMMEDIATE, PostgreSQL row lock on the log head) keeps appends serial.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from exhibits.custody.events import EventDraft
from exhibits.db.engine import Database
from exhibits.faults import fault_point

T = TypeVar("T")
LINGER_SECONDS = 0.0005
log = logging.getLogger(__name__)
_STOP = object()


class Finaliser(Protocol):
    def __call__(self, session: Session, drafts: list[EventDraft], flags: dict[str, Any]) -> None: ...


@dataclass
class WriteContext:
    """What a unit of work may touch: the session, and the events it stages."""

    session: Session
    events: list[EventDraft] = field(default_factory=list)
    after_commit_callbacks: list[Callable[[], None]] = field(default_factory=list)
    flags: dict[str, Any] = field(default_factory=dict)

    def record(self, draft: EventDraft) -> EventDraft:
        self.events.append(draft)
        return draft

    def after_commit(self, callback: Callable[[], None]) -> None:
        self.after_commit_callbacks.append(callback)


class _Job:
    """One unit of work and the caller waiting for it.

    The caller waits on a plain lock that the writer releases once the outcome is known:
    far less work per unit than a ``concurrent.futures.Future`` (no condition variable, no
    waiter list), and the writer wakes a whole group every commit.
    """

    __slots__ = ("_done", "drafts", "error", "fn", "future", "result")

    def __init__(
        self, fn: Callable[[WriteContext], Any] | None, drafts: list[EventDraft] | None = None
    ) -> None:
        self.fn = fn
        self.drafts = drafts if drafts is not None else []  # events-only jobs: no savepoint needed
        self.result: Any = None
        self.error: BaseException | None = None
        self.future: Future | None = None  # for a waiter on an event loop (append_pending)
        self._done = threading.Lock()
        self._done.acquire()

    def set_result(self, result: Any) -> None:
        self.result = result
        if self.future is not None:
            self.future.set_result(result)
        self._done.release()

    def set_exception(self, error: BaseException) -> None:
        self.error = error
        if self.future is not None:
            self.future.set_exception(error)
        self._done.release()

    def wait(self) -> Any:
        self._done.acquire()
        if self.error is not None:
            raise self.error
        return self.result


class Writer:
    def __init__(
        self,
        db: Database,
        finalise: Finaliser,
        *,
        prepare: Callable[[Session], object] | None = None,
        max_batch: int = 256,
    ) -> None:
        self.db = db
        self.finalise = finalise
        self.prepare = prepare  # run first in each batch: takes the cross-process write lock
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()  # C code: cheaper to put to and take from
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._last_batch = 0
        self._connection: Connection | None = None  # the append-only path's, kept between batches

    def run(self, fn: Callable[[WriteContext], T]) -> T:
        """Run a unit of work and return its result once it is durably committed."""
        return self._submit(_Job(fn))

    def append(self, drafts: list[EventDraft]) -> list[EventDraft]:
        """Append events that record no other change (consultations): the cheap path."""
        self._submit(_Job(None, drafts))
        return drafts

    def append_pending(self, drafts: list[EventDraft]) -> Future:
        """``append`` without waiting: the future is done once the events are durably
        committed. Whoever answers a request must await it before answering. It cannot be
        cancelled (a waiter that gives up, e.g. a cancelled ``asyncio.wrap_future``, leaves
        the append and the writer's other jobs alone)."""
        job = _Job(None, drafts)
        job.future = Future()
        job.future.set_running_or_notify_cancel()
        self._enqueue(job)
        return job.future

    def _submit(self, job: _Job) -> Any:
        self._enqueue(job)
        return job.wait()

    def _enqueue(self, job: _Job) -> None:
        if threading.current_thread() is self._thread:
            raise RuntimeError("a unit of work cannot start another one")
        self._ensure_thread()
        self._queue.put(job)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="exhibits-writer", daemon=True)
                self._thread.start()

    def close(self) -> None:
        with self._lock:
            thread = self._thread
            self._thread = None
        if thread is not None and thread.is_alive():
            self._queue.put(_STOP)
            thread.join()
        self._drop_connection()

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # already broken: nothing more to release
                log.debug("closing the writer's connection failed", exc_info=True)

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            stop = False
            # Group commit: when the last batch showed concurrent writers, wait a moment for
            # their next units so that one fsync serves them all, but only until as many have
            # come as last time: waiting longer than that delays everyone and gains nothing.
            linger = LINGER_SECONDS if self._last_batch > 1 else 0.0
            while len(batch) < self.max_batch:
                wait = linger if len(batch) < self._last_batch else 0.0
                try:
                    more = self._queue.get(timeout=wait) if wait else self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                batch.append(more)
            self._last_batch = len(batch)
            self._execute(batch)
            if stop:
                return

    def _execute(self, batch: list[_Job]) -> None:
        if all(job.fn is None for job in batch):
            self._append_only(batch)
            return
        done: list[tuple[_Job, WriteContext, Any]] = []
        failed: list[tuple[_Job, BaseException]] = []
        session = self.db.write_sessions()
        try:
            with session.begin():
                if self.prepare is not None:
                    self.prepare(session)
                for job in batch:
                    ctx = WriteContext(session, list(job.drafts))
                    if job.fn is None:
                        done.append((job, ctx, job.drafts))
                        continue
                    try:
                        with session.begin_nested():
                            result = job.fn(ctx)
                            session.flush()
                        done.append((job, ctx, result))
                    except Exception as exc:  # the unit's own failure: report it to its caller
                        failed.append((job, exc))
                drafts = [draft for _, ctx, _ in done for draft in ctx.events]
                flags: dict[str, Any] = {}
                for _, ctx, _ in done:
                    flags.update(ctx.flags)
                if drafts or flags:
                    self.finalise(session, drafts, flags)
            fault_point("log.committed")
        except Exception as exc:  # the batch could not commit: nobody's work is durable
            already = {id(job) for job, _ in failed}
            failed.extend((job, exc) for job in batch if id(job) not in already)
            done = []
        finally:
            session.close()
        for job, exc in failed:
            job.set_exception(exc)
        self._acknowledge(done)

    def _append_only(self, batch: list[_Job]) -> None:
        """A batch of events that record no other change (consultations): the log's own
        Core statements on a plain connection, without an ORM session."""
        drafts = [draft for job in batch for draft in job.drafts]
        try:
            # On SQLite, one connection for the writer thread, kept from batch to batch:
            # checking one out of the pool and resetting it cost more than the statements of
            # a batch. A server database's connection comes from the pool each time, which
            # checks that it is still alive (pre-ping) before the batch relies on it.
            if self._connection is None:
                self._connection = self.db.write_engine.connect()
            connection = self._connection
            try:
                with connection.begin():
                    if self.prepare is not None:
                        self.prepare(connection)  # type: ignore[arg-type]
                    self.finalise(connection, drafts, {})  # type: ignore[arg-type]
            finally:
                if not self.db.is_sqlite:
                    self._drop_connection()
            fault_point("log.committed")
        except Exception as exc:  # nothing in the batch is durable
            self._drop_connection()  # it may be broken: the next batch starts with a fresh one
            for job in batch:
                job.set_exception(exc)
            return
        for job in batch:
            job.set_result(job.drafts)

    @staticmethod
    def _acknowledge(done: list[tuple[_Job, WriteContext, Any]]) -> None:
        for job, ctx, result in done:
            job.set_result(result)
            for callback in ctx.after_commit_callbacks:
                try:
                    callback()
                except Exception:  # after-commit work must never undo an acknowledgement
                    log.exception("after-commit callback failed")
