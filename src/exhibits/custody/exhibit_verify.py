"""Verify one exhibit: its content re-hashed against its SHA-256, and every event of its
custody trail proven to be in the signed log (RFC 9162 inclusion proofs to the head)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.custody import merkle
from exhibits.custody.models import CustodyEventRow
from exhibits.errors import NotFound
from exhibits.evidence.models import Exhibit, Media

if TYPE_CHECKING:
    from exhibits.vault import Vault


@dataclass(frozen=True)
class ExhibitVerification:
    exhibit_id: str
    sha256: str
    content_intact: bool
    events: int
    events_in_log: bool
    checkpoint: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def verify_exhibit(vault: Vault, principal: Principal, exhibit_id: str) -> ExhibitVerification:
    with vault.reading() as session:
        exhibit = session.get(Exhibit, exhibit_id)
        if exhibit is None:
            raise NotFound("no such exhibit, or you may not see it")
        principal.require_exhibit(Permission.CUSTODY_READ, session, exhibit)
        media = session.get(Media, exhibit.media_id)
        assert media is not None
        events = vault.custody._events_for_exhibit(session, exhibit.id, media.id)
        head = vault.log.head(session)
        in_log = True
        for event in events:
            row: CustodyEventRow = vault.log.event(session, event.seq)
            if merkle.leaf_hash(row.leaf) != row.leaf_hash:
                in_log = False
                break
            proof = vault.log.inclusion_proof(session, event.seq, head.size)
            try:
                merkle.verify_inclusion(event.seq, head.size, row.leaf_hash, proof, head.root)
            except merkle.ProofError:
                in_log = False
                break
        sha256, case_id = media.sha256, exhibit.case_id
    intact = vault.blobs.rehash(sha256) == sha256
    vault.consulted(principal, "exhibit.verify", case_id=case_id, exhibit_id=exhibit_id, sha256=sha256,
                    details={"content_intact": intact, "events_in_log": in_log})  # fmt: skip
    return ExhibitVerification(exhibit_id, sha256, intact, len(events), in_log, head.note)
