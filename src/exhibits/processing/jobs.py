"""Job state in the database: planning, claiming with a lease, and finishing.

Every function here runs inside a unit of work (``vault.write``), so each state change
commits with whatever else that unit records. Claims are safe across processes and
machines because units of work are serial (the writer takes the database's write lock),
and a lease token makes sure only the current holder of a job can finish it.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, false, or_, select, update
from sqlalchemy.orm import Session, aliased

from exhibits.ids import new_id
from exhibits.processing.models import FINISHED, Job, JobDependency, JobStatus
from exhibits.processing.registry import Registry

INGEST_PRIORITY = 0
REPROCESS_PRIORITY = -10  # catching up never holds up newly arrived evidence


@dataclass(frozen=True)
class ClaimedJob:
    id: str
    token: str
    sha256: str
    processor: str
    version: str
    params: dict[str, Any]
    params_hash: str
    mime_type: str
    queue: str
    attempts: int
    dependencies: dict[str, str] = field(default_factory=dict)  # processor name -> job id


def plan_jobs(
    session: Session,
    registry: Registry,
    sha256: str,
    mime_type: str,
    now: datetime,
    *,
    only: Iterable[str] | None = None,
    priority: int = INGEST_PRIORITY,
    requested_by: str | None = None,
) -> list[Job]:
    """Make sure every applicable job exists for this content; return the new jobs that
    can run straight away (to be dispatched after commit)."""
    ready: list[Job] = []
    by_name: dict[str, Job] = {}
    for planned in registry.plan(mime_type, only):
        job = session.scalar(
            select(Job).where(
                Job.sha256 == sha256,
                Job.processor == planned.name,
                Job.version == planned.processor.version,
                Job.params_hash == planned.params_hash,
            )
        )
        if job is None:
            job = Job(
                id=new_id(),
                sha256=sha256,
                processor=planned.name,
                version=planned.processor.version,
                params=planned.params,
                params_hash=planned.params_hash,
                mime_type=mime_type,
                queue=planned.queue,
                priority=priority,
                status=JobStatus.PENDING,
                attempts=0,
                warnings=[],
                created_at=now,
                requested_by=requested_by,
            )
            session.add(job)
            session.flush()
            dependencies = [by_name[d] for d in planned.processor.depends_on if d in by_name]
            for dependency in dependencies:
                session.add(JobDependency(job_id=job.id, depends_on=dependency.id))
            failed = [d for d in dependencies if d.status == JobStatus.FAILED]
            if failed:
                _finish_dependant(job, failed[0], now)
            elif all(d.status in (JobStatus.DONE, JobStatus.SKIPPED) for d in dependencies):
                job.ready_at = now
                ready.append(job)
        by_name[planned.name] = job
    return ready


def claim_many(
    session: Session,
    registry: Registry,
    owner: str,
    now: datetime,
    limit: int,
    *,
    lease_seconds: int,
    max_attempts: int,
    queues: Iterable[str] | None = None,
    job_id: str | None = None,
) -> list[ClaimedJob]:
    """Take up to ``limit`` of the most urgent jobs this worker can run, each with a fresh
    lease: a worker that claims its next few jobs at once pays for one round trip."""
    known = registry.known()
    if not known or limit < 1:
        return []
    shape = None if queues is None else tuple(queues)
    expired, ready = _claim_statements(tuple(known), shape, job_id is not None)
    values = {"now": now, "job_id": job_id, "limit": limit}
    taken: list[Job] = []
    # Jobs whose worker stopped renewing the lease come first: they are the oldest work.
    for job in session.scalars(expired, values).all():
        if len(taken) == limit:
            break
        if job.attempts < max_attempts:
            taken.append(_take(job, owner, now, lease_seconds))
            continue
        fail(
            session,
            job,
            now,
            f"stopped {job.attempts} times while processing (the worker was killed, lost or "
            "crashed each time)",
        )
    claimed = _claimed(session, taken)
    if len(taken) < limit:
        values["limit"] = limit - len(taken)
        claimed += _take_ready(session, ready, values, owner, now, lease_seconds)
    return claimed


def _take_ready(
    session: Session, ready: Select, values: dict[str, Any], owner: str, now: datetime, lease_seconds: int
) -> list[ClaimedJob]:
    """Claim runnable jobs with Core statements: one read, one UPDATE for them all. The
    ORM's objects and unit of work for rows this unit does not read back cost more than
    the SQL (a claim runs for every few jobs a worker finishes)."""
    rows = session.execute(ready, values).all()
    if not rows:
        return []
    expires = now + timedelta(seconds=lease_seconds)
    taken = [{"job_id": row.id, "attempts": row.attempts + 1, "token": uuid.uuid4().hex} for row in rows]
    result = session.execute(
        _TAKE, [{**t, "owner": owner[:200], "now": now, "expires": expires} for t in taken]
    )
    _check_all_matched(session, result, len(taken), "claimed")
    dependencies = _dependencies_of(session, [row.id for row in rows])
    return [
        _claim_of(row, t["token"], t["attempts"], dependencies[row.id])
        for row, t in zip(rows, taken, strict=True)
    ]


def _check_all_matched(session: Session, result: Any, expected: int, done: str) -> None:
    """Every row of an executemany UPDATE matched: units of work are serial, so a job read
    at the start of the unit cannot have changed since; should it have, nothing is kept."""
    if session.get_bind().dialect.supports_sane_multi_rowcount and result.rowcount != expected:
        raise RuntimeError(f"{done} {result.rowcount} of {expected} jobs")


def _dependencies_of(session: Session, job_ids: list[str]) -> dict[str, dict[str, str]]:
    """Each job's dependencies (processor name -> job id), in one statement for them all."""
    dependencies: dict[str, dict[str, str]] = {job_id: {} for job_id in job_ids}
    if job_ids:
        for job_id, processor, dependency_id in session.execute(_DEPENDENCIES, {"job_ids": job_ids}):
            dependencies[job_id][processor] = dependency_id
    return dependencies


