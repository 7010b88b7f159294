"""Custody use-cases: trails, checkpoints, proofs and key rotation."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import false, select
from sqlalchemy.orm import Session

from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.config import update_config
from exhibits.custody.events import EventClass
from exhibits.custody.keys import generate_key_file, load_signer
from exhibits.custody.models import CustodyEventRow
from exhibits.custody.note import Checkpoint, Verifier
from exhibits.custody.verify import KEY_ROTATE
from exhibits.db.writer import WriteContext
from exhibits.errors import InvalidInput
from exhibits.evidence.models import Exhibit, Media

if TYPE_CHECKING:
    from exhibits.vault import Vault

CONTENT_ACTIONS = "content."  # events about content as such, shared by every exhibit holding it


@dataclass(frozen=True)
class EventView:
    seq: int
    leaf: dict[str, Any]
    leaf_hash: str

    @property
    def at(self) -> str:
        return self.leaf["at"]

    @property
    def action(self) -> str:
        return self.leaf["action"]

    @property
    def actor_name(self) -> str:
        actor = self.leaf.get("actor")
        if not actor:
            return "system"
        text = f"{actor['name']} ({actor['collar']})"
        asserted = self.leaf.get("asserted_by")
        if asserted:
            text += f" as asserted by {asserted['name']} ({asserted['collar']})"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "leaf_hash": self.leaf_hash, **self.leaf}

    @classmethod
    def of(cls, row: CustodyEventRow) -> EventView:
        return cls(row.seq, orjson.loads(row.leaf), row.leaf_hash.hex())


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


class CustodyService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    # --- trails --------------------------------------------------------------------------

    def exhibit_trail(self, principal: Principal, case_key: str, ref: str) -> tuple[str, list[EventView]]:
        """Every event about one exhibit and the content and media behind it."""
        with self.vault.reading() as session:
            case = self.vault.evidence.find_case(session, principal, case_key)
            exhibit = self.vault.evidence.find_exhibit(session, principal, case, ref)
            principal.require(Permission.CUSTODY_READ, session, case.id)
            sha256 = session.scalar(select(Media.sha256).where(Media.id == exhibit.media_id))
            events = self._events_for_exhibit(session, exhibit.id, exhibit.media_id, sha256)
            case_id, exhibit_id, exhibit_ref = case.id, exhibit.id, exhibit.ref
        self.vault.consulted(principal, "custody.view", case_id=case_id, exhibit_id=exhibit_id)
        return exhibit_ref, events

    @staticmethod
    def _events_for_exhibit(
        session: Session, exhibit_id: str, media_id: str, sha256: str | None = None
    ) -> list[EventView]:
        # The media's own continuity (ingest before any case, attach) belongs to the trail,
        # but not other cases' reads of the same media. So does what was done to the content
        # itself (``content.*``: derivations by processing), recorded once for all its holders
        # with no case, exhibit or media, so that nothing of another case shows through.
        content = (
            (CustodyEventRow.sha256 == sha256)
            & CustodyEventRow.action.startswith(CONTENT_ACTIONS)
            & CustodyEventRow.case_id.is_(None)
            & CustodyEventRow.exhibit_id.is_(None)
            & CustodyEventRow.media_id.is_(None)
            & (CustodyEventRow.event_class == str(EventClass.CONTINUITY))
        )
        rows = session.scalars(
            select(CustodyEventRow)
            .where(
                (CustodyEventRow.exhibit_id == exhibit_id)
                | (
                    (CustodyEventRow.media_id == media_id)
                    & CustodyEventRow.exhibit_id.is_(None)
                    & (CustodyEventRow.event_class == str(EventClass.CONTINUITY))
                )
                | (content if sha256 else false())
            )
            .order_by(CustodyEventRow.seq)
        )
        return [EventView.of(r) for r in rows]

    def case_trail(
        self, principal: Principal, case_key: str, *, continuity_only: bool = True
    ) -> list[EventView]:
        with self.vault.reading() as session:
            case = self.vault.evidence.find_case(session, principal, case_key)
            principal.require(Permission.CUSTODY_READ, session, case.id)
            held = (
                select(Media.sha256)
                .join(Exhibit, Exhibit.media_id == Media.id)
                .where(Exhibit.case_id == case.id)
            )
            query = select(CustodyEventRow).where(
                (CustodyEventRow.case_id == case.id)
                | (
                    CustodyEventRow.sha256.in_(held)
                    & CustodyEventRow.action.startswith(CONTENT_ACTIONS)
                    & CustodyEventRow.case_id.is_(None)
                    & CustodyEventRow.exhibit_id.is_(None)
                    & CustodyEventRow.media_id.is_(None)
                )
            )
            if continuity_only:
                query = query.where(CustodyEventRow.event_class == str(EventClass.CONTINUITY))
            hidden = principal.hidden_exhibits(session, case.id)
            events = [
                EventView.of(r)
                for r in session.scalars(query.order_by(CustodyEventRow.seq))
                if r.exhibit_id not in hidden
            ]
            case_id = case.id
        self.vault.consulted(principal, "custody.view", case_id=case_id)
        return events

    # --- checkpoints and proofs ----------------------------------------------------------

    def checkpoint(self, principal: Principal, out: Path | None = None) -> str:
        """Sign and keep a checkpoint now; optionally write it (with the key) to a file."""
        principal.require(Permission.VAULT_ADMIN)

        def work(ctx: WriteContext) -> None:
            ctx.flags["checkpoint"] = True
            self.vault.record(ctx, principal, "log.checkpoint", EventClass.ADMINISTRATION)

        self.vault.write(work)
        with self.vault.reading() as session:
            note = self.vault.log.head(session).note
        if out is not None:
            out.write_text(note)
        return note

    def verifier_keys(self) -> list[Verifier]:
        with self.vault.reading() as session:
            return [Verifier.from_vkey(k.vkey) for k in self.vault.log.keys(session)]

    def inclusion(self, seq: int, size: int | None = None) -> dict[str, Any]:
        with self.vault.reading() as session:
            head = self.vault.log.head(session)
            size = size or head.size
            proof = self.vault.log.inclusion_proof(session, seq, size)
            row = self.vault.log.event(session, seq)
            return {
                "seq": seq,
                "tree_size": size,
                "leaf_hash": _b64(row.leaf_hash),
                "leaf": row.leaf.decode(),
                "proof": [_b64(p) for p in proof],
                "root": _b64(self.vault.log.root_at(session, size)),
                "checkpoint": head.note if size == head.size else None,
            }

    def consistency(self, old_size: int, new_size: int | None = None) -> dict[str, Any]:
        with self.vault.reading() as session:
            head = self.vault.log.head(session)
            new_size = new_size or head.size
            proof = self.vault.log.consistency_proof(session, old_size, new_size)
            return {
                "old_size": old_size,
                "new_size": new_size,
                "old_root": _b64(self.vault.log.root_at(session, old_size)),
                "new_root": _b64(self.vault.log.root_at(session, new_size)),
                "proof": [_b64(p) for p in proof],
                "checkpoint": head.note if new_size == head.size else None,
            }

    # --- key rotation --------------------------------------------------------------------

    def rotate_key(self, principal: Principal, new_key_file: Path) -> Verifier:
        """Start signing with a new key. The switch is an event countersigned by the old key."""
        principal.require(Permission.VAULT_ADMIN)
        if new_key_file.exists():
            raise InvalidInput(f"{new_key_file} exists: give a path for a new key")
        if _inside(new_key_file, self.vault.settings.vault):
            raise InvalidInput("the signing key must be kept outside the vault")
        generate_key_file(new_key_file)
        new_signer = load_signer(self.vault.settings.log_origin, key_file=new_key_file)
        old_vkey = self.vault.signer.verifier.vkey()

        def work(ctx: WriteContext) -> None:
            ctx.flags["checkpoint"] = True
            ctx.flags["cosigners"] = (new_signer,)
            size = self.vault.log.head(ctx.session).size
            self.vault.log.register_key(ctx.session, new_signer.verifier, size + 1, self.vault.now())
            self.vault.record(
                ctx,
                principal,
                KEY_ROTATE,
                EventClass.ADMINISTRATION,
                details={"vkey": new_signer.verifier.vkey(), "previous": old_vkey},
            )

        self.vault.write(work)
        self.vault._signer = new_signer
        update_config(self.vault.settings.vault, signing_key_file=str(new_key_file))
        self.vault.settings.signing_key_file = new_key_file
        return new_signer.verifier


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def checkpoint_summary(note: str) -> Checkpoint:
    return Checkpoint.unverified(note)
