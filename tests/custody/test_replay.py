"""The log scan behind `exhibits verify`: chunked across processes, checked in SQL or in Python.

Every path must find the same tree and name the same events, wherever in the log they are.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exhibits.custody import merkle, replay
from exhibits.custody.events import ActorRef, EventClass, EventDraft
from tests.vault.tamper import EVENT_COLUMNS, query, tamper, tamper_event

HEIGHT = 8  # chunks of 256 events, so a test log spans several


@pytest.fixture
def logged(vault, admin):
    """A vault with about 1,100 events: five chunks of 256 and a partial one."""
    case = vault.evidence.create_case(admin, "42/1/26", "Chunked log")
    for batch in range(3):
        vault.write(
            lambda ctx, batch=batch: [
                vault.record(ctx, admin, "exhibit.list", EventClass.CONSULTATION, case_id=case.id,
                             details={"batch": batch, "i": i, "note": 'quote " and \\ and \u00e9'})
                for i in range(370)
            ]
        )  # fmt: skip
    return vault


def _log(vault) -> tuple[str, int]:
    with vault.reading() as session:
        url = session.get_bind().url.render_as_string(hide_password=False)
        return url, vault.log.head(session).size


def _problems(chunks: list[replay.Chunk]) -> list[str]:
    return [problem for chunk in chunks for problem in chunk.problems]


def test_chunks_build_the_same_tree_as_one_pass(logged, vault_path):
    url, size = _log(logged)
    chunks = replay.scan_all(url, size, parallel_from=0, height=HEIGHT)
    assert len(chunks) == -(-size // 256) >= 5
    levels = replay.join_levels(chunks)
    leaves = [bytes(row[0]) for row in query(vault_path, "SELECT leaf_hash FROM custody_events ORDER BY seq")]
    tree = merkle.MemoryTree(leaves)
    assert levels == [b"".join(level) for level in tree.levels]
    assert _problems(chunks) == []
    assert replay.scan(url, 0, size).levels == levels
    python = replay.scan(url, 0, size, fast=False)
    assert python.levels == levels and python.problems == []


@pytest.mark.parametrize("column", sorted(EVENT_COLUMNS))
def test_a_tampered_event_in_any_chunk_is_named(logged, vault_path, column):
    url, size = _log(logged)
    targets = [
        row[0]
        for row in query(
            vault_path, "SELECT seq FROM custody_events WHERE action = 'exhibit.list' ORDER BY seq"
        )
    ]
    targets = [targets[0], targets[len(targets) // 2], targets[-1]]  # first, middle and last chunks
    assert len({seq >> HEIGHT for seq in targets}) == 3
    for seq in targets:
        tamper_event(vault_path, logged.db.dialect, column, seq)
    for chunks in (
        replay.scan_all(url, size, parallel_from=0, height=HEIGHT),
        [replay.scan(url, 0, size, fast=False)],
    ):
        named = {int(p.split(":")[0].removeprefix("event ")) for p in _problems(chunks)}
        assert named == set(targets), _problems(chunks)


def test_a_missing_event_mid_log_is_named_and_the_tree_still_built(logged, vault_path):
    url, size = _log(logged)
    tamper(vault_path, "DELETE FROM custody_events WHERE seq = 300")
    chunks = replay.scan_all(url, size, parallel_from=0, height=HEIGHT)
    assert _problems(chunks) == ["event 300 is missing: the next event is 301"]
    leaves = [bytes(row[0]) for row in query(vault_path, "SELECT leaf_hash FROM custody_events ORDER BY seq")]
    levels = replay.join_levels(chunks)
    assert levels == [b"".join(level) for level in merkle.MemoryTree(leaves).levels]


def test_a_key_rotation_is_found_in_a_later_chunk(logged, admin):
    url, size = _log(logged)
    logged.write(
        lambda ctx: [logged.record(ctx, admin, "log.key_rotate", EventClass.ADMINISTRATION,
                                   details={"vkey": "example+0000000+AAAA"})]
    )  # fmt: skip
    chunks = replay.scan_all(url, size + 1, parallel_from=0, height=HEIGHT)
    assert [r for c in chunks for r in c.rotations] == [(size, "example+0000000+AAAA")]
    assert replay.scan(url, 0, size + 1, fast=False).rotations == [(size, "example+0000000+AAAA")]


def test_wanted_actions_are_collected_in_log_order_by_every_path(logged, admin, vault_path):
    """What plugins ask for comes from the same pass, from every chunk, in seq order; a leaf
    whose columns were changed is still collected (by its signed action), and named."""
    url, size = _log(logged)
    for i in range(3):
        logged.write(
            lambda ctx, i=i: [logged.record(ctx, admin, "test.wanted", EventClass.ADMINISTRATION, details={"i": i})]
        )  # fmt: skip
    logged.write(
        lambda ctx: [logged.record(ctx, admin, "exhibit.list", EventClass.CONSULTATION) for _ in range(300)]
    )  # fmt: skip
    logged.write(
        lambda ctx: [logged.record(ctx, admin, "test.wanted", EventClass.ADMINISTRATION, details={"i": 3})]
    )
    url, size = _log(logged)
    wanted = [
        row[0] for row in query(vault_path, "SELECT seq FROM custody_events WHERE action = 'test.wanted'")
    ]
    assert len(wanted) == 4 and len({seq >> HEIGHT for seq in wanted}) >= 2
    tamper_event(vault_path, logged.db.dialect, "action", wanted[1])  # the column now says case.view
    wanted_set = frozenset({"test.wanted", "not.logged"})
    for chunks in (
        replay.scan_all(url, size, parallel_from=0, height=HEIGHT, wanted=wanted_set),
        [replay.scan(url, 0, size, wanted=wanted_set)],
        [replay.scan(url, 0, size, fast=False, wanted=wanted_set)],
    ):
        collected = [item for chunk in chunks for item in chunk.collected]
        assert [(seq, action) for seq, action, _ in collected] == [(seq, "test.wanted") for seq in wanted]
        assert [orjson.loads(leaf)["details"]["i"] for _, _, leaf in collected] == [0, 1, 2, 3]
        assert _problems(chunks) == [f"event {wanted[1]}: indexed columns differ from the signed leaf"]


@pytest.mark.sqlite_only
def test_an_event_whose_seq_is_not_an_integer_is_missing_on_every_path(logged, vault_path):
    """The SQLite scan skips fetching seq only when the range holds exactly its integer seqs."""
    url, size = _log(logged)
    tamper(vault_path, "UPDATE custody_events SET seq = 300.5 WHERE seq = 300")
    for chunks in (
        replay.scan_all(url, size, parallel_from=0, height=HEIGHT),
        [replay.scan(url, 0, size)],
        [replay.scan(url, 0, size, fast=False)],
    ):
        assert _problems(chunks) == ["event 300 is missing: the next event is 300.5"]


# --- SQLite's in-query check against the Python one, on any leaf ---------------------------

_text = st.text(max_size=12)
_maybe = st.none() | _text
_value = st.none() | st.booleans() | _text | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
_actor = st.none() | st.builds(ActorRef, _text, _text, _text, _text)
_drafts = st.builds(
    EventDraft,
    action=_text,
    event_class=st.sampled_from(EventClass),
    actor=_actor,
    case_id=_maybe,
    exhibit_id=_maybe,
    media_id=_maybe,
    sha256=_maybe,
    details=st.dictionaries(st.text(alphabet="abcdefgh", max_size=4), _value | st.lists(_value, max_size=3)),
)
_COLUMNS = ("at", "event_class", "action", "actor_id", "case_id", "exhibit_id", "media_id", "sha256")
# What an insider might write instead: other text, NULL, a number (any SQLite INTEGER), a blob,
# a string with a NUL.
_forged = (
    st.none()
    | _text
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.binary(max_size=4)
    | _text.map(lambda s: s + "\x00x")
)


def _row(seq: int, draft: EventDraft, at: str) -> dict:
    leaf = draft.encode(at)
    return {
        "seq": seq, "leaf": leaf, "leaf_hash": merkle.leaf_hash(leaf), "at": at,
        "event_class": str(draft.event_class), "action": draft.action,
        "actor_id": draft.actor.id if draft.actor else None, "case_id": draft.case_id,
        "exhibit_id": draft.exhibit_id, "media_id": draft.media_id, "sha256": draft.sha256,
    }  # fmt: skip


def _plain_log(path: Path, rows: list[dict]) -> str:
    """The events table as an insider could rebuild it: same columns, no types or constraints."""
    with sqlite3.connect(path) as connection:
        connection.execute(
            f"CREATE TABLE custody_events (seq INTEGER PRIMARY KEY, leaf, leaf_hash, {', '.join(_COLUMNS)})"
        )
        connection.executemany(
            f"INSERT INTO custody_events VALUES (:seq, :leaf, :leaf_hash, {', '.join(':' + c for c in _COLUMNS)})",
            rows,
        )
    connection.close()
    return f"sqlite:///{path}"


@pytest.mark.sqlite_only
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    drafts=st.lists(_drafts, min_size=1, max_size=8),
    at=_text,
    forgery=st.none() | st.tuples(st.integers(min_value=0), st.sampled_from(_COLUMNS), _forged),
)
def test_sqlite_check_agrees_with_the_python_check(drafts, at, forgery):
    rows = [_row(seq, draft, at) for seq, draft in enumerate(drafts)]
    changed = None
    if forgery is not None:
        index, column, value = forgery
        row = rows[index % len(rows)]
        if value != row[column] or type(value) is not type(row[column]):
            row[column], changed = value, row["seq"]
    with tempfile.TemporaryDirectory() as where:
        url = _plain_log(Path(where) / "log.db", rows)
        fast, python = replay.scan(url, 0, len(rows)), replay.scan(url, 0, len(rows), fast=False)
    expected = [] if changed is None else [f"event {changed}: indexed columns differ from the signed leaf"]
    assert python.problems == expected
    assert fast.problems == expected
    assert fast.levels == python.levels


@pytest.mark.sqlite_only
def test_a_leaf_sqlite_cannot_parse_goes_the_python_way(tmp_path):
    good = _row(0, EventDraft("a", EventClass.CONSULTATION, None), "t")
    bad = {**_row(1, EventDraft("b", EventClass.CONSULTATION, None), "t"), "leaf": b"{not json"}
    bad["leaf_hash"] = merkle.leaf_hash(bad["leaf"])
    url = _plain_log(tmp_path / "log.db", [good, bad])
    chunk = replay.scan(url, 0, 2)
    assert chunk.problems == [
        "event 1: leaf is not a valid event",
        "event 1: indexed columns differ from the signed leaf",
    ]
