"""Completing a tus upload without copying it: the SHA-256 follows the pieces as they arrive,
and the finished partial file is linked into the blob store. When this process did not see
every piece (a restart, another worker), the file is read again instead."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import stat
from pathlib import Path

import pytest

from exhibits.uploads.partial import RunningHashes
from exhibits.uploads.service import UploadService
from tests.web.test_tus import create, exhibit_count, part_files, patch, tus


@pytest.fixture
def case(vault, people):
    return vault.evidence.create_case(people.officer, "42/7778/26", "Burglary at the Old Mill")


@pytest.fixture
def officer(people, token_of):
    return token_of(people.officer)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def send(client, auth, upload_id: str, data: bytes, start: int, end: int, **extra: str) -> None:
    response = patch(client, auth, upload_id, start, data[start:end], **extra)
    assert response.status_code == 204, response.text


def restart(vault) -> None:
    """What a server restart does to uploads: the running hashes kept in memory are gone."""
    vault.__dict__["uploads"] = UploadService(vault)


def test_a_completed_upload_is_the_partial_file_moved_into_the_store(vault, client, officer, case):
    data = os.urandom(300_000)
    upload_id = create(client, officer, case, len(data), sha256=sha256(data))
    send(client, officer, upload_id, data, 0, 100_000)
    part = vault.uploads.part_path(upload_id)
    inode = part.stat().st_ino
    send(client, officer, upload_id, data, 100_000, len(data))
    stored = vault.blobs.local_path(sha256(data))
    assert stored is not None and os.stat(stored).st_ino == inode  # linked, not copied
    assert Path(stored).read_bytes() == data
    assert vault.blobs.rehash(sha256(data)) == sha256(data)
    assert stat.S_IMODE(os.stat(stored).st_mode) == 0o444
    assert os.stat(stored).st_nlink == 1 and part_files(vault) == []
    assert vault.uploads.status(vault.users.principal_for("1234", via="cli"), upload_id).sha256 == sha256(
        data
    )


def test_an_upload_whose_server_restarted_between_pieces_completes_with_the_right_hash(
    vault, client, officer, case
):
    data = os.urandom(250_000)
    upload_id = create(client, officer, case, len(data))
    send(client, officer, upload_id, data, 0, 80_000)
    restart(vault)
    send(client, officer, upload_id, data, 80_000, 160_000)
    send(client, officer, upload_id, data, 160_000, len(data))
    head = client.head(f"/api/v1/uploads/{upload_id}", headers={**officer, **tus()})
    assert head.headers["exhibits-sha256"] == sha256(data)
    assert vault.blobs.rehash(sha256(data)) == sha256(data)
    assert Path(vault.blobs.local_path(sha256(data))).read_bytes() == data


def test_a_restart_does_not_let_a_wrong_declared_hash_through(vault, client, officer, case):
    data = os.urandom(50_000)
    upload_id = create(client, officer, case, len(data), sha256="1" * 64)
    send(client, officer, upload_id, data, 0, 20_000)
    restart(vault)
    response = patch(client, officer, upload_id, 20_000, data[20_000:])
    assert response.status_code == 422 and "SHA-256" in response.json()["detail"]
    assert exhibit_count(vault) == 0 and list(vault.blobs.iter_hashes()) == []
    assert part_files(vault) == []


def test_a_discarded_piece_leaves_the_running_hash_as_it_was(vault, client, officer, case):
    data = os.urandom(120_000)
    upload_id = create(client, officer, case, len(data))
    send(client, officer, upload_id, data, 0, 60_000)
    wrong = base64.b64encode(hashlib.sha256(b"not these bytes").digest()).decode()
    response = patch(
        client, officer, upload_id, 60_000, data[60_000:], **{"Upload-Checksum": f"sha256 {wrong}"}
    )
    assert response.status_code == 460
    key = str(vault.uploads.part_path(upload_id))
    assert vault.uploads.hashes.digest(key, 60_000) == sha256(data[:60_000])
    vault.uploads.hashes.keep(key, _prefix(data[:60_000]))
    send(client, officer, upload_id, data, 60_000, len(data))
    assert vault.blobs.rehash(sha256(data)) == sha256(data)


def test_a_completion_cut_short_is_finished_by_an_empty_patch(vault, client, officer, case):
    """A restart after the last byte but before the exhibit was recorded: the client's empty
    PATCH at the end completes it, even though the file may already be read-only."""
    data = os.urandom(10_000)
    upload_id = create(client, officer, case, len(data))
    part = vault.uploads.part_path(upload_id)
    part.write_bytes(data)  # as if the last piece had been written, then the server died
    part.chmod(0o444)
    restart(vault)
    response = patch(client, officer, upload_id, len(data), b"")
    assert response.status_code == 204, response.text
    assert response.headers["exhibits-sha256"] == sha256(data)
    assert exhibit_count(vault) == 1 and part_files(vault) == []


def test_a_completion_while_another_request_holds_the_upload_is_refused_and_records_nothing(
    vault, client, officer, case
):
    data = os.urandom(10_000)
    upload_id = create(client, officer, case, len(data))
    part = vault.uploads.part_path(upload_id)
    part.write_bytes(data)  # every byte in, the completion not yet done
    with part.open("rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # another request is completing it
        response = patch(client, officer, upload_id, len(data), b"")
    assert response.status_code == 409, response.text
    assert exhibit_count(vault) == 0
    response = patch(client, officer, upload_id, len(data), b"")
    assert response.status_code == 204, response.text
    assert exhibit_count(vault) == 1


def test_two_requests_that_both_found_every_byte_in_record_one_exhibit(vault, client, officer, case):
    """The second of two racing completions (each read the upload as still receiving) finds
    it complete once it gets the lock, and records nothing more."""
    data = os.urandom(10_000)
    upload_id = create(client, officer, case, len(data))
    part = vault.uploads.part_path(upload_id)
    part.write_bytes(data)
    principal = vault.users.principal_for("1234", via="cli")
    stale = vault.uploads._own(principal, upload_id)  # what the slower request read
    first = vault.uploads._complete(principal, vault.uploads._own(principal, upload_id))
    second = vault.uploads._complete(principal, stale)
    assert first.sha256 == second.sha256 == sha256(data)
    assert exhibit_count(vault) == 1 and part_files(vault) == []


def test_adopt_reads_the_file_when_its_hash_is_unknown_and_refuses_empty_files(vault, tmp_path):
    from exhibits.errors import InvalidInput, TooLarge

    source = vault.settings.tmp_dir / "adopt-me"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(b"evidence bytes")
    with pytest.raises(TooLarge):
        vault.blobs.adopt(source, limit=4)
    result = vault.blobs.adopt(source, limit=1000)
    assert result.sha256 == sha256(b"evidence bytes") and result.size == 14 and result.created
    assert result.head == b"evidence bytes"
    empty = vault.settings.tmp_dir / "empty"
    empty.write_bytes(b"")
    with pytest.raises(InvalidInput):
        vault.blobs.adopt(empty, limit=1000)


def _prefix(data: bytes):
    from exhibits.uploads.partial import Prefix

    prefix = Prefix()
    prefix.update(data)
    return prefix


def test_running_hashes_answer_only_for_the_exact_offset():
    hashes = RunningHashes(capacity=2)
    hashes.keep("a", _prefix(b"abc"))
    assert hashes.take("a", 2) is None  # a gap: unknown here, and forgotten
    assert hashes.digest("a", 3) is None
    hashes.keep("a", _prefix(b"abc"))
    hashes.keep("b", _prefix(b"x"))
    hashes.keep("c", _prefix(b"y"))  # over capacity: the oldest goes
    assert hashes.digest("a", 3) is None and hashes.digest("c", 1) == sha256(b"y")
    taken = hashes.take("b", 1)
    assert taken is not None and taken.hasher.hexdigest() == sha256(b"x")
    assert hashes.take("new", 0) is not None
