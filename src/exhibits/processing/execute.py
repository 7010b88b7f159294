"""Running one claimed job: inputs out of the vault, the processor in its runner, outputs in.

The slow part (processing, storing output blobs) happens outside any unit of work; the
unit that follows only records: blob rows, facts, derivatives, container members, the
custody event and the job's new state, all in one transaction. It first checks that
this worker still holds the job's lease, so a job that another worker took over after
a stall is recorded once, by one of them.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from exhibits.custody.events import EventClass
from exhibits.db.writer import WriteContext
from exhibits.errors import ExhibitsError
from exhibits.evidence.sniff import sniff_mime
from exhibits.faults import fault_point
from exhibits.ids import new_id
from exhibits.processing import jobs
from exhibits.processing.models import ContentFacts, ContentMember, DerivativeRecord, Job
from exhibits.processing.processor import Context, Derivative, Processor, Result
from exhibits.processing.runner import Outcome, Runner
from exhibits.storage import IngestResult

if TYPE_CHECKING:
    from exhibits.processing.service import ProcessingService

log = logging.getLogger(__name__)
DERIVE_ACTION = "content.derive"


@dataclass(frozen=True)
class Stored:
    stored: IngestResult
    mime_type: str


def worker_name(slot: int | str = 0) -> str:
    return f"{socket.gethostname()}:{__import__('os').getpid()}:{slot}"


class JobExecutor:
    """Runs claimed jobs for one worker slot, through that slot's runner process."""

    def __init__(self, service: ProcessingService, runner: Runner, owner: str) -> None:
        self.service = service
        self.vault = service.vault
        self.runner = runner
        self.owner = owner
        # An embedded worker claims its next job (from these queues; None: any) in the unit of
        # work that records the last one: one commit fewer per job. False: do not (Celery
        # workers are handed their jobs).
        self.chain_queues: list[str] | bool | None = False
        self.next_claim: jobs.ClaimedJob | None = None

    def take_next(self) -> jobs.ClaimedJob | None:
        claimed, self.next_claim = self.next_claim, None
        return claimed

    def _claim_next(self, wctx: WriteContext) -> None:
        if self.chain_queues is False:
            return
        settings = self.service.settings
        self.next_claim = jobs.claim(
            wctx.session,
            self.service.registry,
            self.owner,
            self.vault.now(),
            lease_seconds=settings.lease_seconds,
            max_attempts=settings.max_attempts,
            queues=self.chain_queues or None,
        )

    def claim(self, *, queues: list[str] | None = None, job_id: str | None = None) -> jobs.ClaimedJob | None:
        settings = self.service.settings
        return self.vault.write(
            lambda ctx: jobs.claim(
                ctx.session,
                self.service.registry,
                self.owner,
                self.vault.now(),
                lease_seconds=settings.lease_seconds,
                max_attempts=settings.max_attempts,
                queues=queues,
                job_id=job_id,
            )
        )

    def run(self, claimed: jobs.ClaimedJob) -> str:
        """Process a claimed job to its end; returns the job's new status (or 'lost')."""
        processor = self.service.registry.get(claimed.processor)
        assert processor is not None and processor.version == claimed.version
        workdir = self.vault.settings.tmp_dir / "jobs" / f"{claimed.id}-{claimed.token[:8]}"
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        lost = threading.Event()
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(claimed, stop, lost), daemon=True)
        try:
            size = self.vault.blobs.size(claimed.sha256)
            if size == 0:
                return self._finish(claimed, Outcome("failed", 0.0, reason=EMPTY_REASON), processor, None, [])
            ctx = self._context(claimed, workdir)
            beat.start()
            fault_point("processing.job_started")
            outcome = self.runner.run(
                processor,
                ctx,
                time_limit=self.service.time_limit(claimed.processor),
                memory_limit_mb=processor.memory_limit_mb or self.service.settings.memory_limit_mb,
            )
            stop.set()
            beat.join()
            if lost.is_set():
                return "lost"
            stored: list[Stored] = []
            if outcome.status == "done" and outcome.result:
                try:
                    stored = self._store(outcome.result)
                except ExhibitsError as exc:  # refused by the store (too large...): say so
                    reason = f"its outputs could not be stored: {exc.message}"
                    outcome = Outcome("failed", outcome.seconds, reason=reason)
            fault_point("processing.outputs_stored")
            return self._finish(claimed, outcome, processor, ctx, stored)
        finally:
            stop.set()
            if beat.is_alive():
                beat.join()
            shutil.rmtree(workdir, ignore_errors=True)

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

    def _context(self, claimed: jobs.ClaimedJob, workdir: Path) -> Context:
        facts: dict[str, dict] = {}
        derivatives: dict[str, list[tuple[Derivative, Path]]] = {}
        with self.vault.reading() as session:
            for name, job_id in claimed.dependencies.items():
                row = session.get(ContentFacts, job_id)
                facts[name] = dict(row.facts) if row else {}
                records = session.scalars(
                    select(DerivativeRecord)
                    .where(DerivativeRecord.job_id == job_id)
                    .order_by(DerivativeRecord.position)
                ).all()
                derivatives[name] = []
                for r in records:
                    path = self._input(r.output_sha256, workdir, r.output_sha256)
                    derivative = Derivative(r.kind, path, r.mime_type, r.label, dict(r.facts or {}))
                    derivatives[name].append((derivative, path))
        out = workdir / "out"
        out.mkdir()
        return Context(
            sha256=claimed.sha256,
            mime_type=claimed.mime_type,
            input_path=self._input(claimed.sha256, workdir, "input"),
            workdir=out,
            params=claimed.params,
            dependency_facts=facts,
            dependency_derivatives=derivatives,
            time_limit=self.service.time_limit(claimed.processor),
        )

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

    def _store(self, result: Result) -> list[Stored]:
        """Put every output file into the blob store (content-addressed) before recording.
        Files go in side by side: each waits on its own fsync, so the waits overlap."""
        limit = self.vault.settings.max_ingest_bytes

        def put(path: Path) -> IngestResult:
            with path.open("rb") as handle:
                return self.vault.blobs.ingest(handle, limit=limit)

        paths = [d.path for d in result.derivatives] + [c.path for c in result.children]
        if len(paths) > 1:
            with ThreadPoolExecutor(max_workers=min(4, len(paths))) as pool:
                items = list(pool.map(put, paths))
        else:
            items = [put(p) for p in paths]
        derived = [Stored(i, d.mime_type) for i, d in zip(items, result.derivatives, strict=False)]
        members = [Stored(i, sniff_mime(i.head)) for i in items[len(result.derivatives) :]]
        return derived + members

    def _finish(
        self,
        claimed: jobs.ClaimedJob,
        outcome: Outcome,
        processor: Processor,
        ctx: Context | None,
        stored: list[Stored],
    ) -> str:
        settings = self.service.settings
        dispatcher = self.service.dispatcher

        def record(wctx: WriteContext) -> str:
            status = record_outcome(wctx)
            self._claim_next(wctx)
            return status

        def record_outcome(wctx: WriteContext) -> str:
            session = wctx.session
            job = jobs.held(session, claimed.id, claimed.token)
            if job is None:
                return "lost"
            now = self.vault.now()
            if outcome.status == "done":
                assert outcome.result is not None
                ready = self._record_outputs(wctx, job, processor, claimed.dependencies, outcome, stored)
                dispatcher.after_commit(wctx, ready)
            elif outcome.status == "skipped":
                dispatcher.after_commit(wctx, jobs.skip(session, job, now, outcome.reason, outcome.seconds))
            elif outcome.status == "crashed" and job.attempts < settings.max_attempts:
                delay = min(
                    settings.retry_backoff_max_seconds,
                    settings.retry_backoff_seconds * 2 ** (job.attempts - 1),
                )
                jobs.retry_later(session, job, now, f"{outcome.reason}; will try again", delay)
                dispatcher.after_commit(wctx, [job], countdown=delay)
                return "retry"
            else:
                jobs.fail(session, job, now, outcome.reason, outcome.seconds)
            return str(job.status)

        self.next_claim = None
        try:
            return self.vault.write(record)
        except Exception:
            self.next_claim = None  # the unit was rolled back, claim and all
            raise

    def _record_outputs(
        self,
        wctx: WriteContext,
        job: Job,
        processor: Processor,
        dependencies: dict[str, str],
        outcome: Outcome,
        stored: list[Stored],
    ) -> list[Job]:
        session = wctx.session
        result = outcome.result
        assert result is not None
        now = self.vault.now()
        evidence = self.vault.evidence
        outputs: list[str] = []
        for item in stored:
            evidence.ensure_blob(session, item.stored, item.mime_type, now)
            outputs.append(item.stored.sha256)
        session.flush()
        derived = stored[: len(result.derivatives)]
        members = stored[len(result.derivatives) :]
        for position, (derivative, item) in enumerate(zip(result.derivatives, derived, strict=True)):
            session.add(
                DerivativeRecord(
                    id=new_id(),
                    parent_sha256=job.sha256,
                    output_sha256=item.stored.sha256,
                    kind=derivative.kind,
                    label=derivative.label[:200],
                    mime_type=derivative.mime_type,
                    size=item.stored.size,
                    processor=job.processor,
                    version=job.version,
                    params=job.params,
                    params_hash=job.params_hash,
                    job_id=job.id,
                    position=position,
                    facts=derivative.facts,
                    created_at=now,
                )
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
        session.add(
            ContentFacts(
                job_id=job.id,
                sha256=job.sha256,
                processor=job.processor,
                version=job.version,
                params_hash=job.params_hash,
                facts=result.facts,
                warnings=result.warnings,
                recorded_at=now,
            )
        )
        ready = jobs.complete(session, job, now, outcome.seconds, result.warnings)
        used = []
        if dependencies:
            used = session.scalars(
                select(DerivativeRecord.output_sha256).where(
                    DerivativeRecord.job_id.in_(list(dependencies.values()))
                )
            ).all()
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
        session.flush()
        if members:  # only a run that found members can change which items exist
            self.service.materialise_members(wctx, job.sha256)
        result.params = dict(job.params)  # what this run was keyed by, for plugins that record it
        self.vault.plugins.hook.exhibits_processed(
            ctx=wctx, vault=self.vault, sha256=job.sha256, processor=processor, result=result
        )
        return ready


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
