"""How finished jobs become records: several at once in one unit of work, each on its own
(one that cannot be recorded spoils no other), and a stopping worker gives back the jobs
it claimed ahead instead of leaving them to wait out their leases."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from exhibits.custody.models import CustodyEventRow
from exhibits.evidence.models import Blob
from exhibits.hooks import hookimpl, plugin_manager
from exhibits.processing.execute import JobExecutor, discard
from exhibits.processing.models import ContentFacts, DerivativeRecord, Job
from exhibits.processing.runner import Runner
from exhibits.processing.worker import EmbeddedWorker
from tests.processing import helpers
from tests.processing.conftest import jobs_of, make_jpeg


@pytest.fixture
def executor(vault):
    executor = JobExecutor(vault.processing, Runner(), "test")
    yield executor
    executor.runner.close()
    executor.close()


def test_jobs_recorded_together_are_each_recorded_or_not_on_their_own(vault, add, tmp_path, executor):
    first = add(make_jpeg(tmp_path / "first.jpg", colour=(10, 20, 30)))[0].sha256
    second = add(make_jpeg(tmp_path / "second.jpg", colour=(30, 20, 10)))[0].sha256
    claimed = executor.claim_many(2)
    assert sorted(c.sha256 for c in claimed) == sorted([first, second])
    assert all(c.processor == "probe" for c in claimed)  # the proxies wait for their probes
    finished = [executor.perform(c) for c in claimed]
    for item in finished:
        executor.store(item)

    class Refuses:
        @hookimpl
        def exhibits_processed(self, ctx, vault, processed):
            if any(item.sha256 == first for item in processed):
                raise RuntimeError("an index that cannot take this result")

    plugin_manager().register(Refuses(), name="test-refuses")
    try:
        recorded = executor.record(finished, claim=5)
    finally:
        plugin_manager().unregister(name="test-refuses")
        for item in finished:
            discard(item)
    statuses = dict(zip([c.sha256 for c in claimed], recorded.statuses, strict=True))
    assert statuses == {first: "error", second: "done"}
    # The second image's probe is done, with its facts and its derivation in the log, and
    # its proxy (now ready) was claimed in the same unit.
    assert jobs_of(vault, second)["probe"].status == "done"
    assert [(c.sha256, c.processor) for c in recorded.claimed] == [(second, "image-proxy")]
    # The first left no trace: still running under its lease, no facts, no custody event.
    assert jobs_of(vault, first)["probe"].status == "running"
    with vault.reading() as session:
        facts = session.scalar(
            select(func.count()).select_from(ContentFacts).where(ContentFacts.sha256 == first)
        )
        events = session.scalar(
            select(func.count())
            .select_from(CustodyEventRow)
            .where(CustodyEventRow.action == "content.derive", CustodyEventRow.sha256 == first)
        )
    assert (facts, events) == (0, 0)


@pytest.fixture
def gate(vault, tmp_path, monkeypatch):
    """The gate processor in this vault's pipeline; the folder it signals through."""
    folder = tmp_path / "gate"
    folder.mkdir()
    monkeypatch.setenv("EXHIBITS_TEST_GATE", str(folder))

    class Plugin:
        @hookimpl
        def exhibits_processors(self):
            return [helpers.Gate]

    plugin_manager().register(Plugin(), name="test-gate")
    vault.processing.__dict__.pop("registry", None)
    yield folder
    plugin_manager().unregister(name="test-gate")
    vault.processing.__dict__.pop("registry", None)


def test_a_stopping_worker_gives_back_the_jobs_it_claimed_ahead_at_once(vault, add, tmp_path, gate):
    for n in range(4):
        statement = tmp_path / f"statement-{n}.txt"
        statement.write_text(f"Statement {n}.\n")
        add(statement)
    worker = EmbeddedWorker(vault, concurrency=1)
    running = threading.Thread(target=worker.run)
    running.start()  # its slot claims several jobs at once, and runs them one by one
    while not list(gate.glob("started-*")):
        running.join(0.05)
    worker.stop()  # while the first gate job is certainly running
    (gate / "open").touch()
    running.join(60)
    assert not running.is_alive()
    with vault.reading() as session:
        rows = session.execute(select(Job.processor, Job.status, Job.attempts, Job.lease_token)).all()
    assert [r.status for r in rows if r.processor == "test-gate"].count("done") == 1
    assert not [r for r in rows if r.status == "running"]  # none left waiting out a lease
    assert all(r.attempts == 0 and r.lease_token is None for r in rows if r.status == "pending")
    vault.processing.settings.poll_seconds = 0.1
    (gate / "open").touch()
    EmbeddedWorker(vault, concurrency=1, until_idle=True).run()  # another worker runs them at once
    with vault.reading() as session:
        rows = session.execute(select(Job.status, Job.attempts)).all()
    assert {(r.status, r.attempts) for r in rows} == {("done", 1)}


def test_jobs_recorded_together_that_made_the_same_output_share_its_blob_row(vault, add, tmp_path, executor):
    from PIL import Image

    tag = Image.Exif()
    tag[0x010E] = "the same picture, described"  # ImageDescription: other bytes, same pixels
    plain = add(make_jpeg(tmp_path / "plain.jpg"))[0].sha256
    described = add(make_jpeg(tmp_path / "described.jpg", exif=tag.tobytes()))[0].sha256
    assert plain != described

    def run_together(claimed):
        finished = [executor.perform(c) for c in claimed]
        executor.store_many(finished)
        try:
            return executor.record(finished, claim=5)
        finally:
            for item in finished:
                discard(item)

    probes = run_together(executor.claim_many(2))
    assert sorted(c.processor for c in probes.claimed) == ["image-proxy", "image-proxy"]
    proxies = run_together(probes.claimed)
    assert proxies.statuses == ["done", "done"]
    with vault.reading() as session:
        outputs = session.execute(
            select(DerivativeRecord.parent_sha256, DerivativeRecord.output_sha256).where(
                DerivativeRecord.processor == "image-proxy"
            )
        ).all()
        made = {parent: {output for p, output in outputs if p == parent} for parent in (plain, described)}
        assert len(outputs) == 6 and len(made[plain]) == 3  # web JPEG, web WebP, thumbnail
        assert made[plain] == made[described]  # the same pixels: the same files
        blob_rows = session.scalars(select(Blob.sha256).where(Blob.sha256.in_(made[plain]))).all()
        assert sorted(blob_rows) == sorted(made[plain])  # one row each
        derived_from = session.scalars(
            select(CustodyEventRow.sha256).where(CustodyEventRow.action == "content.derive")
        ).all()
    assert sorted(derived_from) == sorted([plain, plain, described, described])  # probe, proxy
