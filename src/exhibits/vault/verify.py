"""``exhibits verify``: every stored byte and every logged event, checked against what was signed."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select

from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.custody.models import CustodyEventRow
from exhibits.custody.note import NoteError, Verifier
from exhibits.custody.verify import LogReport, OutsideCheckpoint, verify_log
from exhibits.errors import NotFound
from exhibits.evidence.models import Blob

if TYPE_CHECKING:
    from exhibits.vault import Vault

DISPOSE_ACTION = "content.dispose"


@dataclass
class VerifyReport:
    log: LogReport
    blobs_checked: int = 0
    bytes_checked: int = 0
    disposed: list[str] = field(default_factory=list)
    orphans: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.log.ok and not self.problems

    def problem(self, message: str) -> None:
        self.problems.append(message)

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "events": self.log.size,
            "root": self.log.root.hex(),
            "checkpoints_checked": self.log.checkpoints_checked,
            "blobs_checked": self.blobs_checked,
            "bytes_checked": self.bytes_checked,
            "disposed": self.disposed,
            "unreferenced_blobs": self.orphans,
            "problems": self.log.problems + self.problems,
            "notes": self.log.notes,
        }


def verify_vault(
    vault: Vault,
    principal: Principal,
    *,
    outside: list[OutsideCheckpoint] = (),  # type: ignore[assignment]
    progress: Callable[[int], None] | None = None,
    workers: int = 2,
    check_blobs: bool = True,
) -> VerifyReport:
    principal.require(Permission.VAULT_VERIFY)
    try:
        genesis = Verifier.from_vkey(vault.settings.log_key) if vault.settings.log_key else None
    except NoteError:
        genesis = None
    # Plugins name the actions whose leaves their checks read: the log pass collects them,
    # so that no check has to scan the events table again.
    wanted = {action for actions in vault.plugins.hook.exhibits_verify_actions() for action in actions}
    with vault.reading() as session:
        report = VerifyReport(verify_log(session, genesis, list(outside), wanted))
        blobs = list(session.execute(select(Blob.sha256, Blob.size, Blob.disposal_seq, Blob.disposed_at)))
        for sha256, _, seq, disposed_at in blobs:
            if disposed_at is not None:
                _check_disposal(session, report, sha256, seq)
    if check_blobs:
        _check_blobs(vault, report, [(s, n) for s, n, _, d in blobs if d is None], progress, workers)
    vault.plugins.hook.exhibits_verify(vault=vault, report=report)
    return report


def _check_disposal(session, report: VerifyReport, sha256: str, seq: int | None) -> None:
    event = session.get(CustodyEventRow, seq) if seq is not None else None
    if event is None or event.action != DISPOSE_ACTION or event.sha256 != sha256:
        report.problem(f"content {sha256} is marked disposed but no disposal is recorded for it")
    else:
        report.disposed.append(sha256)


def _check_blobs(
    vault: Vault,
    report: VerifyReport,
    blobs: list[tuple[str, int]],
    progress: Callable[[int], None] | None,
    workers: int,
) -> None:
    def check(item: tuple[str, int]) -> tuple[str, int, str | None]:
        sha256, size = item
        try:
            actual = vault.blobs.rehash(sha256, progress)
        except NotFound:
            return sha256, 0, f"content {sha256} is missing from storage"
        except OSError as exc:
            return sha256, 0, f"content {sha256} cannot be read: {exc.strerror or exc}"
        if actual != sha256:
            return sha256, size, f"content {sha256} has been altered (it now hashes to {actual})"
        return sha256, size, None

    known = {sha for sha, _ in blobs}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for _, size, problem in pool.map(check, sorted(blobs, key=lambda b: -b[1])):
            report.blobs_checked += 1
            report.bytes_checked += size
            if problem:
                report.problem(problem)
    report.orphans = sum(1 for sha in vault.blobs.iter_hashes() if sha not in known)
