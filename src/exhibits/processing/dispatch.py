"""Handing jobs to workers after commit, and re-sending what a crash left stranded.

The database is the outbox: a job row is written in the same transaction as the content
it is for, so it exists exactly when the content does. After commit the jobs are handed
on: in embedded mode workers claim straight from the database (a local wake-up is all
that is needed); in Celery mode the job ids are published to the broker. If the process
dies between commit and publish, or the broker loses a message, the relay finds jobs
that have been ready for longer than the grace period without being claimed and sends
them again. Sending twice is harmless: a job is claimed atomically, with a lease.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select

from exhibits.db.writer import WriteContext
from exhibits.faults import fault_point
from exhibits.processing.models import Job, JobStatus

if TYPE_CHECKING:
    from exhibits.processing.service import ProcessingService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ticket:
    """What a broker message needs: the job, its queue and its time limit."""

    job_id: str
    processor: str
    queue: str
    countdown: float = 0.0


def queue_name(queue: str, prefix: str = "exhibits") -> str:
    return f"{prefix}.{queue}"


class Dispatcher:
    def __init__(self, service: ProcessingService) -> None:
        self.service = service
        self.wakeup = threading.Event()  # embedded workers in this process wait on it
        self._celery: Any = None
        self._lock = threading.Lock()

    def after_commit(self, ctx: WriteContext, jobs: Iterable[Job], countdown: float = 0.0) -> None:
        tickets = [Ticket(j.id, j.processor, j.queue, countdown) for j in jobs]
        if tickets:
            ctx.after_commit(lambda: self.dispatch(tickets))

    def dispatch(self, tickets: list[Ticket]) -> None:
        fault_point("processing.dispatch")  # a crash here is what the relay is for
        self.wakeup.set()
        if self.service.settings.mode == "celery":
            self.publish(tickets)

    def publish(self, tickets: list[Ticket]) -> int:
        """Send job ids to the broker; a failure is logged and left to the relay."""
        sent = 0
        try:
            app = self.celery()
            for ticket in tickets:
                limit = self.service.time_limit(ticket.processor)
                app.send_task(
                    "exhibits.process",
                    args=[ticket.job_id],
                    queue=queue_name(ticket.queue, self.service.settings.queue_prefix),
                    countdown=ticket.countdown or None,
                    time_limit=limit + 60,  # hard backstop: the runner stops it at the limit
                    retry=True,
                    retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
                )
                sent += 1
        except Exception as exc:  # the broker is down: the relay will send these later
            log.warning(
                "could not publish %d processing jobs (%s); the relay will resend them",
                len(tickets) - sent,
                exc,
            )
        return sent

    def celery(self) -> Any:
        with self._lock:
            if self._celery is None:
                from exhibits.processing.celery_app import make_app

                self._celery = make_app(self.service.settings)
            return self._celery

    def close(self) -> None:
        with self._lock:
            if self._celery is not None:
                self._celery.close()
                self._celery = None

    # --- the relay -----------------------------------------------------------------------

    def stranded(self) -> list[Ticket]:
        """Jobs ready for longer than the grace period and still not claimed, and jobs
        whose worker stopped renewing its lease."""
        service = self.service
        now = service.vault.now()
        cutoff = now - timedelta(seconds=service.settings.dispatch_grace_seconds)
        with service.vault.reading() as session:
            rows = session.execute(
                select(Job.id, Job.processor, Job.queue)
                .where(
                    or_(
                        and_(
                            Job.status == JobStatus.PENDING,
                            Job.ready_at.is_not(None),
                            Job.ready_at < cutoff,
                            or_(Job.not_before.is_(None), Job.not_before <= now),
                        ),
                        and_(
                            Job.status == JobStatus.RUNNING,
                            Job.lease_expires_at < now,
                            or_(Job.ready_at.is_(None), Job.ready_at < cutoff),
                        ),
                    )
                )
                .order_by(Job.priority.desc(), Job.created_at)
                .limit(1000)
            ).all()
        return [Ticket(job_id, processor, queue) for job_id, processor, queue in rows]

    def relay_once(self) -> int:
        tickets = self.stranded()
        if not tickets:
            return 0
        sent = self.publish(tickets)
        ids = [t.job_id for t in tickets[:sent]]

        def touch(ctx: WriteContext) -> None:
            now = self.service.vault.now()
            for job in ctx.session.scalars(select(Job).where(Job.id.in_(ids))):
                job.ready_at = now  # sent again now: wait another grace period

        if ids:
            self.service.vault.write(touch)
            log.info("relay re-sent %d stranded processing jobs", len(ids))
        return sent

    def run_relay(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.relay_once()
            except Exception:  # keep relaying whatever one round met
                log.exception("processing relay round failed")
            stop.wait(self.service.settings.relay_seconds)