@functools.lru_cache(maxsize=64)
def _claim_statements(
    known: tuple[tuple[str, str], ...], queues: tuple[str, ...] | None, by_id: bool
) -> tuple[Select, Select]:
    """The two claim queries, built once per worker shape: building them is most of a
    claim's cost (the SQL itself walks the claim index and reads a few rows)."""
    narrow = [or_(false(), *[and_(Job.processor == n, Job.version == v) for n, v in known])]
    if by_id:
        narrow.append(Job.id == bindparam("job_id"))
    if queues is not None:
        narrow.append(Job.queue.in_(list(queues)))
    order = (Job.priority.desc(), Job.created_at, Job.id)
    now = bindparam("now", type_=Job.created_at.type)
    expired = select(Job).where(Job.status == JobStatus.RUNNING, Job.lease_expires_at < now, *narrow)
    # ready_at is set once a job's dependencies are met, so the scan along the claim index
    # (status, priority, arrival) passes over few rows; the dependency check stays exact.
    ready = select(*_CLAIM_COLUMNS).where(
        Job.status == JobStatus.PENDING,
        Job.ready_at.is_not(None),
        or_(Job.not_before.is_(None), Job.not_before <= now),
        ~_UNMET,
        *narrow,
    )
    return expired.order_by(*order), ready.order_by(*order).limit(bindparam("limit"))


def _take(job: Job, owner: str, now: datetime, lease_seconds: int) -> Job:
    job.status = JobStatus.RUNNING
    job.attempts += 1
    job.lease_owner = owner[:200]
    job.lease_token = uuid.uuid4().hex
    job.lease_expires_at = now + timedelta(seconds=lease_seconds)
    job.started_at = now
    job.error = None
    return job


def _claimed(session: Session, taken: list[Job]) -> list[ClaimedJob]:
    """What workers need of the jobs just taken, their dependencies read in one statement."""
    dependencies = _dependencies_of(session, [job.id for job in taken])
    return [_claim_of(job, job.lease_token or "", job.attempts, dependencies[job.id]) for job in taken]


def _claim_of(job: Any, token: str, attempts: int, dependencies: dict[str, str]) -> ClaimedJob:
    """What a worker needs of a job just claimed: ``job`` is a Job or a row of its columns."""
    return ClaimedJob(
        id=job.id,
        token=token,
        sha256=job.sha256,
        processor=job.processor,
        version=job.version,
        params=dict(job.params or {}),
        params_hash=job.params_hash,
        mime_type=job.mime_type,
        queue=job.queue,
        attempts=attempts,
        dependencies=dependencies,
    )


def holding(session: Session, claims: list[tuple[str, str]]) -> set[str]:
    """Which of these (job id, lease token) claims still hold their jobs (another worker
    may have taken one over), in one statement for them all."""
    if not claims:
        return set()
    found = session.execute(_HOLDERS, {"job_ids": [job_id for job_id, _ in claims]})
    current = {row.id: row.lease_token for row in found if row.status == JobStatus.RUNNING}
    return {job_id for job_id, token in claims if current.get(job_id) == token}


