"""Workers survive what goes wrong: a process killed between commit and dispatch, a
worker killed mid-job, processors that hang, hog memory, crash or have bugs. Each ends
as a job with a clear reason, nothing is lost, and nothing is recorded twice."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from exhibits.custody.models import CustodyEventRow
from exhibits.hooks import hookimpl, plugin_manager
from exhibits.processing.models import DerivativeRecord, Job
from tests.processing import helpers
from tests.processing.conftest import CASE, PRODUCER, jobs_of


def exhibits(vault_path, *args: str, fault: str | None = None, env: dict | None = None, timeout=120):
    """Run the real `exhibits` command in its own process, optionally dying at a fault point."""
    environment = {k: v for k, v in os.environ.items() if k not in ("EXHIBITS_USER", "EXHIBITS_FAULT")}
    environment.update({"EXHIBITS_VAULT": str(vault_path), **(env or {})})
    if fault:
        environment["EXHIBITS_FAULT"] = fault
    return subprocess.run(
        [sys.executable, "-m", "exhibits", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def statement(tmp_path):
    path = tmp_path / "statement.txt"
    path.write_text("I saw a silver Ford Focus, AB12 CDE, drive towards the ring road.\n")
    return path


@pytest.fixture
def misbehaving(vault):
    """Add the misbehaving processors to this vault's pipeline for one test."""

    class Plugin:
        @hookimpl
        def exhibits_processors(self):
            return [helpers.Sleeper, helpers.Hog, helpers.Crasher, helpers.Buggy, helpers.Escaper]

    plugin = Plugin()
    plugin_manager().register(plugin, name="test-misbehaving")
    vault.processing.__dict__.pop("registry", None)
    yield
    plugin_manager().unregister(name="test-misbehaving")
    vault.processing.__dict__.pop("registry", None)


def test_a_process_killed_between_commit_and_dispatch_still_gets_its_jobs_run(
    vault, vault_path, case, statement, drain
):
    result = exhibits(
        vault_path, "add", str(statement), "--case", CASE, "--producer", PRODUCER,
        fault="processing.dispatch", env={"EXHIBITS_USER": "1234"},
    )  # fmt: skip
    assert result.returncode == -9, result.stderr  # SIGKILL right after the commit
    _, exhibits_ = vault.evidence.list_exhibits(case, CASE)
    assert [e.ref for e in exhibits_] == ["JS/1"]  # the exhibit was committed...
    jobs = jobs_of(vault, exhibits_[0].sha256)
    assert {j.status for j in jobs.values()} == {"pending"}  # ...and its jobs with it (the outbox)
    drain()
    assert jobs_of(vault, exhibits_[0].sha256)["document_text"].status == "done"


def test_a_worker_killed_mid_job_has_the_job_rerun_after_its_lease_and_recorded_once(
    vault, vault_path, add, statement, drain
):
    sha256 = add(statement)[0].sha256
    killed = exhibits(
        vault_path, "worker", "--until-idle", fault="processing.outputs_stored",
        env={"EXHIBITS_PROCESSING__LEASE_SECONDS": "5"},
    )  # fmt: skip
    assert killed.returncode == -9, killed.stderr  # died after storing outputs, before recording
    job = jobs_of(vault, sha256)["document_text"]
    assert job.status == "running" and job.attempts == 1
    started = time.monotonic()
    drain()  # waits for the lease to lapse, then runs the job again
    assert time.monotonic() - started < 60
    job = jobs_of(vault, sha256)["document_text"]
    assert job.status == "done" and job.attempts == 2
    with vault.reading() as session:
        derived = session.scalar(
            select(func.count()).select_from(DerivativeRecord).where(DerivativeRecord.job_id == job.id)
        )
        events = session.scalar(
            select(func.count())
            .select_from(CustodyEventRow)
            .where(CustodyEventRow.action == "content.derive")
        )
    assert (derived, events) == (1, 1)  # one text derivative, one derivation in the log
    text = vault.processing.derivatives(sha256, kind="text")[0]
    with vault.blobs.open(text.sha256) as handle:
        assert b"AB12 CDE" in handle.read()


