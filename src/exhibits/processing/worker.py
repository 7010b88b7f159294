"""The embedded worker: claims jobs straight from the database, no broker needed.

One worker process runs ``concurrency`` slots; each slot is a thread with its own runner
process (where processors actually run). A slot only runs processors: it hands each
finished job on and goes straight on to its next job, claimed ahead, so a runner does not
sit idle while outputs are stored, recorded and committed. Two more threads make a
pipeline behind the slots: the storer puts the outputs of every job finished meanwhile
into the blob store (durable: fsynced), and the recorder records the jobs so stored in
one unit of work (one commit) and claims the slots' next jobs in the same unit, while the
storer stores the next ones. A job is done only once that unit has committed.

Every job the worker holds (claimed ahead, running, or waiting to be recorded) is under
a lease, which one keeper thread renews for all of them. Workers on the same vault, on
one machine or several sharing PostgreSQL, coordinate only through the database: a job
whose lease lapses (its worker was killed) is taken over by another worker.
"""

from __future__ import annotations

import collections
import logging
import queue
import shutil
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from exhibits.faults import fault_point
from exhibits.processing import jobs
from exhibits.processing.execute import (
    Finished,
    JobExecutor,
    Prepared,
    RecentOutputs,
    cleanup_workdirs,
    discard,
    workdir_of,
    worker_name,
)
from exhibits.processing.models import JobStatus
from exhibits.processing.runner import Runner

if TYPE_CHECKING:
    from exhibits.vault import Vault

log = logging.getLogger(__name__)
HOUSEKEEPING_SECONDS = 60  # between idle-time housekeeping calls (exhibits_idle)
# Jobs each slot has claimed beyond the one it runs, so that its next job is in hand while
# the recorder gathers and records a batch (its unit of work claims more): about
# AHEAD_SECONDS of work at the pace jobs have been running, at least one and at most
# MAX_AHEAD, so quick jobs keep a slot busy while long ones (video) are not hoarded away
# from other workers. A killed worker's jobs wait out their leases, claimed-ahead ones
# included; a stopping worker gives those back.
AHEAD_SECONDS = 0.25
MAX_AHEAD = 12
MAX_BATCH = 64  # finished jobs stored together, and recorded in one unit of work
# How long the recorder waits after the first stored job for more to join its batch. A
# unit of work has a fixed cost (the lease check, the commit, the custody log's new head)
# that small jobs would otherwise pay one or two at a time; 50 ms is nothing to a person
# waiting for a result, and the slots run on meanwhile from the jobs claimed ahead.
GATHER_SECONDS = 0.05
_DONE = None  # tells the storer that the slots have stopped, and the recorder that it has