def complete_many(session: Session, done: list[dict[str, Any]], now: datetime) -> None:
    """Mark jobs done, each given as {"job_id", "token", "seconds", "warnings"} for a
    claim ``holding`` has just confirmed, in one UPDATE (their dependants are released by
    ``released``)."""
    if not done:
        return
    result = session.execute(
        _COMPLETE,
        [
            {"job_id": d["job_id"], "token": d["token"], "seconds": d["seconds"],
             "job_warnings": d["warnings"], "now": now}
            for d in done
        ],
    )  # fmt: skip
    _check_all_matched(session, result, len(done), "completed")


def held(session: Session, job_id: str, token: str) -> Job | None:
    """The job, if this claim still holds it (another worker may have taken it over)."""
    job = session.get(Job, job_id)
    if job is None or job.status != JobStatus.RUNNING or job.lease_token != token:
        return None
    return job


def extend_lease(session: Session, job_id: str, token: str, now: datetime, lease_seconds: int) -> bool:
    job = held(session, job_id, token)
    if job is None:
        return False
    job.lease_expires_at = now + timedelta(seconds=lease_seconds)
    return True


def extend_leases(
    session: Session, held_jobs: Iterable[tuple[str, str]], now: datetime, lease_seconds: int
) -> list[str]:
    """Renew the leases of the (job id, token) pairs a worker holds; returns the ids of
    those it no longer holds (another worker took them over)."""
    return [
        job_id for job_id, token in held_jobs if not extend_lease(session, job_id, token, now, lease_seconds)
    ]


def _release(job: Job, status: JobStatus, now: datetime) -> None:
    job.status = status
    job.finished_at = now
    job.lease_owner = None
    job.lease_token = None
    job.lease_expires_at = None


def release(session: Session, job_id: str, token: str) -> bool:
    """Give back a job claimed but never started (its worker is stopping): it is pending
    again at once, for any worker, and the claim does not count as an attempt."""
    job = held(session, job_id, token)
    if job is None:
        return False
    job.status = JobStatus.PENDING
    job.attempts = max(0, job.attempts - 1)
    job.lease_owner = None
    job.lease_token = None
    job.lease_expires_at = None
    job.started_at = None
    return True


def released(session: Session, job_ids: list[str], now: datetime) -> list[Job]:
    """Dependants of jobs just done or skipped whose dependencies are now all met: one
    statement for all the jobs a unit finished, made ready to claim."""
    if not job_ids:
        return []
    ready: dict[str, Job] = {}
    for dependant in session.scalars(_UNBLOCKED, {"job_ids": job_ids}):
        if dependant.status == JobStatus.PENDING:  # a dependant of two of them comes twice
            ready[dependant.id] = dependant
    for dependant in ready.values():
        dependant.ready_at = now
    return list(ready.values())


def fail(session: Session, job: Job, now: datetime, reason: str, run_seconds: float | None = None) -> None:
    _release(job, JobStatus.FAILED, now)
    job.error = reason
    job.run_seconds = run_seconds
    _cascade(session, job, now)


def skip(session: Session, job: Job, now: datetime, reason: str, run_seconds: float | None = None) -> None:
    """The job did not apply after all: its dependants run without it (see ``released``)."""
    _release(job, JobStatus.SKIPPED, now)
    job.error = reason
    job.run_seconds = run_seconds


def retry_later(session: Session, job: Job, now: datetime, reason: str, delay_seconds: float) -> None:
    """Put a job back after a run cut short (crash), to be tried again after a back-off."""
    job.status = JobStatus.PENDING
    job.error = reason
    job.lease_owner = None
    job.lease_token = None
    job.lease_expires_at = None
    job.not_before = now + timedelta(seconds=delay_seconds)
    job.ready_at = job.not_before


def _finish_dependant(dependant: Job, dependency: Job, now: datetime) -> None:
    _release(dependant, JobStatus.FAILED, now)
    dependant.error = f"not run: it needs {dependency.processor}, which failed ({dependency.error})"


def _cascade(session: Session, job: Job, now: datetime) -> None:
    for dependant in _dependants(session, job.id):
        if dependant.status == JobStatus.PENDING:
            _finish_dependant(dependant, job, now)
            _cascade(session, dependant, now)


def _dependants(session: Session, job_id: str) -> list[Job]:
    return list(session.scalars(_DEPENDANTS, {"job_id": job_id}))


