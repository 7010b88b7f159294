"""Running claimed jobs: inputs out of the vault, the processor in its runner, outputs in.

A job goes through three steps: ``perform`` (the processor in its runner: ``prepare``,
``start``, ``finish``), ``store`` (output files into the blob store) and ``record``. The
slow parts happen outside any unit of work; the unit that records only writes rows: blob
rows, facts, derivatives, container members, the custody event and the job's new state.
One unit may record several finished jobs (each in its own savepoint, so one job's
failure spoils no other) and claim the next few. It first checks that this worker still
holds each job's lease, so a job that another worker took over after a stall is recorded
once, by one of them.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import shutil
import socket
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from exhibits.custody.events import EventClass
from exhibits.db.writer import WriteContext
from exhibits.errors import ExhibitsError
from exhibits.evidence.sniff import sniff_mime
from exhibits.faults import fault_point
from exhibits.ids import new_id
from exhibits.processing import jobs
from exhibits.processing.models import ContentFacts, ContentMember, DerivativeRecord, Job, JobStatus
from exhibits.processing.processor import Context, Derivative, Processed, Processor
from exhibits.processing.runner import Outcome, Request, Runner
from exhibits.storage import IngestResult

if TYPE_CHECKING:
    from exhibits.processing.service import ProcessingService
    from exhibits.vault import Vault

log = logging.getLogger(__name__)
DERIVE_ACTION = "content.derive"
LABEL_LENGTH = 200  # a derivative's label, as its row keeps it


@dataclass(frozen=True)
class Stored:
    stored: IngestResult
    mime_type: str


def worker_name(slot: int | str = 0) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{slot}"


@dataclass(frozen=True)
class Prepared:
    """A job ready to go to a runner (see ``JobExecutor.prepare``)."""

    claimed: jobs.ClaimedJob
    processor: Processor
    workdir: Path
    ctx: Context
    used: list[str]  # dependencies' derivatives it is given
    request: Request


@dataclass
class Finished:
    """A job whose processor has run, on its way to being recorded."""

    claimed: jobs.ClaimedJob
    processor: Processor
    outcome: Outcome
    workdir: Path
    ctx: Context | None = None
    stored: list[Stored] = field(default_factory=list)
    used: list[str] = field(default_factory=list)  # dependencies' derivatives it was given


class Output(NamedTuple):
    """A derivative as its job recorded it (the columns of its row that a dependant needs)."""

    output_sha256: str
    kind: str
    mime_type: str
    label: str
    facts: dict


class RecentOutputs:
    """The facts and derivatives of the last few thousand jobs this worker recorded done,
    so that a job depending on one of them (entities on OCR) is prepared without reading
    them back: a done job's outputs never change. Anything not here is read as usual."""

    SIZE = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: collections.OrderedDict[str, tuple[dict, list[Output]]] = collections.OrderedDict()

    def keep(self, finished: Finished) -> None:
        """A job just recorded done (its unit of work has committed)."""
        result = finished.outcome.result
        assert result is not None
        outputs = [
            Output(item.stored.sha256, d.kind, d.mime_type, d.label[:LABEL_LENGTH], d.facts)
            for d, item in zip(result.derivatives, finished.stored, strict=False)
        ]
        with self._lock:
            self._jobs[finished.claimed.id] = (result.facts, outputs)
            while len(self._jobs) > self.SIZE:
                self._jobs.popitem(last=False)

    def find(self, job_ids: list[str]) -> tuple[dict[str, dict], dict[str, list[Any]]] | None:
        """Facts and derivatives of these jobs, as ``_dependency_outputs`` gives them; None
        unless all of them are here."""
        with self._lock:
            found = [self._jobs.get(job_id) for job_id in job_ids]
        if any(entry is None for entry in found):
            return None
        pairs = list(zip(job_ids, found, strict=True))
        return {i: e[0] for i, e in pairs if e}, {i: list(e[1]) for i, e in pairs if e and e[1]}


@dataclass
class Recorded:
    """What one recording unit did: each job's new status (or 'lost', or 'error' where its
    savepoint failed), and the jobs it claimed next."""

    statuses: list[str]
    claimed: list[jobs.ClaimedJob]


