"""The embedded worker: claims jobs straight from the database, no broker needed.

One worker process runs ``concurrency`` slots; each slot is a thread with its own runner
process (where processors actually run). A slot only runs processors: it hands each
finished job to the worker's recorder and goes straight on to its next job, claimed
ahead, so a runner does not sit idle while outputs are stored, recorded and committed.
The recorder stores the outputs of every job finished meanwhile, records them all in
one unit of work (one commit) and claims the slots' next jobs in the same unit. A job is
done only once that unit has committed.

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
    cleanup_workdirs,
    discard,
    workdir_of,
    worker_name,
)
from exhibits.processing.runner import Runner

if TYPE_CHECKING:
    from exhibits.vault import Vault

log = logging.getLogger(__name__)
HOUSEKEEPING_SECONDS = 60  # between idle-time housekeeping calls (exhibits_idle)
# Jobs each slot has claimed beyond the one it runs, so that its next job is in hand while
# the recorder's unit of work (which claims more) is under way. A killed worker's jobs wait
# out their leases, claimed-ahead ones included; a stopping worker gives those back.
AHEAD = 4
MAX_BATCH = 64  # finished jobs recorded in one unit of work
_DONE = None  # tells the recorder that the slots have stopped


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
        # ahead and not started, the runner running each started one, and those it lost.
        self.lock = threading.Lock()
        self.held: dict[str, jobs.ClaimedJob] = {}
        self.ready: collections.deque[jobs.ClaimedJob] = collections.deque()
        self.running: dict[str, Runner] = {}
        self.lost: set[str] = set()
        self.finished: queue.SimpleQueue[Finished | None] = queue.SimpleQueue()
        self.recorder = JobExecutor(self.service, Runner(), self.owner)  # its runner never starts
        self.sweeper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="exhibits-sweeper")

    @property
    def in_hand(self) -> int:
        """Jobs the slots are running or have claimed ahead (not those being recorded)."""
        return len(self.ready) + len(self.running)

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
        recorder = threading.Thread(target=self._record_loop, name="exhibits-recorder", daemon=True)
        keeper_stop = threading.Event()
        keeper = threading.Thread(
            target=self._keep_leases, args=(keeper_stop,), name="exhibits-leases", daemon=True
        )
        for thread in [*slots, recorder, keeper]:
            thread.start()
        _join(slots)
        self.finished.put(_DONE)
        _join([recorder])
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
        executor = JobExecutor(self.service, runner, self.owner)
        try:
            while (claimed := self._next(executor, index)) is not None:
                self._perform(executor, claimed)
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
                while self.ready:
                    claimed = self.ready.popleft()
                    if claimed.id not in self.lost:
                        self.running[claimed.id] = executor.runner
                        return claimed
                    self._forget(claimed.id)
                full = len(self.held) >= self.concurrency * (1 + AHEAD) + MAX_BATCH
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

    def _claim(self, executor: JobExecutor) -> jobs.ClaimedJob | None:
        try:
            taken = executor.claim_many(1 + AHEAD, queues=self.queues)
        except Exception:  # the database is away: wait and try again
            log.exception("could not claim a job")
            self.stopping.wait(self.service.settings.poll_seconds * 5)
            return None
        if not taken:
            return None
        with self.lock:
            self.held.update((c.id, c) for c in taken)
            self.ready.extend(taken[1:])
            self.running[taken[0].id] = executor.runner
        return taken[0]

    def _perform(self, executor: JobExecutor, claimed: jobs.ClaimedJob) -> None:
        try:
            finished = executor.perform(claimed)
        except Exception:  # the job stays running; its lease will lapse and it is retried
            log.exception("job %s (%s) could not be completed", claimed.id, claimed.processor)
            executor.runner.kill()
            shutil.rmtree(workdir_of(self.vault, claimed), ignore_errors=True)
            self._drop(claimed, "error")
            return
        finally:
            with self.lock:
                self.running.pop(claimed.id, None)
        with self.lock:
            lost = claimed.id in self.lost
        if lost:
            discard(finished)
            self._drop(claimed, "lost")
            return
        self.finished.put(finished)

    # --- the recorder: storing outputs, recording and claiming in one unit -------------------

    def _record_loop(self) -> None:
        ending = False
        while not ending:
            first = self.finished.get()
            if first is _DONE:
                break
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    more = self.finished.get_nowait()
                except queue.Empty:
                    break
                if more is _DONE:
                    ending = True
                    break
                batch.append(more)
            try:
                self._record(batch)
            except Exception:  # a bug here must not stop the recording of later jobs
                log.exception("recording %d finished jobs failed", len(batch))
        self._give_back_unstarted()

    def _record(self, batch: list[Finished]) -> None:
        stored: list[Finished] = []
        for finished in batch:
            try:
                self.recorder.store(finished)
                stored.append(finished)
            except Exception:  # the job stays running; its lease will lapse and it is retried
                log.exception("the outputs of job %s could not be stored", finished.claimed.id)
                discard(finished)
                self._drop(finished.claimed, "error")
        fault_point("processing.outputs_stored")
        with self.lock:
            wanted = 0 if self.stopping.is_set() else self.concurrency * (1 + AHEAD) - self.in_hand
        try:
            recorded = self.recorder.record(stored, claim=max(0, wanted), queues=self.queues)
        except Exception:  # nothing in the unit is recorded: each job's lease will lapse
            log.exception("%d finished jobs could not be recorded", len(stored))
            for finished in stored:
                discard(finished)
                self._drop(finished.claimed, "error")
            return
        with self.lock:
            self.held.update((c.id, c) for c in recorded.claimed)
            self.ready.extend(recorded.claimed)
        if recorded.claimed:
            self.service.dispatcher.wakeup.set()
        for finished, status in zip(stored, recorded.statuses, strict=True):
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


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        while thread.is_alive():
            thread.join(timeout=0.5)
