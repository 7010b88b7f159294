"""Auditors' questions of the custody log: who saw this exhibit, everything one person did,
and the log of a period exported whole (DPA 2018 s.62)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select

from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.clock import iso_utc
from exhibits.custody.events import EventClass
from exhibits.custody.models import CustodyEventRow
from exhibits.errors import InvalidInput

if TYPE_CHECKING:
    from exhibits.vault import Vault

EXPORT_BATCH = 2000


@dataclass(frozen=True)
class AuditQuery:
    exhibit_id: str | None = None
    case_id: str | None = None
    collar: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    event_class: str | None = None
    action: str | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "exhibit": self.exhibit_id,
            "case": self.case_id,
            "user": self.collar,
            "from": iso_utc(self.since) if self.since else None,
            "to": iso_utc(self.until) if self.until else None,
            "class": self.event_class,
            "action": self.action,
        }


def event_dict(row: CustodyEventRow) -> dict[str, Any]:
    return {"seq": row.seq, "leaf_hash": row.leaf_hash.hex(), **orjson.loads(row.leaf)}


class AuditService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def _select(self, session, query: AuditQuery):
        stmt = select(CustodyEventRow)
        if query.exhibit_id:
            stmt = stmt.where(CustodyEventRow.exhibit_id == query.exhibit_id.lower())
        if query.case_id:
            stmt = stmt.where(CustodyEventRow.case_id == query.case_id.lower())
        if query.collar:
            user = self.vault.users.find(session, query.collar)
            stmt = stmt.where(CustodyEventRow.actor_id == user.id)
        if query.since and query.until and query.since > query.until:
            raise InvalidInput("'from' is after 'to'")
        if query.since:
            stmt = stmt.where(CustodyEventRow.at >= iso_utc(query.since))
        if query.until:
            stmt = stmt.where(CustodyEventRow.at < iso_utc(query.until))
        if query.event_class:
            try:
                stmt = stmt.where(CustodyEventRow.event_class == str(EventClass(query.event_class)))
            except ValueError:
                raise InvalidInput("class is continuity, consultation or administration") from None
        if query.action:
            stmt = stmt.where(CustodyEventRow.action == query.action)
        return stmt

    def search(
        self, principal: Principal, query: AuditQuery, *, after: int = 0, limit: int = 100
    ) -> tuple[list[dict[str, Any]], int | None]:
        """A page of events in log order; returns them and the cursor for the next page."""
        principal.require(Permission.AUDIT_READ)
        with self.vault.reading() as session:
            stmt = self._select(session, query).where(CustodyEventRow.seq > after)
            rows = list(session.scalars(stmt.order_by(CustodyEventRow.seq).limit(limit + 1)))
            more = len(rows) > limit
            events = [event_dict(r) for r in rows[:limit]]
        self.vault.consulted(
            principal,
            "audit.search",
            case_id=query.case_id,
            exhibit_id=query.exhibit_id,
            details={**query.describe(), "count": len(events)},
        )
        return events, (events[-1]["seq"] if more else None)

    def export(self, principal: Principal, query: AuditQuery) -> Iterator[bytes]:
        """Every matching event as JSON lines (the leaf exactly as hashed into the log), then
        the signed checkpoint covering them, so the export can be checked on its own."""
        principal.require(Permission.AUDIT_READ)
        with self.vault.reading() as session:
            self._select(session, query)  # refuse bad filters before logging anything
            head_note = self.vault.log.head(session).note
        self.vault.consulted(principal, "audit.export", details=query.describe())

        def lines() -> Iterator[bytes]:
            after = 0
            while True:
                with self.vault.reading() as session:
                    stmt = self._select(session, query).where(CustodyEventRow.seq > after)
                    rows = list(session.scalars(stmt.order_by(CustodyEventRow.seq).limit(EXPORT_BATCH)))
                    batch = [
                        orjson.dumps({"seq": r.seq, "leaf_hash": r.leaf_hash.hex(), "leaf": r.leaf.decode()})
                        + b"\n"
                        for r in rows
                    ]
                    last = rows[-1].seq if rows else after
                yield from batch
                if len(batch) < EXPORT_BATCH:
                    break
                after = last
            yield orjson.dumps({"checkpoint": head_note}) + b"\n"

        return lines()