class JobExecutor:
    """Runs claimed jobs for one worker slot, through that slot's runner process."""

    def __init__(
        self, service: ProcessingService, runner: Runner, owner: str, recent: RecentOutputs | None = None
    ) -> None:
        self.service = service
        self.vault = service.vault
        self.runner = runner
        self.recent = recent
        self.owner = owner
        self._pool: ThreadPoolExecutor | None = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def claim(self, *, queues: list[str] | None = None, job_id: str | None = None) -> jobs.ClaimedJob | None:
        taken = self.claim_many(1, queues=queues, job_id=job_id)
        return taken[0] if taken else None

    def claim_many(
        self, limit: int, *, queues: list[str] | None = None, job_id: str | None = None
    ) -> list[jobs.ClaimedJob]:
        return self.vault.write(lambda ctx: self._claim(ctx, limit, queues, job_id))

    def _claim(
        self, wctx: WriteContext, limit: int, queues: list[str] | None, job_id: str | None = None
    ) -> list[jobs.ClaimedJob]:
        settings = self.service.settings
        return jobs.claim_many(
            wctx.session,
            self.service.registry,
            self.owner,
            self.vault.now(),
            limit,
            lease_seconds=settings.lease_seconds,
            max_attempts=settings.max_attempts,
            queues=queues,
            job_id=job_id,
        )

    def run(self, claimed: jobs.ClaimedJob) -> str:
        """Process a claimed job to its end; returns the job's new status (or 'lost')."""
        lost = threading.Event()
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(claimed, stop, lost), daemon=True)
        beat.start()
        finished = None
        try:
            finished = self.perform(claimed)
            stop.set()
            beat.join()
            if lost.is_set():
                return "lost"
            self.store(finished)
            fault_point("processing.outputs_stored")
            status = self.record([finished]).statuses[0]
            if status == "error":
                raise RuntimeError(f"job {claimed.id} could not be recorded")
            return status
        finally:
            stop.set()
            if beat.is_alive():
                beat.join()
            if finished is not None:
                discard(finished)
            else:
                shutil.rmtree(workdir_of(self.vault, claimed), ignore_errors=True)

    # --- the run ---------------------------------------------------------------------------

    def perform(self, claimed: jobs.ClaimedJob) -> Finished:
        """Run the job's processor in this slot's runner (its work directory stays, with the
        outputs in it, until the job is recorded: see ``discard``)."""
        job = self.prepare(claimed)
        if isinstance(job, Finished):
            return job
        self.start(job)
        return self.finish(job)

    def prepare(self, claimed: jobs.ClaimedJob) -> Prepared | Finished:
        """Everything a job's run needs, up to the request its runner will be sent: its work
        directory, its inputs and its dependencies' outputs. A job with nothing to process
        is finished here."""
        processor = self.service.registry.get(claimed.processor)
        assert processor is not None and processor.version == claimed.version
        workdir = _fresh(workdir_of(self.vault, claimed))
        if self.vault.blobs.size(claimed.sha256) == 0:
            return Finished(claimed, processor, Outcome("failed", 0.0, reason=EMPTY_REASON), workdir)
        ctx, used = self._context(claimed, workdir)
        request = Request.of(
            processor,
            ctx,
            time_limit=self.service.time_limit(claimed.processor),
            memory_limit_mb=processor.memory_limit_mb or self.service.settings.memory_limit_mb,
        )
        return Prepared(claimed, processor, workdir, ctx, used, request)

    def start(self, job: Prepared) -> None:
        """Send a prepared job to this slot's runner; ``finish`` waits for its end."""
        fault_point("processing.job_started")
        self.runner.start(job.request)

    def finish(self, job: Prepared) -> Finished:
        outcome = self.runner.finish(job.request)
        return Finished(job.claimed, job.processor, outcome, job.workdir, job.ctx, used=job.used)

    # --- before ----------------------------------------------------------------------------

    def _input(self, sha256: str, workdir: Path, name: str) -> Path:
        local = self.vault.blobs.local_path(sha256)
        if local is not None:
            return Path(local)
        target = workdir / "inputs" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with self.vault.blobs.open(sha256) as source, target.open("wb") as out:
            shutil.copyfileobj(source, out, 4 * 2**20)
        return target

    def _context(self, claimed: jobs.ClaimedJob, workdir: Path) -> tuple[Context, list[str]]:
        """What the processor is given, and the SHA-256s of the derivatives among it."""
        used: list[str] = []
        facts: dict[str, dict] = {}
        derivatives: dict[str, list[tuple[Derivative, Path]]] = {}
        if claimed.dependencies:
            job_ids = list(claimed.dependencies.values())
            known = self.recent.find(job_ids) if self.recent is not None else None
            found_facts, records = known if known is not None else self._dependency_outputs(job_ids)
            for name, job_id in claimed.dependencies.items():
                facts[name] = dict(found_facts.get(job_id) or {})
                derivatives[name] = []
                for r in records.get(job_id, []):
                    used.append(r.output_sha256)
                    path = self._input(r.output_sha256, workdir, r.output_sha256)
                    derivative = Derivative(r.kind, path, r.mime_type, r.label, dict(r.facts or {}))
                    derivatives[name].append((derivative, path))
        out = workdir / "out"
        out.mkdir()
        ctx = Context(
            sha256=claimed.sha256,
            mime_type=claimed.mime_type,
            input_path=self._input(claimed.sha256, workdir, "input"),
            workdir=out,
            params=claimed.params,
            dependency_facts=facts,
            dependency_derivatives=derivatives,
            time_limit=self.service.time_limit(claimed.processor),
        )
        return ctx, used

    def _dependency_outputs(self, job_ids: list[str]) -> tuple[dict[str, dict], dict[str, list[Any]]]:
        """The facts and the derivative rows (in order) of the dependencies' jobs, in two
        Core statements for them all."""
        records: dict[str, list[Any]] = {}
        # A plain connection (rolled back when it goes back to the pool): an ORM session
        # costs more than these two statements.
        with self.vault.db.read_engine.connect() as connection:
            found = connection.execute(_DEPENDENCY_FACTS, {"job_ids": job_ids})
            facts = {row.job_id: row.facts for row in found}
            for row in connection.execute(_DEPENDENCY_DERIVATIVES, {"job_ids": job_ids}):
                records.setdefault(row.job_id, []).append(row)
        return facts, records

    def _heartbeat(self, claimed: jobs.ClaimedJob, stop: threading.Event, lost: threading.Event) -> None:
        settings = self.service.settings
        interval = max(1.0, settings.lease_seconds / 3)
        while not stop.wait(interval):
            try:
                held = self.vault.write(
                    lambda ctx: jobs.extend_lease(
                        ctx.session, claimed.id, claimed.token, self.vault.now(), settings.lease_seconds
                    )
                )
            except Exception:  # a missed beat is survivable; the lease is generous
                log.exception("could not renew the lease of job %s", claimed.id)
                continue
            if not held:
                log.warning("job %s was taken over by another worker; abandoning this run", claimed.id)
                lost.set()
                self.runner.kill()
                return

    # --- after -----------------------------------------------------------------------------

    def store(self, finished: Finished) -> None:
        """Put one job's output files into the blob store (see ``store_many``)."""
        error = self.store_many([finished])[0]
        if error is not None:
            raise error

    def store_many(self, batch: list[Finished]) -> list[Exception | None]:
        """Put every output file of these jobs into the blob store (content-addressed)
        before they are recorded. All the files go in side by side: each waits on its own
        fsync, so the waits overlap. A store that refuses an output (too large...) fails
        its job, saying so; any other error is returned for its job, to be left to its lease."""
        limit = self.vault.settings.max_ingest_bytes

        def put(path: Path) -> IngestResult:
            with path.open("rb") as handle:
                return self.vault.blobs.ingest(handle, limit=limit)

        pending = [[self.pool.submit(put, path) for path in _output_paths(f)] for f in batch]
        return [self._stored(finished, futures) for finished, futures in zip(batch, pending, strict=True)]

    def _stored(self, finished: Finished, futures: list[Future[IngestResult]]) -> Exception | None:
        if not futures:
            return None
        result = finished.outcome.result
        assert result is not None
        try:
            items = [future.result() for future in futures]
        except ExhibitsError as exc:
            reason = f"its outputs could not be stored: {exc.message}"
            finished.outcome = Outcome("failed", finished.outcome.seconds, reason=reason)
            return None
        except Exception as exc:  # handed to the caller, for this job only
            return exc
        derived = [Stored(i, d.mime_type) for i, d in zip(items, result.derivatives, strict=False)]
        members = [Stored(i, sniff_mime(i.head)) for i in items[len(result.derivatives) :]]
        finished.stored = derived + members
        return None

    @property
    def pool(self) -> ThreadPoolExecutor:
        """Threads for storing outputs, kept: starting threads for every job cost more than
        the small files they store."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="exhibits-store")
        return self._pool

    def record(self, batch: list[Finished], *, claim: int = 0, queues: list[str] | None = None) -> Recorded:
        """Record finished jobs in one unit of work (one commit for all of them), then claim
        up to ``claim`` more in the same unit. The jobs are recorded together in one
        savepoint; should that fail, each is recorded again in its own, so that one that
        cannot be recorded ('error') spoils no other: it stays running, and its lease lapses."""

        def work(wctx: WriteContext) -> Recorded:
            statuses = self._record_together(wctx, batch) if len(batch) > 1 else None
            if statuses is None:
                statuses = [self._record_alone(wctx, finished) for finished in batch]
            claimed = self._claim(wctx, claim, queues) if claim else []
            return Recorded(statuses, claimed)

        return self.vault.write(work)

    def _record_together(self, wctx: WriteContext, batch: list[Finished]) -> list[str] | None:
        """The whole batch in one savepoint; None (and nothing of it kept) if any job failed."""
        events, callbacks = len(wctx.events), len(wctx.after_commit_callbacks)
        try:
            with wctx.session.begin_nested():
                return self._record_jobs(wctx, batch)
        except Exception:  # find the culprit: each job again on its own
            log.warning("%d jobs could not be recorded together; recording each alone", len(batch))
            del wctx.events[events:]
            del wctx.after_commit_callbacks[callbacks:]
            return None

    def _record_alone(self, wctx: WriteContext, finished: Finished) -> str:
        events, callbacks = len(wctx.events), len(wctx.after_commit_callbacks)
        try:
            with wctx.session.begin_nested():
                return self._record_jobs(wctx, [finished])[0]
        except Exception:  # this job only: its events go with its savepoint
            claimed = finished.claimed
            log.exception("job %s (%s) could not be recorded", claimed.id, claimed.processor)
            del wctx.events[events:]
            del wctx.after_commit_callbacks[callbacks:]
            return "error"

    def _record_jobs(self, wctx: WriteContext, batch: list[Finished]) -> list[str]:
        """Each job's outcome, then what plugins keep of each result, then the dependants
        they released. Statements are per batch, not per job: one checks the leases, one
        reads the outputs' blob rows, one inserts all facts, one all derivatives, one marks
        the done jobs done, one finds the dependants. Done jobs, nearly all of them, are
        recorded with Core statements from what the claim said of them; the rarer outcomes
        (skipped, failed, retried) change the job through the ORM."""
        session = wctx.session
        now = self.vault.now()
        holding = jobs.holding(session, [(f.claimed.id, f.claimed.token) for f in batch])
        outputs = [
            (item.stored, item.mime_type)
            for finished in batch
            if finished.claimed.id in holding and finished.outcome.status == "done"
            for item in finished.stored
        ]
        if outputs:
            self.vault.evidence.ensure_blobs(session, outputs, now)
            session.flush()  # the blob rows exist before the rows that name them
        statuses: list[str] = []
        finished_ids: list[str] = []
        announced: list[Finished] = []
        rows = _Rows()
        with session.no_autoflush:  # the batch's rows are written together, below
            for finished in batch:
                claimed = finished.claimed
                if claimed.id not in holding:
                    statuses.append("lost")
                    continue
                if finished.outcome.status == "done":
                    self._record_outputs(wctx, finished, now, rows)
                    status = str(JobStatus.DONE)
                    announced.append(finished)
                else:
                    status = self._record_outcome(wctx, finished, now)
                statuses.append(status)
                if status in (JobStatus.DONE, JobStatus.SKIPPED):
                    finished_ids.append(claimed.id)
        rows.insert(session, now)
        session.flush()
        self._announce(wctx, announced)
        self.service.dispatcher.after_commit(wctx, jobs.released(session, finished_ids, now))
        return statuses

    def _record_outcome(self, wctx: WriteContext, finished: Finished, now: datetime) -> str:
        """A job that did not finish with outputs: skipped, to be retried, or failed."""
        outcome = finished.outcome
        settings = self.service.settings
        session = wctx.session
        job = session.get(Job, finished.claimed.id)
        assert job is not None  # ``holding`` has just found it
        if outcome.status == "skipped":
            jobs.skip(session, job, now, outcome.reason, outcome.seconds)
        elif outcome.status == "crashed" and job.attempts < settings.max_attempts:
            delay = min(
                settings.retry_backoff_max_seconds,
                settings.retry_backoff_seconds * 2 ** (job.attempts - 1),
            )
            jobs.retry_later(session, job, now, f"{outcome.reason}; will try again", delay)
            self.service.dispatcher.after_commit(wctx, [job], countdown=delay)
            return "retry"
        else:
            jobs.fail(session, job, now, outcome.reason, outcome.seconds)
        return str(job.status)

    def _record_outputs(self, wctx: WriteContext, finished: Finished, now: datetime, rows: _Rows) -> None:
        """Facts, derivatives, members, the job's new state and the custody event of a done
        job (its outputs' blob rows are already in the session: ``_record_jobs``), at the
        batch's time ``now``."""
        session = wctx.session
        job, outcome, stored, used = finished.claimed, finished.outcome, finished.stored, finished.used
        result = outcome.result
        assert result is not None
        outputs = [item.stored.sha256 for item in stored]
        derived = stored[: len(result.derivatives)]
        members = stored[len(result.derivatives) :]
        # Core rows, inserted for the whole batch: the ORM's unit of work for rows nothing
        # reads back here cost more than the statements themselves.
        rows.derivatives.extend(
            {
                "id": new_id(),
                "parent_sha256": job.sha256,
                "output_sha256": item.stored.sha256,
                "kind": derivative.kind,
                "label": derivative.label[:LABEL_LENGTH],
                "mime_type": derivative.mime_type,
                "size": item.stored.size,
                "processor": job.processor,
                "version": job.version,
                "params": job.params,
                "params_hash": job.params_hash,
                "job_id": job.id,
                "position": position,
                "facts": derivative.facts,
                "created_at": now,
            }
            for position, (derivative, item) in enumerate(zip(result.derivatives, derived, strict=True))
        )
        for position, (child, item) in enumerate(zip(result.children, members, strict=True)):
            session.add(
                ContentMember(
                    id=new_id(),
                    parent_sha256=job.sha256,
                    member_sha256=item.stored.sha256,
                    member_path=child.member_path,
                    position=position,
                    processor=job.processor,
                    version=job.version,
                    job_id=job.id,
                    facts={**child.facts, "size": item.stored.size, "mime_type": item.mime_type},
                    created_at=now,
                )
            )
        rows.facts.append(
            {
                "job_id": job.id,
                "sha256": job.sha256,
                "processor": job.processor,
                "version": job.version,
                "params_hash": job.params_hash,
                "facts": result.facts,
                "warnings": result.warnings,
                "recorded_at": now,
            }
        )
        rows.done.append(
            {"job_id": job.id, "token": job.token, "seconds": outcome.seconds, "warnings": result.warnings}
        )
        inputs = [job.sha256, *sorted(set(used))]
        self.vault.record(
            wctx,
            None,
            DERIVE_ACTION,
            EventClass.CONTINUITY,
            sha256=job.sha256,
            inputs=inputs,
            outputs=outputs,
            details={
                "processor": job.processor,
                "version": job.version,
                "params": _leaf_safe(job.params),
                "params_hash": job.params_hash,
                "job": job.id,
                "derivatives": [
                    {"kind": d.kind, "label": d.label, "sha256": s.stored.sha256, "mime_type": d.mime_type}
                    for d, s in zip(result.derivatives, derived, strict=True)
                ],
                "members": len(members),
                "warnings": [w[:500] for w in result.warnings[:20]],
                "run_ms": int(outcome.seconds * 1000),
            },
        )

    def _announce(self, wctx: WriteContext, announced: list[Finished]) -> None:
        """After the batch's rows are written: the items containers' members make, then what
        plugins keep of the results (analysis indexes OCR and entities), told of the whole
        batch at once so that they can write it with statements per batch."""
        processed = []
        for finished in announced:
            job, result = finished.claimed, finished.outcome.result
            assert result is not None
            if result.children:  # only a run that found members can change which items exist
                self.service.materialise_members(wctx, job.sha256)
            result.params = dict(job.params)  # what this run was keyed by, for plugins that record it
            processed.append(Processed(job.sha256, finished.processor, result))
        if processed:
            self.vault.plugins.hook.exhibits_processed(ctx=wctx, vault=self.vault, processed=processed)


_INSERT_DERIVATIVE = DerivativeRecord.__table__.insert()
_facts, _derivatives = ContentFacts.__table__.c, DerivativeRecord.__table__.c
_DEPENDENCY_FACTS = select(_facts.job_id, _facts.facts).where(
    _facts.job_id.in_(bindparam("job_ids", expanding=True))
)
_DEPENDENCY_DERIVATIVES = (
    select(
        _derivatives.job_id,
        _derivatives.output_sha256,
        _derivatives.kind,
        _derivatives.mime_type,
        _derivatives.label,
        _derivatives.facts,
    )
    .where(_derivatives.job_id.in_(bindparam("job_ids", expanding=True)))
    .order_by(_derivatives.job_id, _derivatives.position)
)
_INSERT_FACTS = ContentFacts.__table__.insert()


@dataclass
class _Rows:
    """Facts and derivatives of a batch's done jobs, inserted in one statement each, and
    the jobs marked done in one more."""

    facts: list[dict] = field(default_factory=list)
    derivatives: list[dict] = field(default_factory=list)
    done: list[dict] = field(default_factory=list)

    def insert(self, session: Session, now: datetime) -> None:
        jobs.complete_many(session, self.done, now)
        if self.facts:
            session.execute(_INSERT_FACTS, self.facts)
        if self.derivatives:
            session.execute(_INSERT_DERIVATIVE, self.derivatives)


EMPTY_REASON = "the content is empty (0 bytes): there is nothing to process"


def _leaf_safe(value: object) -> object:
    """Parameters as custody leaves allow them: no floats (written as text)."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _leaf_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_leaf_safe(v) for v in value]
    return value


def _output_paths(finished: Finished) -> list[Path]:
    result = finished.outcome.result
    if finished.outcome.status != "done" or result is None:
        return []
    return [d.path for d in result.derivatives] + [c.path for c in result.children]


def workdir_of(vault: Vault, claimed: jobs.ClaimedJob) -> Path:
    return vault.settings.tmp_dir / "jobs" / f"{claimed.id}-{claimed.token[:8]}"


def _fresh(workdir: Path) -> Path:
    """``workdir``, made empty: one mkdir, as it is nearly always new (its name holds the
    claim's token)."""
    try:
        os.mkdir(workdir)
    except FileNotFoundError:  # the first job since the vault's tmp dir was cleared
        workdir.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(workdir)
    except FileExistsError:  # left by a run of this same claim that did not finish
        shutil.rmtree(workdir, ignore_errors=True)
        os.mkdir(workdir)
    return workdir


def discard(finished: Finished) -> None:
    """Remove a job's work directory once its outputs are recorded (or will never be): the
    usual layout (files in ``out``, nothing else) by name, anything else through rmtree."""
    workdir = str(finished.workdir)
    out = os.path.join(workdir, "out")
    try:
        for name in os.listdir(out):
            os.unlink(os.path.join(out, name))  # a directory refuses: rmtree below
        os.rmdir(out)
        os.rmdir(workdir)
    except OSError:
        shutil.rmtree(workdir, ignore_errors=True)


def cleanup_workdirs(tmp_dir: Path, older_than_seconds: float) -> None:
    """Remove work directories left by a worker that was killed."""
    base = tmp_dir / "jobs"
    if not base.is_dir():
        return
    cutoff = time.time() - older_than_seconds
    for entry in base.iterdir():
        with contextlib.suppress(OSError):
            if entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