class EmbeddedWorker:
    def __init__(
        self,
        vault: Vault,
        *,
        concurrency: int | None = None,
        queues: list[str] | None = None,
        until_idle: bool = False,
        on_job: Callable[[jobs.ClaimedJob, str], None] | None = None,
    ) -> None:
        self.vault = vault
        self.service = vault.processing
        self.concurrency = concurrency or self.service.settings.workers
        self.queues = queues
        self.until_idle = until_idle
        self.on_job = on_job
        self.stopping = threading.Event()
        self.completed = 0
        self.housekept_at: float | None = None
        self.owner = worker_name("embedded")
        # What this worker holds, under one lock: every job it has a lease on, those claimed
        # ahead and not taken by a slot, those a slot has taken and is preparing, the runner
        # running each started one, and those it lost.
        self.lock = threading.Lock()
        self.held: dict[str, jobs.ClaimedJob] = {}
        self.ready: collections.deque[jobs.ClaimedJob] = collections.deque()
        self.taken: set[str] = set()
        self.running: dict[str, Runner] = {}
        self.lost: set[str] = set()
        self.pace: float | None = None  # seconds a job has been taking lately
        self.finished: queue.SimpleQueue[Finished | None] = queue.SimpleQueue()  # to the storer
        self.stored: queue.SimpleQueue[Finished | None] = queue.SimpleQueue()  # to the recorder
        self.recent = RecentOutputs()  # what the recorder recorded, for dependants' inputs
        self.recorder = JobExecutor(self.service, Runner(), self.owner)  # its runner never starts
        self.sweeper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="exhibits-sweeper")

    @property
    def ahead(self) -> int:
        """How many jobs each slot keeps claimed beyond the one it runs (see AHEAD_SECONDS)."""
        if self.pace is None:
            return 1
        return max(1, min(MAX_AHEAD, int(AHEAD_SECONDS / max(self.pace, 1e-3))))

    @property
    def to_hold(self) -> int:
        """Jobs the slots should have in hand: each one running and its claims ahead."""
        return self.concurrency * (1 + self.ahead)

    def _paced(self, seconds: float) -> None:
        """Fold one job's run time into the recent pace (a moving average)."""
        self.pace = seconds if self.pace is None else 0.9 * self.pace + 0.1 * seconds

    @property
    def in_hand(self) -> int:
        """Jobs the slots are running or have claimed ahead (not those being recorded)."""
        return len(self.ready) + len(self.taken) + len(self.running)

    def run(self) -> int:
        """Work until stopped (or, with ``until_idle``, until nothing is left to do).
        Returns how many jobs this worker finished."""
        cleanup_workdirs(
            self.vault.settings.tmp_dir, older_than_seconds=self.service.settings.lease_seconds * 2
        )
        slots = [
            threading.Thread(target=self._slot, args=(i,), name=f"exhibits-worker-{i}", daemon=True)
            for i in range(self.concurrency)
        ]
        storer = threading.Thread(target=self._store_loop, name="exhibits-storer", daemon=True)
        recorder = threading.Thread(target=self._record_loop, name="exhibits-recorder", daemon=True)
        keeper_stop = threading.Event()
        keeper = threading.Thread(
            target=self._keep_leases, args=(keeper_stop,), name="exhibits-leases", daemon=True
        )
        for thread in [*slots, storer, recorder, keeper]:
            thread.start()
        _join(slots)
        self.finished.put(_DONE)
        _join([storer, recorder])
        keeper_stop.set()
        _join([keeper])
        self.recorder.close()
        self.sweeper.shutdown()  # every work directory is gone before run() returns
        return self.completed

    def stop(self) -> None:
        self.stopping.set()
        self.service.dispatcher.wakeup.set()

    def install_signal_handlers(self) -> None:
        def handle(signum: int, _frame: object) -> None:
            log.info("signal %s: finishing the jobs in hand, then stopping", signum)
            self.stop()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)

    # --- slots: running processors ----------------------------------------------------------

    def _slot(self, index: int) -> None:
        runner = Runner()
        executor = JobExecutor(self.service, runner, self.owner, self.recent)
        job: Prepared | Finished | None = None
        try:
            while True:
                if job is None:
                    claimed = self._next(executor, index)
                    if claimed is None:
                        break
                    job = self._prepared(executor, claimed)
                    if job is None:
                        continue
                job = self._run(executor, job)
        finally:
            runner.close()
            executor.close()

    def _next(self, executor: JobExecutor, index: int) -> jobs.ClaimedJob | None:
        """The slot's next job: one claimed ahead, or freshly claimed; None when it stops."""
        wakeup = self.service.dispatcher.wakeup
        while True:
            with self.lock:
                if self.stopping.is_set():
                    return None  # jobs claimed ahead are given back (_give_back_unstarted)
                claimed = self._pop_ready()
                if claimed is not None:
                    return claimed
                full = len(self.held) >= self.to_hold + 2 * MAX_BATCH
            if not full:
                claimed = self._claim(executor)
                if claimed is not None:
                    return claimed
                if index == 0:
                    self._housekeeping()
                if self.until_idle and self._idle():
                    return None
            with self.lock:
                if self.ready:  # the recorder claimed some meanwhile
                    continue
            wakeup.wait(self.service.settings.poll_seconds)
            wakeup.clear()

    def _pop_ready(self) -> jobs.ClaimedJob | None:
        """The first job claimed ahead that is still this worker's (under the lock)."""
        while self.ready:
            claimed = self.ready.popleft()
            if claimed.id not in self.lost:
                self.taken.add(claimed.id)
                return claimed
            self._forget(claimed.id)
        return None

    def _claim(self, executor: JobExecutor) -> jobs.ClaimedJob | None:
        try:
            taken = executor.claim_many(1 + self.ahead, queues=self.queues)
        except Exception:  # the database is away: wait and try again
            log.exception("could not claim a job")
            self.stopping.wait(self.service.settings.poll_seconds * 5)
            return None
        if not taken:
            return None
        with self.lock:
            self.held.update((c.id, c) for c in taken)
            self.ready.extend(taken[1:])
            self.taken.add(taken[0].id)
        return taken[0]

    def _prepared(self, executor: JobExecutor, claimed: jobs.ClaimedJob | None) -> Prepared | Finished | None:
        if claimed is None:
            return None
        try:
            return executor.prepare(claimed)
        except Exception:  # the job stays running; its lease will lapse and it is retried
            log.exception("job %s (%s) could not be prepared", claimed.id, claimed.processor)
            shutil.rmtree(workdir_of(self.vault, claimed), ignore_errors=True)
            self._drop(claimed, "error")
            return None

    def _run(self, executor: JobExecutor, job: Prepared | Finished) -> Prepared | Finished | None:
        """Run a prepared job to its end. While its processor runs, the slot prepares its
        next job (one claimed ahead, if any), so the runner goes straight on to it: the
        runner does not wait on the slot's own work between jobs. Returns that next job."""
        with self.lock:
            self.taken.discard(job.claimed.id)
            lost = job.claimed.id in self.lost  # taken over while it waited
            if isinstance(job, Prepared) and not lost:
                self.running[job.claimed.id] = executor.runner
        if isinstance(job, Finished):  # nothing to run
            self._hand_on(job)
            return None
        if lost:
            shutil.rmtree(job.workdir, ignore_errors=True)
            self._drop(job.claimed, "lost")
            return None
        following = None
        try:
            executor.start(job)
            with self.lock:
                ahead = None if self.stopping.is_set() else self._pop_ready()
            following = self._prepared(executor, ahead)
            finished = executor.finish(job)
        except Exception:  # the job stays running; its lease will lapse and it is retried
            log.exception("job %s (%s) could not be completed", job.claimed.id, job.claimed.processor)
            executor.runner.kill()
            shutil.rmtree(job.workdir, ignore_errors=True)
            self._drop(job.claimed, "error")
            return following
        finally:
            with self.lock:
                self.running.pop(job.claimed.id, None)
        self._hand_on(finished)
        return following

    def _hand_on(self, finished: Finished) -> None:
        """A finished job goes to the storer, unless another worker has taken it over."""
        claimed = finished.claimed
        with self.lock:
            lost = claimed.id in self.lost
            self._paced(finished.outcome.seconds)
        if lost:
            discard(finished)
            self._drop(claimed, "lost")
            return
        self.finished.put(finished)

    # --- the storer and the recorder: outputs into the store, then into the records ---------

    def _store_loop(self) -> None:
        ending = False
        while not ending:
            batch, ending = _take_batch(self.finished)
            try:
                errors = self.recorder.store_many(batch)
            except Exception as exc:  # a bug here must not stop the storing of later jobs
                log.exception("storing the outputs of %d finished jobs failed", len(batch))
                errors = [exc] * len(batch)
            for finished, error in zip(batch, errors, strict=True):
                if error is None:
                    self.stored.put(finished)
                    continue
                # The job stays running; its lease will lapse and it is retried.
                log.error("the outputs of job %s could not be stored: %s", finished.claimed.id, error)
                discard(finished)
                self._drop(finished.claimed, "error")
        self.stored.put(_DONE)

    def _record_loop(self) -> None:
        ending = False
        while not ending:
            batch, ending = _take_batch(self.stored, gather=GATHER_SECONDS)
            if not batch:
                continue
            try:
                self._record(batch)
            except Exception:  # a bug here must not stop the recording of later jobs
                log.exception("recording %d finished jobs failed", len(batch))
        self._give_back_unstarted()

    def _record(self, batch: list[Finished]) -> None:
        fault_point("processing.outputs_stored")
        with self.lock:
            wanted = 0 if self.stopping.is_set() else self.to_hold - self.in_hand
        try:
            recorded = self.recorder.record(batch, claim=max(0, wanted), queues=self.queues)
        except Exception:  # nothing in the unit is recorded: each job's lease will lapse
            log.exception("%d finished jobs could not be recorded", len(batch))
            for finished in batch:
                discard(finished)
                self._drop(finished.claimed, "error")
            return
        with self.lock:
            self.held.update((c.id, c) for c in recorded.claimed)
            self.ready.extend(recorded.claimed)
        if recorded.claimed:
            self.service.dispatcher.wakeup.set()
        for finished, status in zip(batch, recorded.statuses, strict=True):
            if status == JobStatus.DONE:
                self.recent.keep(finished)
            self.sweeper.submit(discard, finished)  # off the recorder's path: rmdir is slow here
            self._drop(finished.claimed, status)

    def _give_back_unstarted(self) -> None:
        """Stopping: jobs claimed ahead and never started go back to the queue at once,
        rather than waiting out their leases."""
        with self.lock:
            unstarted = list(self.ready)
            self.ready.clear()
        if not unstarted:
            return
        try:
            self.vault.write(lambda ctx: [jobs.release(ctx.session, c.id, c.token) for c in unstarted])
        except Exception:  # their leases lapse instead
            log.exception("could not give back %d jobs claimed ahead", len(unstarted))
        with self.lock:
            for claimed in unstarted:
                self._forget(claimed.id)

    def _drop(self, claimed: jobs.ClaimedJob, status: str) -> None:
        """This worker is done with the job (recorded, lost, or left for its lease to lapse)."""
        with self.lock:
            self._forget(claimed.id)
            self.completed += 1
        if self.on_job:
            self.on_job(claimed, status)

    def _forget(self, job_id: str) -> None:
        self.held.pop(job_id, None)
        self.taken.discard(job_id)
        self.lost.discard(job_id)

    # --- leases ------------------------------------------------------------------------------

    def _keep_leases(self, stop: threading.Event) -> None:
        settings = self.service.settings
        interval = max(1.0, settings.lease_seconds / 3)
        while not stop.wait(interval):
            with self.lock:
                pairs = [(c.id, c.token) for c in self.held.values()]
            if not pairs:
                continue
            try:
                lost = self._renew(pairs, settings.lease_seconds)
            except Exception:  # a missed renewal is survivable; the lease is generous
                log.exception("could not renew the leases of %d jobs", len(pairs))
                continue
            self._abandon(lost)

    def _renew(self, pairs: list[tuple[str, str]], lease_seconds: int) -> list[str]:
        return self.vault.write(
            lambda ctx: jobs.extend_leases(ctx.session, pairs, self.vault.now(), lease_seconds)
        )

    def _abandon(self, lost: list[str]) -> None:
        """Jobs this worker no longer holds: taken over by another worker after a stall, or
        just recorded by this one (the renewal read them after the recorder's commit).
        Any still running is stopped; one waiting to be recorded is found lost there."""
        with self.lock:
            for job_id in lost:
                if job_id not in self.held:
                    continue  # recorded meanwhile
                self.lost.add(job_id)
                runner = self.running.get(job_id)
                if runner is not None:
                    log.warning("job %s was taken over by another worker; abandoning it", job_id)
                    runner.kill()

    # --- idle time ---------------------------------------------------------------------------

    def _housekeeping(self) -> None:
        """Capabilities' idle-time work (exhibits_idle), from slot 0 at most once a minute."""
        now = time.monotonic()
        if self.housekept_at is not None and now - self.housekept_at < HOUSEKEEPING_SECONDS:
            return
        self.housekept_at = now
        try:
            self.vault.plugins.hook.exhibits_idle(vault=self.vault)
        except Exception:  # housekeeping never stops the worker; it is tried again later
            log.exception("idle-time housekeeping failed")

    def _idle(self) -> bool:
        with self.lock:
            if self.held:
                return False
        with self.vault.reading() as session:
            return jobs.unfinished_count(session, self.service.registry.known(), self.queues) == 0


def _take_batch(
    source: queue.SimpleQueue[Finished | None], gather: float = 0.0
) -> tuple[list[Finished], bool]:
    """What has arrived (waiting for the first), and what arrives within ``gather``
    seconds of it, up to MAX_BATCH; True once the end came."""
    first = source.get()
    if first is _DONE:
        return [], True
    batch = [first]
    deadline = time.monotonic() + gather
    while len(batch) < MAX_BATCH:
        left = deadline - time.monotonic()
        try:
            more = source.get(timeout=left) if left > 0 else source.get_nowait()
        except queue.Empty:
            break
        if more is _DONE:
            return batch, True
        batch.append(more)
    return batch, False


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        while thread.is_alive():
            thread.join(timeout=0.5)
