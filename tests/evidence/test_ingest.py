"""Ingest: content hashed and stored once, recorded with its custody event, or refused cleanly."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from exhibits.custody.models import CustodyEventRow
from exhibits.errors import InvalidInput, NotFound, PermissionDenied, TooLarge
from exhibits.evidence.models import Blob, Exhibit, Media
from exhibits.evidence.service import IngestRequest
from exhibits.vault import Vault

CASE = "42/19283/26"
JANE = "PC 1234 Jane Smith"


@pytest.fixture
def case(vault, admin):
    return vault.evidence.create_case(admin, CASE, "Burglary, 14 High Street", urn="01ZD0300108")


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def counts(vault) -> tuple[int, int, int, int]:
    with vault.reading() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model))
            for model in (Blob, Media, Exhibit, CustodyEventRow)
        )


def stored_files(vault) -> list[Path]:
    return sorted(p for p in vault.settings.vault.rglob("*") if p.is_file())


def test_a_file_becomes_an_exhibit_with_its_hash_and_event(vault, admin, case, tmp_path):
    data = os.urandom(3 * 2**20 + 17)
    [outcome] = vault.evidence.ingest_paths(
        admin, [write(tmp_path / "bwv_0413.mp4", data)], IngestRequest(case=CASE, producer=JANE, source="bwv")
    )
    assert outcome.ref == "JS/1"
    assert outcome.sha256 == hashlib.sha256(data).hexdigest()
    assert outcome.size == len(data)
    blob = vault.blobs.path(outcome.sha256)
    assert blob.read_bytes() == data
    assert not blob.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    ref, events = vault.custody.exhibit_trail(admin, CASE, "JS/1")
    [ingest] = [e for e in events if e.action == "exhibit.ingest"]
    assert ingest.leaf["sha256"] == outcome.sha256
    assert ingest.leaf["details"]["original_name"] == "bwv_0413.mp4"
    assert ingest.leaf["actor"]["collar"] == "ADMIN"


def test_identical_content_is_stored_once(vault, admin, case, tmp_path):
    data = b"the same footage twice"
    first = write(tmp_path / "a.mp4", data)
    second = write(tmp_path / "b.mp4", data)
    outcomes = vault.evidence.ingest_paths(admin, [first, second], IngestRequest(case=CASE, producer=JANE))
    assert [o.ref for o in outcomes] == ["JS/1", "JS/2"]
    assert [o.duplicate_content for o in outcomes] == [False, True]
    blobs, media, exhibits, _ = counts(vault)
    assert (blobs, media, exhibits) == (1, 2, 2)


def test_concurrent_ingests_of_the_same_content_share_one_blob(vault, admin, case, tmp_path):
    data = os.urandom(2**20)
    paths = [write(tmp_path / f"copy{i}.bin", data) for i in range(6)]
    errors = []

    def ingest(path: Path) -> None:
        try:
            vault.evidence.ingest_paths(admin, [path], IngestRequest(case=CASE, producer=JANE))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=ingest, args=(p,)) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    _, exhibits = vault.evidence.list_exhibits(admin, CASE)
    assert sorted(e.ref for e in exhibits) == [f"JS/{i}" for i in range(1, 7)]
    assert {e.sha256 for e in exhibits} == {hashlib.sha256(data).hexdigest()}
    assert counts(vault)[0] == 1
    with vault.reading() as session:
        ingests = session.scalar(
            select(func.count())
            .select_from(CustodyEventRow)
            .where(CustodyEventRow.action == "exhibit.ingest")
        )
    assert ingests == 6


def test_two_processes_ingesting_the_same_content(vault_path, admin, tmp_path):
    with Vault.open(vault_path) as first, Vault.open(vault_path) as second:
        first.evidence.create_case(admin, CASE, "Two officers, one dock")
        data = os.urandom(500_000)
        results = []

        def ingest(vault: Vault, name: str) -> None:
            results.append(
                vault.evidence.ingest_paths(
                    admin, [write(tmp_path / name, data)], IngestRequest(case=CASE, producer=JANE)
                )
            )

        threads = [threading.Thread(target=ingest, args=(v, n)) for v, n in ((first, "x"), (second, "y"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(r[0].ref for r in results) == ["JS/1", "JS/2"]
        assert counts(first)[:3] == (1, 2, 2)


HOSTILE_NAMES = [
    "../../etc/passwd",
    "/etc/shadow",
    "evil\x00name\x1b[31m.mp4",
    "x" * 4000,
    "invoice\u202egnp.exe",
    "Ρ\u0430ypal-\u0440hoto.jpg",
    "\ud83d\ude00 emoji.mp4".encode("utf-16", "surrogatepass").decode("utf-16"),
    "line\nbreak.mp4",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_hostile_names_are_kept_as_text_and_never_used_as_paths(vault, admin, case, name):
    before = set(stored_files(vault))
    outcome = vault.evidence.ingest_stream(
        admin, io.BytesIO(b"content"), name, IngestRequest(case=CASE, producer=JANE)
    )
    _, [exhibit] = vault.evidence.list_exhibits(admin, CASE)
    assert exhibit.original_name == name.replace("\x00", "\\x00")
    created = set(stored_files(vault)) - before
    assert {p.name for p in created} <= {outcome.sha256, "exhibits.db-wal", "exhibits.db-shm"}
    assert all(vault.settings.vault in p.parents for p in created)


def test_undecodable_file_names_are_kept_visibly(vault, admin, case, tmp_path):
    raw = tmp_path / os.fsdecode(b"caf\xe9.jpg")
    raw.write_bytes(b"latin-1 name")
    vault.evidence.ingest_paths(admin, [raw], IngestRequest(case=CASE, producer=JANE))
    _, [exhibit] = vault.evidence.list_exhibits(admin, CASE)
    assert exhibit.original_name == "caf\\xe9.jpg"


def test_bad_files_are_refused_and_change_nothing(vault, admin, case, tmp_path, monkeypatch):
    good = write(tmp_path / "good.jpg", b"fine")
    empty = write(tmp_path / "empty.jpg", b"")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    before = counts(vault), stored_files(vault)
    for paths, message in [
        ([good, empty], "empty.jpg: file is empty"),
        ([good, tmp_path / "missing.jpg"], "missing.jpg: No such file"),
        ([good, fifo], "pipe: not a regular file"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            vault.evidence.ingest_paths(admin, paths, IngestRequest(case=CASE, producer=JANE))
    assert (counts(vault), stored_files(vault)) == before


def test_over_limit_files_are_refused(vault_path, admin, tmp_path, monkeypatch):
    monkeypatch.setenv("EXHIBITS_MAX_INGEST_BYTES", "1000")
    with Vault.open(vault_path) as vault:
        vault.evidence.create_case(admin, CASE, "Limit")
        before = counts(vault)
        with pytest.raises(InvalidInput, match="over the 1,000-byte limit"):
            vault.evidence.ingest_paths(
                admin, [write(tmp_path / "big", b"x" * 1001)], IngestRequest(case=CASE, producer=JANE)
            )
        with pytest.raises(TooLarge):  # a stream whose size is unknown in advance
            vault.evidence.ingest_stream(
                admin, io.BytesIO(b"y" * 5000), "big", IngestRequest(case=CASE, producer=JANE)
            )
        assert counts(vault) == before
        assert not list(vault.settings.tmp_dir.iterdir())


def test_a_declared_hash_that_does_not_match_is_refused(vault, admin, case):
    before = counts(vault), stored_files(vault)
    with pytest.raises(InvalidInput, match="not .* as declared"):
        vault.evidence.ingest_stream(
            admin, io.BytesIO(b"abc"), "x", IngestRequest(case=CASE, producer=JANE), expected_sha256="0" * 64
        )
    assert (counts(vault), stored_files(vault)) == before


@pytest.mark.parametrize("marking", ["SECRET", "top secret", "TOP-SECRET"])
def test_secret_material_is_refused(vault, admin, case, tmp_path, marking):
    before = counts(vault)
    with pytest.raises(InvalidInput, match="must not be stored"):
        vault.evidence.ingest_paths(
            admin,
            [write(tmp_path / "s", b"s")],
            IngestRequest(case=CASE, producer=JANE, classification=marking),
        )
    assert counts(vault) == before


def test_producer_initials_and_clashes(vault, admin, case, tmp_path):
    def add(producer: str) -> str:
        path = write(tmp_path / "f", os.urandom(8))
        return vault.evidence.ingest_paths(admin, [path], IngestRequest(case=CASE, producer=producer))[0].ref

    assert add("PC 1234 Jane Smith") == "JS/1"
    assert add("PC 1234 Jane Smith") == "JS/2"
    assert add("DC 4521 John Adam Smith") == "JAS/1"
    assert add("PS 77 Joe Scott") == "JS2/1"
    assert add("Detective Sergeant 5 Amir Khan") == "AK/1"
    with pytest.raises(InvalidInput, match="first and last name"):
        add("PC 1234")


def test_unassigned_media_is_attached_later_by_hash_prefix(vault, admin, case, tmp_path):
    dock = tmp_path / "dock_export"
    dock.mkdir()
    write(dock / "0001.mp4", b"clip one")
    write(dock / "0002.mp4", b"clip two")
    (dock / "link.mp4").symlink_to("/etc/passwd")
    with pytest.raises(InvalidInput, match="symbolic link skipped"):
        vault.evidence.ingest_paths(admin, [dock], IngestRequest(device_id="BWV-00731", incident_ref="0413"))
    (dock / "link.mp4").unlink()
    outcomes = vault.evidence.ingest_paths(
        admin, [dock], IngestRequest(device_id="BWV-00731", incident_ref="0413")
    )
    assert [o.ref for o in outcomes] == [None, None]
    pending = vault.evidence.list_media(admin)
    assert {m.device_id for m in pending} == {"BWV-00731"}
    assert all(m.review_after is not None for m in pending)
    view = vault.evidence.attach(admin, outcomes[1].sha256[:8], CASE, JANE)
    assert view.ref == "JS/1" and view.sha256 == outcomes[1].sha256
    assert len(vault.evidence.list_media(admin)) == 1
    with pytest.raises(NotFound):
        vault.evidence.attach(admin, "abcdef123", CASE, JANE)


def test_people_without_a_part_in_the_case_cannot_add_or_see(vault, people, case, tmp_path):
    path = write(tmp_path / "f", b"x")
    with pytest.raises(NotFound):
        vault.evidence.ingest_paths(people.officer, [path], IngestRequest(case=CASE, producer=JANE))
    with pytest.raises(NotFound):
        vault.evidence.list_exhibits(people.officer, CASE)
    vault.users.assign(people.admin, CASE, "1234", "viewer")
    viewer = vault.users.principal_for("1234", via="cli")
    assert vault.evidence.list_exhibits(viewer, CASE)[1] == []
    with pytest.raises(PermissionDenied):
        vault.evidence.ingest_paths(viewer, [path], IngestRequest(case=CASE, producer=JANE))
    with pytest.raises(PermissionDenied):
        vault.evidence.create_case(people.auditor, "1/1", "auditors do not open cases")