def test_processors_that_hang_hog_memory_crash_or_have_bugs_fail_with_a_reason_and_the_worker_goes_on(
    vault, add, statement, drain, misbehaving
):
    vault.processing.settings.max_attempts = 2
    vault.processing.settings.retry_backoff_seconds = 1
    sha256 = add(statement)[0].sha256
    started = time.monotonic()
    drain()
    took = time.monotonic() - started
    jobs = jobs_of(vault, sha256)
    assert jobs["document_text"].status == "done"  # the worker carried on with the good work
    assert jobs["test-sleeper"].status == "failed"
    assert jobs["test-sleeper"].error.startswith("timed out: still running after its 2-second time limit")
    assert jobs["test-hog"].status == "failed"
    assert "out of memory" in jobs["test-hog"].error and "300 MiB" in jobs["test-hog"].error
    assert jobs["test-crasher"].status == "failed" and jobs["test-crasher"].attempts == 2
    assert "crashed (SIGSEGV)" in jobs["test-crasher"].error
    assert jobs["test-buggy"].error == "internal error in processor (ValueError: a bug in the processor)"
    assert "is not a file in its work directory" in jobs["test-escaper"].error
    assert took < 45  # nothing hung past its time limit
    with vault.reading() as session:
        assert not session.scalar(
            select(func.count()).select_from(Job).where(Job.status.in_(["pending", "running"]))
        )
    assert not list((vault.settings.tmp_dir / "jobs").iterdir())  # work directories cleaned up


def test_the_worker_command_runs_until_idle_and_reports_each_job(vault_path, add, statement):
    add(statement)
    result = exhibits(vault_path, "worker", "--until-idle")
    assert result.returncode == 0, result.stderr
    assert "document_text" in result.stdout and "done" in result.stdout
    assert "worker stopped after 1 jobs" in result.stdout


def test_serve_starts_a_lower_priority_background_worker_that_stops_cleanly(
    vault, vault_path, add, statement
):
    from exhibits.web.server import start_workers, stop_workers, worker_commands

    assert worker_commands(vault) == [["worker"]]
    sha256 = add(statement)[0].sha256
    [worker] = start_workers(vault, niceness=7, env={"EXHIBITS_PROCESSING__POLL_SECONDS": "0.2"})
    try:
        assert worker.poll() is None
        deadline = time.monotonic() + 10  # (`nice` lowers it, then becomes the worker)
        while os.getpriority(os.PRIO_PROCESS, worker.pid) != 7:
            assert time.monotonic() < deadline, "the worker does not run at lower priority"
            time.sleep(0.05)
        deadline = time.monotonic() + 60
        while jobs_of(vault, sha256)["document_text"].status != "done":
            assert time.monotonic() < deadline, "the background worker did not process the job"
            time.sleep(0.2)
    finally:
        stop_workers([worker])
    assert worker.returncode == 0


def test_no_background_worker_in_celery_mode(vault_path, monkeypatch):
    from exhibits.vault import Vault
    from exhibits.web.server import worker_commands

    monkeypatch.setenv("EXHIBITS_PROCESSING__MODE", "celery")
    monkeypatch.setenv("EXHIBITS_PROCESSING__BROKER_URL", "redis://127.0.0.1:6379/0")
    with Vault.open(vault_path) as vault:
        assert worker_commands(vault) == []


def test_the_recorder_gathers_what_is_stored_within_its_window_into_one_batch():
    import queue
    import threading

    from exhibits.processing.worker import _take_batch

    stored: queue.SimpleQueue = queue.SimpleQueue()
    stored.put("first")
    soon = threading.Timer(0.02, stored.put, args=("soon",))
    late = threading.Timer(0.5, stored.put, args=("late",))
    soon.start()
    late.start()
    try:
        assert _take_batch(stored, gather=0.2) == (["first", "soon"], False)
        assert _take_batch(stored, gather=0.0) == (["late"], False)  # waits for the first only
        stored.put("last")
        stored.put(None)  # the end
        assert _take_batch(stored, gather=5.0) == (["last"], True)  # the end cuts the wait short
    finally:
        late.join()


