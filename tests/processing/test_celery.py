"""Scale-out through Celery, against the real RabbitMQ and Redis on this machine, with
PostgreSQL as the database: the same jobs, late acknowledgement, per-processor queues,
and the relay that re-sends what a crash between commit and publish left stranded."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest

from exhibits.processing.dispatch import queue_name
from tests.processing.conftest import CASE, PRODUCER, jobs_of, make_jpeg
from tests.processing.test_worker import exhibits

BROKERS = {
    "rabbitmq": ("amqp://guest:guest@127.0.0.1:5672//", 5672),
    "redis": ("redis://127.0.0.1:6379/0", 6379),
}


def _reachable(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    return True


@pytest.fixture
def celery_mode(request, vault, monkeypatch):
    """Switch this test's vault to Celery mode on the given broker, with its own queues."""
    if not os.environ.get("EXHIBITS_TEST_DATABASE"):
        pytest.skip(
            "Celery mode is tested with PostgreSQL as the database (the PostgreSQL stage of scripts/test)"
        )
    broker, grace = request.param if isinstance(request.param, tuple) else (request.param, 60)
    url, port = BROKERS[broker]
    if not _reachable(port):
        message = f"{broker} is not running on 127.0.0.1:{port} (scripts/services starts it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    prefix = f"exhibits-test-{uuid.uuid4().hex[:8]}"
    for name, value in {
        "MODE": "celery", "BROKER_URL": url, "QUEUE_PREFIX": prefix, "RELAY_SECONDS": "0.5",
        "DISPATCH_GRACE_SECONDS": str(grace), "LEASE_SECONDS": "30",
    }.items():  # fmt: skip
        monkeypatch.setenv(f"EXHIBITS_PROCESSING__{name}", value)
    vault.__dict__.pop("processing", None)
    yield url, prefix
    vault.processing.dispatcher.close()
    _purge(url, prefix)


def _purge(url: str, prefix: str) -> None:
    """Leave nothing of this test on the shared broker."""
    from kombu import Connection

    with Connection(url, connect_timeout=5) as connection:
        channel = connection.default_channel
        for queue in ("default", "media"):
            with contextlib.suppress(Exception):  # never declared: nothing to remove
                channel.queue_delete(queue_name(queue, prefix))


def start_worker(vault_path) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if k not in ("EXHIBITS_USER", "EXHIBITS_FAULT")}
    environment["EXHIBITS_VAULT"] = str(vault_path)
    return subprocess.Popen(
        [sys.executable, "-m", "exhibits", "worker", "--mode", "celery", "--concurrency", "2"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop_worker(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def wait_until_done(vault, sha256s: list[str], process: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        statuses = {j.status for sha in sha256s for j in jobs_of(vault, sha).values()}
        if statuses and statuses <= {"done", "failed", "skipped"}:
            return
        if process.poll() is not None or time.monotonic() > deadline:
            output = stop_worker(process) if process.poll() is None else process.stdout.read()
            pytest.fail(f"jobs not finished ({statuses}); worker said:\n{output[-3000:]}")
        time.sleep(0.3)


@pytest.mark.parametrize("celery_mode", ["rabbitmq", "redis"], indirect=True)
def test_jobs_run_on_celery_workers_through_the_broker(vault, vault_path, celery_mode, add, tmp_path):
    statement = tmp_path / "statement.txt"
    statement.write_text("The car was a silver Ford Focus.\n")
    outcomes = add(statement, make_jpeg(tmp_path / "scene.jpg"))  # published after commit
    worker = start_worker(vault_path)
    try:
        wait_until_done(vault, [o.sha256 for o in outcomes], worker)
    finally:
        output = stop_worker(worker)
    for outcome in outcomes:
        jobs = jobs_of(vault, outcome.sha256)
        assert {j.status for j in jobs.values()} == {"done"}, (jobs, output[-2000:])
        assert all(j.lease_owner is None and j.attempts == 1 for j in jobs.values())
    assert "exhibits.process" in output  # the tasks ran in the Celery worker


@pytest.mark.parametrize("celery_mode", [("rabbitmq", 2)], indirect=True)  # a short grace period
def test_jobs_stranded_by_a_crash_between_commit_and_publish_are_sent_by_the_relay(
    vault, vault_path, celery_mode, case, tmp_path
):
    statement = tmp_path / "statement.txt"
    statement.write_text("Seen at 21:40 near the ring road.\n")
    killed = exhibits(
        vault_path, "add", str(statement), "--case", CASE, "--producer", PRODUCER,
        fault="processing.dispatch", env={"EXHIBITS_USER": "1234"},
    )  # fmt: skip
    assert killed.returncode == -9  # committed, never published
    _, listed = vault.evidence.list_exhibits(case, CASE)
    sha256 = listed[0].sha256
    assert jobs_of(vault, sha256)["document_text"].status == "pending"
    worker = start_worker(vault_path)
    try:
        wait_until_done(vault, [sha256], worker)
    finally:
        output = stop_worker(worker)
    assert jobs_of(vault, sha256)["document_text"].status == "done", output[-2000:]
