"""`exhibits verify` detects any change to stored bytes or to the custody log."""

from __future__ import annotations

import os
import shutil

import pytest

from exhibits.custody.events import EventClass
from exhibits.errors import IntegrityFailure
from exhibits.evidence.service import IngestRequest
from exhibits.vault import Vault
from exhibits.vault.verify import verify_vault

from .tamper import EVENT_COLUMNS, query, tamper, tamper_event

CASE = "42/19283/26"


@pytest.fixture
def filled(vault, admin, tmp_path):
    """A vault with a case, three exhibits and a few hundred events (over a tile of 256)."""
    vault.evidence.create_case(admin, CASE, "Burglary, 14 High Street")
    files = []
    for i in range(3):
        path = tmp_path / f"file{i}.bin"
        path.write_bytes(os.urandom(1000 + i))
        files.append(path)
    vault.evidence.ingest_paths(admin, files, IngestRequest(case=CASE, producer="PC 1234 Jane Smith"))
    case_id = vault.evidence.get_case(admin, CASE).id
    for _ in range(3):  # three batches, each re-signing the head
        vault.write(
            lambda ctx: [
                vault.record(ctx, admin, "exhibit.list", EventClass.CONSULTATION, case_id=case_id)
                for _ in range(100)
            ]
        )
    return vault


def problems(vault, admin, **kwargs) -> list[str]:
    with Vault.open(vault.settings.vault) as fresh:
        report = verify_vault(fresh, admin, **kwargs)
    return report.log.problems + report.problems


def test_untouched_vault_verifies(filled, admin):
    assert problems(filled, admin) == []


@pytest.mark.parametrize("column", sorted(EVENT_COLUMNS))
def test_editing_any_column_of_an_event_is_detected(filled, admin, vault_path, column):
    target = query(vault_path, "SELECT seq FROM custody_events WHERE action = 'exhibit.list' LIMIT 1")[0][0]
    tamper_event(vault_path, filled.db.dialect, column, target)
    found = problems(filled, admin)
    assert found, f"editing {column} went unnoticed"
    assert any(str(target) in p for p in found), found


def test_deleting_an_event_is_detected(filled, admin, vault_path):
    tamper(vault_path, "DELETE FROM custody_events WHERE seq = 10")
    assert any("event 10 is missing" in p for p in problems(filled, admin))


def test_reordering_events_is_detected(filled, admin, vault_path):
    first, second = (r[0] for r in query(vault_path, "SELECT seq FROM custody_events WHERE seq IN (3, 4)"))
    assert query(vault_path, "SELECT count(DISTINCT leaf) FROM custody_events WHERE seq IN (3, 4)")[0][0] == 2
    tamper(
        vault_path,
        "UPDATE custody_events SET seq = -1 WHERE seq = :a",
        "UPDATE custody_events SET seq = :a WHERE seq = :b",
        "UPDATE custody_events SET seq = :b WHERE seq = -1",
        params={"a": first, "b": second},
    )
    assert problems(filled, admin)


def test_inserting_an_event_is_detected(filled, admin, vault_path):
    size = query(vault_path, "SELECT size FROM custody_head")[0][0]
    tamper(
        vault_path,
        "INSERT INTO custody_events (seq, leaf, leaf_hash, at, event_class, action) "
        "SELECT :n, leaf, leaf_hash, at, event_class, action FROM custody_events WHERE seq = 5",
        params={"n": size},
    )
    assert any("unsigned events were added" in p for p in problems(filled, admin))


