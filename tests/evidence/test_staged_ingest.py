"""Ingest of a file staged ahead (exhibits.storage.staging): the copy is adopted only if the
file is unchanged, else the file is read again; either way the same records and no leftovers."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from exhibits.custody.models import CustodyEventRow
from exhibits.errors import InvalidInput
from exhibits.evidence.models import Blob, Exhibit, Media
from exhibits.evidence.service import IngestRequest
from exhibits.storage import staging
from exhibits.storage.staging import StagedCopy, stage_first_file

CASE = "42/19283/26"
JANE = "PC 1234 Jane Smith"


@pytest.fixture
def case(vault, admin):
    return vault.evidence.create_case(admin, CASE, "Burglary, 14 High Street")


@pytest.fixture
def footage(tmp_path) -> Path:
    path = tmp_path / "bwv_0413.mp4"
    path.write_bytes(os.urandom(9 * 2**20 + 5))
    return path


def counts(vault) -> tuple[int, ...]:
    with vault.reading() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (Blob, Media, Exhibit, CustodyEventRow)
        )


def tmp_leftovers(vault) -> list[str]:
    return sorted(p.name for p in vault.settings.tmp_dir.glob("ingest-*"))


def test_an_unchanged_file_is_stored_from_its_staged_copy(vault, admin, case, footage):
    data = footage.read_bytes()
    with StagedCopy(footage, vault.settings.tmp_dir).start() as copy:
        copy.wait()
        staged_inode = next(vault.settings.tmp_dir.glob("ingest-*")).stat().st_ino
        [outcome] = vault.evidence.ingest_paths(
            admin, [footage], IngestRequest(case=CASE, producer=JANE), staged=copy
        )
    assert outcome.ref == "JS/1" and outcome.sha256 == hashlib.sha256(data).hexdigest()
    blob = vault.blobs.path(outcome.sha256)
    assert blob.stat().st_ino == staged_inode  # the staged file itself, linked into place
    assert blob.read_bytes() == data
    assert vault.blobs.rehash(outcome.sha256) == outcome.sha256
    ref, events = vault.custody.exhibit_trail(admin, CASE, "JS/1")
    assert [e.leaf["sha256"] for e in events if e.action == "exhibit.ingest"] == [outcome.sha256]
    assert tmp_leftovers(vault) == []


def test_a_file_changed_after_staging_is_read_again(vault, admin, case, footage):
    with StagedCopy(footage, vault.settings.tmp_dir).start() as copy:
        copy.wait()
        with footage.open("r+b") as handle:
            handle.write(b"changed after staging")
        changed = footage.read_bytes()
        [outcome] = vault.evidence.ingest_paths(
            admin, [footage], IngestRequest(case=CASE, producer=JANE), staged=copy
        )
    assert outcome.sha256 == hashlib.sha256(changed).hexdigest()
    assert vault.blobs.path(outcome.sha256).read_bytes() == changed
    assert counts(vault)[:3] == (1, 1, 1)
    assert tmp_leftovers(vault) == []


def test_only_the_staged_file_of_several_comes_from_the_copy(vault, admin, case, footage, tmp_path):
    other = tmp_path / "other.mp4"
    other.write_bytes(os.urandom(2**20))
    with StagedCopy(footage, vault.settings.tmp_dir).start() as copy:
        outcomes = vault.evidence.ingest_paths(
            admin, [other, footage, footage], IngestRequest(case=CASE, producer=JANE), staged=copy
        )
    assert [o.sha256 for o in outcomes] == [
        hashlib.sha256(other.read_bytes()).hexdigest(),
        hashlib.sha256(footage.read_bytes()).hexdigest(),
        hashlib.sha256(footage.read_bytes()).hexdigest(),
    ]
    assert [o.duplicate_content for o in outcomes] == [False, False, True]
    assert tmp_leftovers(vault) == []


def test_a_refused_ingest_records_nothing_and_leaves_no_copy(vault, admin, case, footage, tmp_path):
    before = counts(vault)
    with StagedCopy(footage, vault.settings.tmp_dir).start() as copy, pytest.raises(InvalidInput):
        vault.evidence.ingest_paths(
            admin, [footage, tmp_path / "missing"], IngestRequest(case=CASE, producer=JANE), staged=copy
        )
    assert counts(vault) == before
    assert list(vault.blobs.iter_hashes()) == []
    assert tmp_leftovers(vault) == []


def test_add_stages_a_large_file_and_cleans_up(cli, vault_path, footage, monkeypatch):
    monkeypatch.setattr(staging, "MIN_BYTES", 2**20)
    assert cli("case", "create", CASE, "--title", "Burglary").exit_code == 0
    started: list[StagedCopy] = []
    original = stage_first_file

    def watched(paths, vault_dir):
        copy = original(paths, vault_dir)
        started.append(copy)
        return copy

    monkeypatch.setattr(staging, "stage_first_file", watched)
    added = cli("add", str(footage), "--case", CASE, "--producer", JANE, "--json")
    assert added.exit_code == 0, added.stderr
    assert len(started) == 1 and started[0] is not None
    assert hashlib.sha256(footage.read_bytes()).hexdigest() in added.stdout
    assert sorted(p.name for p in (vault_path / "tmp").glob("ingest-*")) == []
    assert cli("verify").exit_code == 0


def test_what_recording_needs_is_loaded_before_the_unit_of_work(vault, admin, case, tmp_path):
    """The processors (planned in the same transaction) are loaded by ingest_paths before it
    records anything, so that the first ingest of a process does not import inside it."""
    assert "registry" not in vault.processing.__dict__
    seen = []
    original = vault.write

    def write(unit):
        seen.append("registry" in vault.processing.__dict__)
        return original(unit)

    vault.write = write
    path = tmp_path / "statement.txt"
    path.write_bytes(b"I was walking home when")
    vault.evidence.ingest_paths(admin, [path], IngestRequest(case=CASE, producer=JANE))
    assert seen == [True]
