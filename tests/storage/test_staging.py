"""Staging: a file hashed and copied to the tmp area ahead of its ingest, given only if unchanged."""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path

import pytest

from exhibits.locations import CONFIG_FILE, TMP_DIR
from exhibits.storage import staging
from exhibits.storage.staging import StagedCopy, stage_first_file


@pytest.fixture
def tmp_area(tmp_path) -> Path:
    area = tmp_path / "tmp"
    area.mkdir()
    return area


@pytest.fixture
def source(tmp_path) -> Path:
    path = tmp_path / "bwv_0413.mp4"
    path.write_bytes(os.urandom(9 * 2**20 + 5))  # several of the pump's chunks
    return path


def leftovers(area: Path) -> list[str]:
    return sorted(p.name for p in area.iterdir())


def test_a_staged_copy_holds_the_file_and_goes_when_closed(source, tmp_area):
    with StagedCopy(source, tmp_area).start() as copy:
        staged = copy.take(source)
        assert staged is not None
        assert staged.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
        assert staged.size == source.stat().st_size
        assert staged.path.parent == tmp_area and staged.path.name.startswith("ingest-")
        assert staged.path.read_bytes() == source.read_bytes()
        assert stat.S_IMODE(staged.path.stat().st_mode) == 0o600
        assert copy.take(source) is None  # given once
    assert leftovers(tmp_area) == []


def test_a_file_changed_after_staging_is_not_given(source, tmp_area):
    with StagedCopy(source, tmp_area).start() as copy:
        copy.wait()
        with source.open("ab") as handle:
            handle.write(b"more")
        assert copy.take(source) is None
    assert leftovers(tmp_area) == []


def test_a_rewrite_of_the_same_size_and_mtime_is_not_given(source, tmp_area):
    """Content rewritten in place, size kept and mtime set back: the ctime still tells."""
    before = source.stat()
    with StagedCopy(source, tmp_area).start() as copy:
        copy.wait()
        with source.open("r+b") as handle:
            handle.write(b"\0" * 16)
        os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert source.stat().st_size == before.st_size and source.stat().st_mtime_ns == before.st_mtime_ns
        assert copy.take(source) is None


def test_a_file_replaced_under_its_name_is_not_given(source, tmp_area, tmp_path):
    with StagedCopy(source, tmp_area).start() as copy:
        copy.wait()
        other = tmp_path / "other"
        other.write_bytes(source.read_bytes())
        os.replace(other, source)  # same bytes, another file
        assert copy.take(source) is None


def test_another_file_is_not_given_the_copy(source, tmp_area, tmp_path):
    other = tmp_path / "other.mp4"
    other.write_bytes(source.read_bytes())
    with StagedCopy(source, tmp_area).start() as copy:
        assert copy.take(other) is None
        assert copy.take(source) is not None


def test_a_file_that_cannot_be_staged_gives_nothing_and_leaves_nothing(tmp_path, tmp_area):
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with StagedCopy(empty, tmp_area).start() as copy:
        assert copy.take(empty) is None
    with StagedCopy(tmp_path / "missing", tmp_area).start() as copy:
        assert copy.take(tmp_path / "missing") is None
    source = tmp_path / "data"
    source.write_bytes(b"x" * 100)
    with StagedCopy(source, tmp_path / "no-such-tmp-area").start() as copy:
        assert copy.take(source) is None
    assert leftovers(tmp_area) == []


def test_closing_early_stops_the_copy_and_removes_it(tmp_path, tmp_area):
    big = tmp_path / "big"
    with big.open("wb") as handle:
        handle.truncate(256 * 2**20)  # sparse: reads fast, but takes many chunks
    copy = StagedCopy(big, tmp_area).start()
    copy.close()
    assert leftovers(tmp_area) == []
    assert copy.take(big) is None


def test_staging_starts_only_for_a_large_file_in_a_vault(tmp_path, source, monkeypatch):
    vault = tmp_path / "vault"
    (vault / TMP_DIR).mkdir(parents=True)
    assert stage_first_file([source], vault) is None  # no settings file: not a vault
    (vault / CONFIG_FILE).write_text("")
    assert stage_first_file([source], vault) is None  # under the size worth staging
    monkeypatch.setattr(staging, "MIN_BYTES", 1024)
    assert stage_first_file([tmp_path], vault) is None  # a directory
    assert stage_first_file([], vault) is None
    with stage_first_file([source, tmp_path], vault) as copy:
        assert copy.take(source) is not None
    assert leftovers(vault / TMP_DIR) == []


def test_the_switch_interval_is_restored_when_the_last_copy_ends(source, tmp_area, tmp_path):
    usual = sys.getswitchinterval()
    other = tmp_path / "other.mp4"
    other.write_bytes(source.read_bytes())
    first = StagedCopy(source, tmp_area).start()
    second = StagedCopy(other, tmp_area).start()
    first.close()
    second.close()
    assert sys.getswitchinterval() == usual