# Built once: statement construction costs more than running these (see claim).
_blocker, _link = aliased(Job), aliased(JobDependency)
# A job has a dependency not yet done (a skipped one is met: it simply has nothing to offer).
_UNMET = exists(
    select(_link.job_id)
    .join(_blocker, _blocker.id == _link.depends_on)
    .where(_link.job_id == Job.id, _blocker.status.notin_([JobStatus.DONE, JobStatus.SKIPPED]))
)
_DEPENDANTS = (
    select(Job)
    .join(JobDependency, JobDependency.job_id == Job.id)
    .where(JobDependency.depends_on == bindparam("job_id"))
    .order_by(Job.created_at)
)
# Whether each is still pending is checked in Python: told "status = 'pending'", SQLite
# walks the claim index through every pending job (a whole backlog, for every finished job)
# instead of looking up the few dependants by the dependency index.
_UNBLOCKED = (
    select(Job)
    .join(JobDependency, JobDependency.job_id == Job.id)
    .where(JobDependency.depends_on.in_(bindparam("job_ids", expanding=True)), ~_UNMET)
    .order_by(Job.created_at, Job.id)
)
_jobs = Job.__table__.c
# What a worker needs of a job it claims (see ClaimedJob), and the claim itself.
_CLAIM_COLUMNS = (
    Job.id, Job.sha256, Job.processor, Job.version, Job.params, Job.params_hash, Job.mime_type,
    Job.queue, Job.attempts,
)  # fmt: skip
_TAKE = (
    update(Job.__table__)
    .where(_jobs.id == bindparam("job_id"), _jobs.status == JobStatus.PENDING)
    .values(
        status=JobStatus.RUNNING,
        attempts=bindparam("attempts"),
        lease_owner=bindparam("owner"),
        lease_token=bindparam("token"),
        lease_expires_at=bindparam("expires", type_=_jobs.lease_expires_at.type),
        started_at=bindparam("now", type_=_jobs.started_at.type),
        error=None,
    )
)
_HOLDERS = select(Job.id, Job.status, Job.lease_token).where(Job.id.in_(bindparam("job_ids", expanding=True)))
_COMPLETE = (
    update(Job.__table__)
    .where(_jobs.id == bindparam("job_id"), _jobs.lease_token == bindparam("token"))
    .values(
        status=JobStatus.DONE,
        finished_at=bindparam("now", type_=_jobs.finished_at.type),
        lease_owner=None,
        lease_token=None,
        lease_expires_at=None,
        run_seconds=bindparam("seconds"),
        warnings=bindparam("job_warnings", type_=_jobs.warnings.type),
    )
)
_DEPENDENCIES = (
    select(JobDependency.job_id, Job.processor, Job.id)
    .join(Job, Job.id == JobDependency.depends_on)
    .where(JobDependency.job_id.in_(bindparam("job_ids", expanding=True)))
)


def reopen(session: Session, job: Job, now: datetime, requested_by: str | None) -> list[Job]:
    """Run a failed or skipped job again (and the dependants it held back)."""
    job.status = JobStatus.PENDING
    job.attempts = 0
    job.error = None
    job.warnings = []
    job.not_before = None
    job.started_at = job.finished_at = None
    job.run_seconds = None
    job.requested_by = requested_by
    unmet = session.scalar(
        select(Job.id)
        .join(JobDependency, JobDependency.depends_on == Job.id)
        .where(JobDependency.job_id == job.id, Job.status.notin_([JobStatus.DONE, JobStatus.SKIPPED]))
        .limit(1)
    )
    ready = []
    job.ready_at = None
    if unmet is None:
        job.ready_at = now
        ready.append(job)
    for dependant in _dependants(session, job.id):
        held_back = (dependant.error or "").startswith("not run:")
        if dependant.status == JobStatus.FAILED and held_back:
            reopen(session, dependant, now, requested_by)  # waits for this job: never ready yet
    return ready


def unfinished_count(session: Session, known: list[tuple[str, str]], queues: Iterable[str] | None) -> int:
    """Jobs this worker could still be asked to run (pending or running)."""
    from sqlalchemy import func

    if not known:
        return 0
    query = select(func.count()).where(
        Job.status.notin_([str(s) for s in FINISHED]),
        or_(*[and_(Job.processor == n, Job.version == v) for n, v in known]),
    )
    if queues is not None:
        query = query.where(Job.queue.in_(list(queues)))
    return session.scalar(query) or 0
