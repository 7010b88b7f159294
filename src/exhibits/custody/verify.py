"""Recompute the whole custody log and compare it with everything that was signed.

One pass over the events, in order: each leaf is re-hashed and compared with its stored
hash and its index columns, the tree is rebuilt (checking stored nodes on the way), and
its root is compared at every checkpointed size. Signatures are checked against the key
history that the log itself carries, starting from the key pinned in the settings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from exhibits.custody import merkle, replay
from exhibits.custody.log import HEAD_ID, TILE_HEIGHT
from exhibits.custody.models import CustodyCheckpoint, CustodyHead, CustodyNode
from exhibits.custody.note import Checkpoint, NoteError, Verifier

KEY_ROTATE = "log.key_rotate"
_NODES = select(CustodyNode.level, CustodyNode.idx, CustodyNode.hash)
MAX_LISTED = 50


@dataclass
class LogReport:
    size: int = 0
    root: bytes = merkle.EMPTY_ROOT
    checkpoints_checked: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    roots: dict[int, bytes] = field(default_factory=dict)
    frontier: bytes = b""
    # The leaves of each action asked for (``wanted``), in log order, as (seq, leaf): read in
    # the same pass as everything else, for plugins' own checks (``exhibits_verify``).
    leaves: dict[str, list[tuple[int, bytes]]] = field(default_factory=dict)

    def problem(self, message: str) -> None:
        if len(self.problems) < MAX_LISTED:
            self.problems.append(message)
        elif len(self.problems) == MAX_LISTED:
            self.problems.append("... more problems not listed")

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class OutsideCheckpoint:
    """A checkpoint held outside the vault, with the keys its holder trusts."""

    note: str
    trusted: tuple[Verifier, ...]
    label: str


def verify_log(
    session: Session,
    genesis: Verifier | None,
    outside: list[OutsideCheckpoint] = (),  # type: ignore[assignment]
    wanted: Iterable[str] = (),
) -> LogReport:
    """Recompute and check the whole log; the leaves of ``wanted`` actions land in ``leaves``."""
    report = LogReport(leaves={action: [] for action in wanted})
    stored_checkpoints = list(session.scalars(select(CustodyCheckpoint).order_by(CustodyCheckpoint.id)))
    head = session.get(CustodyHead, HEAD_ID)
    if head is None:
        report.problem("the log head is missing")
        return report
    wanted_sizes = {c.size for c in stored_checkpoints} | {head.size}
    outside_parsed = []
    for item in outside:
        try:
            claimed = Checkpoint.unverified(item.note)
        except NoteError as exc:
            report.problem(f"{item.label}: not a checkpoint ({exc})")
            continue
        wanted_sizes.add(claimed.size)
        outside_parsed.append((item, claimed))
    # Plain rows, not ORM objects: a million-event log has thousands of stored nodes.
    nodes = {(level, idx): value for level, idx, value in session.execute(_NODES)}
    rotations = _replay(session, report, nodes, wanted_sizes)
    _check_head(report, head)
    trusted = _key_history(report, genesis, rotations)
    _check_signed(report, stored_checkpoints, head, trusted)
    _check_rotations_cosigned(report, rotations, stored_checkpoints, trusted)
    for item, claimed in outside_parsed:
        _check_outside(report, item, claimed, trusted)
    return report


def _replay(session: Session, report: LogReport, nodes: dict, wanted: set[int]) -> list[tuple[int, Verifier]]:
    url = session.get_bind().url.render_as_string(hide_password=False)
    end = session.execute(text("SELECT coalesce(max(seq) + 1, 0) FROM custody_events")).scalar_one()
    rotations: list[tuple[int, Verifier]] = []
    chunks = replay.scan_all(url, end, wanted=frozenset(report.leaves))
    for chunk in chunks:
        for problem in chunk.problems:
            report.problem(problem)
        for seq, action, leaf in chunk.collected:
            report.leaves[action].append((seq, leaf))
        for seq, vkey in chunk.rotations:
            try:
                rotations.append((seq, Verifier.from_vkey(vkey or "")))
            except NoteError:
                report.problem(f"event {seq}: key rotation names no valid key")
    levels = replay.join_levels(chunks)

    def read(level: int, index: int) -> bytes:
        return levels[level][index * 32 : index * 32 + 32]

    size = len(levels[0]) // 32
    for wanted_size in wanted:
        if wanted_size <= size:
            report.roots[wanted_size] = merkle.root_hash(read, wanted_size)
    _check_nodes(report, nodes, levels)
    report.size = size
    report.root = merkle.root_hash(read, size)
    report.roots[size] = report.root
    report.frontier = b"".join(
        read(level, (size >> level) - 1) for level in reversed(range(size.bit_length())) if size >> level & 1
    )
    return rotations


def _check_nodes(report: LogReport, nodes: dict, levels: list[bytes]) -> None:
    """Stored subtree hashes (level >= TILE_HEIGHT) must be exactly the tree's complete nodes.

    ``levels`` holds each level's nodes as one string of 32-byte hashes.
    """
    for (level, index), value in nodes.items():
        if level >= len(levels) or index >= len(levels[level]) // 32:
            report.problem(f"tree node at level {level}, index {index} belongs to no events")
        elif levels[level][index * 32 : index * 32 + 32] != value:
            report.problem(f"tree node at level {level}, index {index} is wrong")
    for level in range(TILE_HEIGHT, len(levels)):
        for index in range(len(levels[level]) // 32):
            if (level, index) not in nodes:
                report.problem(f"tree node at level {level}, index {index} is missing")


def _check_head(report: LogReport, head: CustodyHead) -> None:
    if head.size != report.size:
        report.problem(
            f"the signed head covers {head.size} events but the log holds {report.size}"
            + (
                ": events were cut from the end"
                if head.size > report.size
                else ": unsigned events were added"
            )
        )
    elif head.root != report.root:
        report.problem("the recomputed root differs from the signed head")
    elif head.frontier != report.frontier:
        report.problem("the log head's frontier differs from the recomputed tree")


def _key_history(
    report: LogReport, genesis: Verifier | None, rotations: list[tuple[int, Verifier]]
) -> list[tuple[int, Verifier]]:
    """(first tree size it may sign, key); the genesis key signs from size 0."""
    if genesis is None:
        report.problem("no log key is pinned in the settings (log_key): signatures cannot be trusted")
        return [(0, v) for _, v in rotations]
    return [(0, genesis), *((seq + 1, key) for seq, key in rotations)]


def _verifiers_for(trusted: list[tuple[int, Verifier]], size: int) -> list[Verifier]:
    return [key for start, key in trusted if size >= start]


def _open(report: LogReport, note: str, keys: list[Verifier], label: str) -> Checkpoint | None:
    try:
        checkpoint, _ = Checkpoint.open(note, keys)
    except NoteError as exc:
        report.problem(f"{label}: {exc}")
        return None
    report.checkpoints_checked += 1
    return checkpoint


def _check_signed(
    report: LogReport,
    stored: list[CustodyCheckpoint],
    head: CustodyHead,
    trusted: list[tuple[int, Verifier]],
) -> None:
    for row in [*stored, head]:
        label = "the log head" if row is head else f"checkpoint {row.id} (size {row.size})"
        checkpoint = _open(report, row.note, _verifiers_for(trusted, row.size), label)
        if checkpoint is None:
            continue
        if (checkpoint.size, checkpoint.root) != (row.size, row.root):
            report.problem(f"{label}: its columns differ from its signed note")
        expected = report.roots.get(checkpoint.size)
        if expected is None:
            report.problem(f"{label}: signs {checkpoint.size} events but the log holds {report.size}")
        elif expected != checkpoint.root:
            report.problem(
                f"{label}: the log's history differs from what was signed at size {checkpoint.size}"
            )


def _check_rotations_cosigned(
    report: LogReport,
    rotations: list[tuple[int, Verifier]],
    stored: list[CustodyCheckpoint],
    trusted: list[tuple[int, Verifier]],
) -> None:
    for seq, key in rotations:
        earlier = [k for start, k in trusted if start <= seq]
        cosigned = False
        for row in stored:
            if row.size <= seq:
                continue
            try:
                opened_old = Checkpoint.open(row.note, earlier)[1]
                opened_new = Checkpoint.open(row.note, [key])[1]
            except NoteError:
                continue
            cosigned = bool(opened_old.verified_by and opened_new.verified_by)
            if cosigned:
                break
        if not cosigned:
            report.problem(f"key rotation at event {seq} was never countersigned by the previous key")


def _check_outside(
    report: LogReport,
    item: OutsideCheckpoint,
    claimed: Checkpoint,
    trusted: list[tuple[int, Verifier]],
) -> None:
    keys = list(item.trusted) or _verifiers_for(trusted, claimed.size)
    checkpoint = _open(report, item.note, keys, item.label)
    if checkpoint is None:
        return
    if checkpoint.size > report.size:
        report.problem(
            f"{item.label}: it vouches for {checkpoint.size} events but the log now holds only "
            f"{report.size}: events were removed or an older copy of the database was restored"
        )
        return
    if report.roots.get(checkpoint.size) != checkpoint.root:
        report.problem(
            f"{item.label}: the log's first {checkpoint.size} events differ from what it vouches for"
        )
    else:
        report.notes.append(f"{item.label}: consistent (size {checkpoint.size})")


def count_events(session: Session) -> int:
    return session.execute(text("SELECT count(*) FROM custody_events")).scalar_one()
