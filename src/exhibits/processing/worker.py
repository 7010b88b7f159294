"""The embedded worker: claims jobs straight from the database, no broker needed.

One worker process runs ``concurrency`` slots; each slot is a thread with its own runner
process (where processors actually run), so slots share one connection pool and one
writer (group commit) while the heavy work happens in separate processes. Workers on
the same vault, on one machine or several sharing PostgreSQL, coordinate only through
the database: a claim is a lease, renewed while the job runs and taken over by another
worker if it lapses (the first worker was killed).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from exhibits.processing import jobs
from exhibits.processing.execute import JobExecutor, cleanup_workdirs, worker_name
from exhibits.processing.runner import Runner

if TYPE_CHECKING:
    from exhibits.vault import Vault

log = logging.getLogger(__name__)
HOUSEKEEPING_SECONDS = 60  # between idle-time housekeeping calls (exhibits_idle)


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

    def run(self) -> int:
        """Work until stopped (or, with ``until_idle``, until nothing is left to do).
        Returns how many jobs this worker finished."""
        cleanup_workdirs(
            self.vault.settings.tmp_dir, older_than_seconds=self.service.settings.lease_seconds * 2
        )
        threads = [
            threading.Thread(target=self._slot, args=(i,), name=f"exhibits-worker-{i}", daemon=True)
            for i in range(self.concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.5)
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

    def _slot(self, index: int) -> None:
        runner = Runner()
        executor = JobExecutor(self.service, runner, worker_name(index))
        wakeup = self.service.dispatcher.wakeup
        executor.chain_queues = self.queues
        try:
            while not self.stopping.is_set() or executor.next_claim is not None:
                claimed = executor.take_next()  # claimed when the last job was recorded
                if claimed is None:
                    try:
                        claimed = executor.claim(queues=self.queues)
                    except Exception:  # the database is away: wait and try again
                        log.exception("could not claim a job")
                        self.stopping.wait(self.service.settings.poll_seconds * 5)
                        continue
                if claimed is None:
                    if self.stopping.is_set():
                        return
                    if index == 0:
                        self._housekeeping()
                    if self.until_idle and self._idle():
                        return
                    wakeup.wait(self.service.settings.poll_seconds)
                    wakeup.clear()
                    continue
                executor.chain_queues = False if self.stopping.is_set() else self.queues
                try:
                    status = executor.run(claimed)
                except Exception:  # the job stays running; its lease will lapse and it is retried
                    log.exception("job %s (%s) could not be completed", claimed.id, claimed.processor)
                    runner.kill()
                    status = "error"
                self.completed += 1
                if self.on_job:
                    self.on_job(claimed, status)
        finally:
            runner.close()

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
        with self.vault.reading() as session:
            return jobs.unfinished_count(session, self.service.registry.known(), self.queues) == 0
