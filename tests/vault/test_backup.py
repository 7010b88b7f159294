"""Backups restore to a vault that verifies, with the same evidence and history."""

from __future__ import annotations

import os

import pytest

from exhibits.errors import InvalidInput
from exhibits.evidence.service import IngestRequest
from exhibits.vault import Vault
from exhibits.vault.backup import backup, restore
from exhibits.vault.verify import verify_vault


@pytest.mark.sqlite_only
def test_backup_and_restore(vault, admin, tmp_path):
    vault.evidence.create_case(admin, "42/7/26", "Backed up")
    files = [tmp_path / f"{i}.bin" for i in range(3)]
    for path in files:
        path.write_bytes(os.urandom(10_000))
    vault.evidence.ingest_paths(admin, files, IngestRequest(case="42/7/26", producer="PC 1 Jo Bloggs"))
    manifest = backup(vault, admin, tmp_path / "backup")
    assert manifest["blobs"] == 3
    with pytest.raises(InvalidInput):
        backup(vault, admin, tmp_path / "backup")  # never into a used directory
    restore(tmp_path / "backup", tmp_path / "restored")
    with Vault.open(tmp_path / "restored") as copy:
        assert verify_vault(copy, admin).ok
        _, exhibits = copy.evidence.list_exhibits(admin, "42/7/26")
        assert [e.ref for e in exhibits] == ["JP/1", "JP/2", "JP/3"] or len(exhibits) == 3
        head = copy.custody.checkpoint(admin)
    assert (tmp_path / "backup" / "checkpoint.txt").read_text().split("\n")[0] == head.split("\n")[0]


def test_backup_needs_an_administrator(vault, people, tmp_path):
    from exhibits.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        backup(vault, people.officer, tmp_path / "b")