def test_slots_keep_about_a_quarter_second_of_work_claimed_ahead(vault):
    from exhibits.processing.worker import MAX_AHEAD, EmbeddedWorker

    worker = EmbeddedWorker(vault, concurrency=2)
    assert worker.ahead == 1  # no pace yet: claim one ahead
    for _ in range(100):
        worker._paced(0.004)  # thumbnails: many ahead, up to the cap
    assert worker.ahead == MAX_AHEAD
    for _ in range(100):
        worker._paced(0.05)
    assert worker.ahead == 5
    for _ in range(100):
        worker._paced(30.0)  # video: never more than one held back from other workers
    assert worker.ahead == 1
    worker.sweeper.shutdown()


def test_a_slot_prepares_its_next_job_while_the_runner_runs_the_one_before(vault, add, drain, tmp_path):
    """So that the runner goes straight from one job to the next: the slot's own work
    (work directory, inputs, dependencies' outputs) overlaps the processor's run."""
    from exhibits.processing.execute import JobExecutor
    from tests.processing.conftest import make_jpeg

    calls: list[tuple[str, str]] = []
    real = {name: getattr(JobExecutor, name) for name in ("prepare", "start", "finish")}

    def traced(name):
        def call(self, job):
            claimed = getattr(job, "claimed", job)
            calls.append((name, claimed.id))
            return real[name](self, job)

        return call

    add(*[make_jpeg(tmp_path / f"photo-{n}.jpg", colour=(n * 40, 30, 30)) for n in range(4)])
    for name in real:
        setattr(JobExecutor, name, traced(name))
    try:
        drain(concurrency=1)
    finally:
        for name, function in real.items():
            setattr(JobExecutor, name, function)
    with vault.reading() as session:
        states = dict(session.execute(select(Job.status, func.count()).group_by(Job.status)).all())
    assert set(states) == {"done"}
    started = [job for name, job in calls if name == "start"]
    assert len(started) == states["done"] == len(set(started))  # each job ran once
    overlapped = 0
    for earlier, later in itertools.pairwise(started):
        window = calls[calls.index(("start", earlier)) : calls.index(("finish", earlier))]
        overlapped += ("prepare", later) in window
    assert overlapped >= len(started) // 2  # mostly: a job claimed ahead is there to prepare


def test_a_dependant_is_given_what_its_dependency_recorded_from_the_worker_s_memory(vault, add, tmp_path):
    """The worker keeps what it has just recorded, so that a dependant (entities on OCR) is
    prepared without reading it back; what the dependant is given is what the rows say."""
    from exhibits.processing.execute import JobExecutor
    from exhibits.processing.worker import EmbeddedWorker

    class Plugin:
        @hookimpl
        def exhibits_processors(self):
            return [helpers.Sketcher, helpers.Tracer]

    plugin_manager().register(Plugin(), name="test-dependants")
    vault.processing.__dict__.pop("registry", None)
    read_back = []
    real = JobExecutor._dependency_outputs
    JobExecutor._dependency_outputs = lambda self, ids: read_back.append(ids) or real(self, ids)
    try:
        note = tmp_path / "note.txt"
        note.write_text("three small words")
        sha256 = add(note)[0].sha256
        worker = EmbeddedWorker(vault, concurrency=1, until_idle=True)
        vault.processing.settings.poll_seconds = 0.1
        worker.run()
        jobs = jobs_of(vault, sha256)
        assert jobs["test-sketcher"].status == jobs["test-tracer"].status == "done"
        recorded = real(worker.recorder, [jobs["test-sketcher"].id])
        traced = real(worker.recorder, [jobs["test-tracer"].id])[0][jobs["test-tracer"].id]
    finally:
        JobExecutor._dependency_outputs = real
        plugin_manager().unregister(name="test-dependants")
        vault.processing.__dict__.pop("registry", None)
    assert read_back == []  # prepared from memory
    facts, rows = recorded
    assert traced["facts"] == facts[jobs["test-sketcher"].id] == {"words": 3}
    (row,) = rows[jobs["test-sketcher"].id]
    assert traced["derivatives"] == [
        {
            "kind": row.kind,
            "label": row.label,
            "mime_type": row.mime_type,
            "facts": row.facts,
            "text": "THREE SMALL WORDS",
        }
    ]
    assert len(row.label) == 200
