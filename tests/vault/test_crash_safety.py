"""A crash at any point loses nothing acknowledged and leaves nothing half-recorded."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from exhibits.evidence.models import Blob, Media
from exhibits.vault import Vault
from exhibits.vault.verify import verify_vault

CASE = "42/19283/26"
POINTS = ["ingest.temp_written", "ingest.renamed", "ingest.row_inserted", "log.appended", "log.committed"]


def exhibits(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "exhibits", *args], env=env, capture_output=True, text=True, timeout=120
    )


def assert_consistent(vault_path, admin) -> int:
    """Every recorded item has its complete blob, and the whole vault verifies."""
    with Vault.open(vault_path) as vault:
        with vault.reading() as session:
            for sha256, size in session.execute(select(Blob.sha256, Blob.size)):
                assert vault.blobs.size(sha256) == size
            media = session.scalars(select(Media)).all()
        report = verify_vault(vault, admin)
        assert report.ok, report.log.problems + report.problems
        return len(media)


@pytest.fixture
def env(vault_path):
    return {**os.environ, "EXHIBITS_VAULT": str(vault_path), "PYTHONUNBUFFERED": "1"}


@pytest.mark.parametrize("point", POINTS)
def test_killed_at_each_step_of_an_ingest(vault_path, admin, env, tmp_path, point):
    assert exhibits("case", "create", CASE, "--title", "Crash test", env=env).returncode == 0
    evidence = tmp_path / "bwv.mp4"
    evidence.write_bytes(os.urandom(300_000))
    killed = exhibits(
        "add",
        str(evidence),
        "--case",
        CASE,
        "--producer",
        "PC 1 Jo Bloggs",
        env={**env, "EXHIBITS_FAULT": point},
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    recorded = assert_consistent(vault_path, admin)
    assert recorded == (1 if point == "log.committed" else 0)
    retried = exhibits("add", str(evidence), "--case", CASE, "--producer", "PC 1 Jo Bloggs", env=env)
    assert retried.returncode == 0, retried.stderr
    assert assert_consistent(vault_path, admin) == recorded + 1


def ingest_until_killed(vault_path, source, write_fd: int) -> None:
    """Runs in a forked child: ingest new files forever, reporting each acknowledgement."""
    from exhibits.evidence.service import IngestRequest

    vault = Vault.open(vault_path)
    admin = vault.users.principal_for("ADMIN", via="cli")
    i = 0
    while True:
        i += 1
        path = source / f"f{os.getpid()}_{i}.bin"
        path.write_bytes(os.urandom(20_000 + i))
        vault.evidence.ingest_paths(admin, [path], IngestRequest(case=CASE, producer="PC 1 Jo Bloggs"))
        os.write(write_fd, f"acknowledged {path.name}\n".encode())
        if i == 1:  # warmed up (connections open): the kill lands anywhere in what follows
            os.write(write_fd, b"ready\n")


@pytest.mark.slow
def test_one_hundred_random_kills(vault_path, admin, tmp_path):
    source = tmp_path / "incoming"
    source.mkdir()
    with Vault.open(vault_path) as vault:
        vault.evidence.create_case(admin, CASE, "Random kills")
        # Warm this process's caches (libmagic, compiled statements) so forked children start fast.
        (source / "warm-up.bin").write_bytes(b"warm up")
        from exhibits.evidence.service import IngestRequest

        vault.evidence.ingest_paths(
            admin, [source / "warm-up.bin"], IngestRequest(case=CASE, producer="PC 1 Jo Bloggs")
        )
    rng = random.Random(20261122)
    acknowledged: set[str] = set()
    for _ in range(100):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child never returns: it is killed
            os.close(read_fd)
            try:
                ingest_until_killed(vault_path, source, write_fd)
            finally:
                os._exit(1)
        os.close(write_fd)
        with os.fdopen(read_fd) as reader:
            first = reader.readline().split()[1]
            assert reader.readline().strip() == "ready"
            time.sleep(rng.uniform(0.0, 0.3))
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            lines = reader.read().splitlines()
            acknowledged |= {first} | {line.split()[1] for line in lines if line.startswith("ack")}
    assert len(acknowledged) >= 100
    with Vault.open(vault_path) as vault:
        _, exhibits_now = vault.evidence.list_exhibits(admin, CASE)
        names = {e.original_name for e in exhibits_now}
        assert acknowledged <= names, "an acknowledged ingest was lost"
        with vault.reading() as session:
            for sha256, size in session.execute(select(Blob.sha256, Blob.size)):
                assert vault.blobs.size(sha256) == size
        report = verify_vault(vault, admin)
        assert report.ok, report.log.problems + report.problems
        leftover = next((p for p in sorted(source.iterdir()) if p.name not in names), source / "new.bin")
        leftover.write_bytes(os.urandom(1000))
        from exhibits.evidence.service import IngestRequest

        [retry] = vault.evidence.ingest_paths(
            admin, [leftover], IngestRequest(case=CASE, producer="PC 1 Jo Bloggs")
        )
        assert retry.ref