def test_cutting_the_last_events_is_detected_by_an_outside_checkpoint(filled, admin, vault_path, tmp_path):
    outside = tmp_path / "held-by-the-cps.txt"
    filled.custody.checkpoint(admin, outside)
    size = query(vault_path, "SELECT size FROM custody_head")[0][0]
    old = query(
        vault_path,
        "SELECT size, root, note FROM custody_checkpoints WHERE size < :s - 50 ORDER BY size DESC LIMIT 1",
        {"s": size},
    )[0]
    # A careful insider cuts the tail and rewinds the head and checkpoints consistently.
    tamper(
        vault_path,
        "DELETE FROM custody_events WHERE seq >= :n",
        "DELETE FROM custody_nodes WHERE (idx + 1) * (1 << level) > :n",
        "DELETE FROM custody_checkpoints WHERE size > :n",
        "UPDATE custody_head SET size = :n, root = :r, note = :note",
        params={"n": old[0], "r": old[1], "note": old[2]},
    )
    # The head's frontier is now stale, so even without the outside checkpoint...
    assert problems(filled, admin)
    from exhibits.custody.note import Verifier
    from exhibits.custody.verify import OutsideCheckpoint

    held = OutsideCheckpoint(
        outside.read_text(), (Verifier.from_vkey(filled.settings.log_key),), "checkpoint held by the CPS"
    )
    found = problems(filled, admin, outside=[held])
    assert any("older copy of the database" in p for p in found), found


@pytest.mark.sqlite_only
def test_restoring_an_older_database_is_detected(filled, admin, vault_path, tmp_path):
    filled.close()
    shutil.copy2(vault_path / "exhibits.db", tmp_path / "old.db")
    with Vault.open(vault_path) as vault:
        vault.evidence.list_exhibits(admin, CASE)
        outside = tmp_path / "checkpoint.txt"
        vault.custody.checkpoint(admin, outside)
    for suffix in ("", "-wal", "-shm"):
        (vault_path / f"exhibits.db{suffix}").unlink(missing_ok=True)
    shutil.copy2(tmp_path / "old.db", vault_path / "exhibits.db")
    from exhibits.custody.verify import OutsideCheckpoint

    with Vault.open(vault_path) as vault:
        assert problems(vault, admin) == []  # alone, the old copy is self-consistent
        found = problems(
            vault, admin, outside=[OutsideCheckpoint(outside.read_text(), (), "held checkpoint")]
        )
    assert any("older copy of the database" in p for p in found)


def test_a_changed_byte_in_any_blob_is_detected(filled, admin, vault_path):
    with filled.reading() as session:
        from sqlalchemy import select

        from exhibits.evidence.models import Blob

        shas = list(session.scalars(select(Blob.sha256)))
    path = filled.blobs.path(shas[1])
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[500] ^= 0x01
    path.write_bytes(bytes(data))
    found = problems(filled, admin)
    assert found == [f"content {shas[1]} has been altered (it now hashes to {filled.blobs.rehash(shas[1])})"]
    path.unlink()
    assert problems(filled, admin) == [f"content {shas[1]} is missing from storage"]


def test_resigning_with_another_key_is_detected(filled, admin, vault_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from exhibits.custody.note import Checkpoint, Signer

    size, root = query(vault_path, "SELECT size, root FROM custody_head")[0]
    forged = Checkpoint(filled.settings.log_origin, size, bytes(root)).sign(
        [Signer(filled.settings.log_origin, Ed25519PrivateKey.generate())]
    )
    tamper(vault_path, "UPDATE custody_head SET note = :n", params={"n": forged})
    assert any("the log head" in p and "trusted key" in p for p in problems(filled, admin))


def test_the_application_cannot_change_the_log(filled, vault_path):
    from sqlalchemy import text

    session = filled.db.write_sessions()
    for statement in (
        "UPDATE custody_events SET action = 'x'",
        "DELETE FROM custody_events",
        "DELETE FROM custody_head",
    ):
        with pytest.raises(Exception, match="append-only|permission denied"), session.begin():
            session.execute(text(statement))
    session.close()


def test_appending_without_the_head_is_refused(vault, admin, vault_path):
    tamper(vault_path, "DELETE FROM custody_head")
    with pytest.raises(IntegrityFailure):
        vault.evidence.create_case(admin, "1/2", "x")
