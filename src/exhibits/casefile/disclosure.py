"""The unused material register (CPIA 1996): MG6C, MG6D and the prosecutor's decisions.

Every item is numbered consecutively across all schedules of a case (numbering never
restarts for a continuation schedule). Prosecutor decisions are kept as a history: the
duty of disclosure continues, and a later review may change a decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exhibits.access.permissions import Permission, Role
from exhibits.access.principal import Principal
from exhibits.casefile.derivatives import derivatives_of
from exhibits.casefile.models import CaseRecord, UnusedDecision, UnusedItem
from exhibits.clock import iso_utc, uk_local
from exhibits.custody.events import EventClass
from exhibits.db.writer import WriteContext
from exhibits.errors import Conflict, InvalidInput, NotFound
from exhibits.evidence.domain import Source
from exhibits.evidence.models import Blob, Exhibit, Media
from exhibits.ids import new_id

if TYPE_CHECKING:
    from exhibits.vault import Vault

SCHEDULES = ("MG6C", "MG6D")
DECISIONS = {
    "MG6C": ("D", "CND", "I"),  # disclosable, clearly not disclosable, inspect
    "MG6D": ("D", "CND", "I", "PII"),  # on sensitive items: or a public interest immunity application
}
DECISION_WORDS = {"D": "disclose", "CND": "clearly not disclosable", "I": "inspect", "PII": "PII application"}


@dataclass(frozen=True)
class UnusedView:
    id: str
    case_id: str
    item_no: int
    schedule: str
    description: str
    location: str
    exhibit_id: str | None
    sha256: str | None
    record_id: str | None
    item_date: datetime | None
    edited: bool
    sensitivity_reason: str | None
    presumption: str | None
    decision: str | None
    history: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self, *, for_defence: bool = False) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "history"}
        data["item_date"] = iso_utc(self.item_date) if self.item_date else None
        if for_defence:  # the defence sees the served MG6C, not the prosecutor's reasoning
            data["history"] = []
            data.pop("sensitivity_reason")
        else:
            data["history"] = self.history
        return data


def _view(session: Session, item: UnusedItem) -> UnusedView:
    history = [
        {"decision": d.decision, "reason": d.reason, "by": d.decided_by, "at": iso_utc(d.decided_at)}
        for d in session.scalars(
            select(UnusedDecision)
            .where(UnusedDecision.item_id == item.id)
            .order_by(UnusedDecision.decided_at)
        )
    ]
    return UnusedView(
        item.id,
        item.case_id,
        item.item_no,
        item.schedule,
        item.description,
        item.location,
        item.exhibit_id,
        item.sha256,
        item.record_id,
        item.item_date,
        item.edited,
        item.sensitivity_reason,
        item.presumption,
        item.decision,
        history,
    )


def describe_exhibit(exhibit: Exhibit, media: Media, blob: Blob) -> str:
    """An MG6C-quality description from what Exhibits knows: source, time, duration, who."""
    try:
        source = Source(media.source).label
    except ValueError:
        source = media.source
    parts = [f"{source} ({blob.mime_type})"]
    if exhibit.description:
        parts.append(exhibit.description)
    if media.captured_at:
        parts.append(f"captured {uk_local(media.captured_at)}")
    duration = (media.extra or {}).get("duration_seconds")
    if isinstance(duration, int | float) and duration > 0:
        minutes, seconds = divmod(round(duration), 60)
        parts.append(f"duration {minutes}m {seconds:02d}s")
    if media.captured_by:
        parts.append(f"captured by {media.captured_by}")
    if media.device_id:
        parts.append(f"device {media.device_id}")
    parts.append(f"produced by {exhibit.producer} as {exhibit.ref}")
    return "; ".join(parts)


class DisclosureService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def next_item_no(self, session: Session, case_id: str) -> int:
        # Safe: units of work run one at a time under the write lock.
        return (
            session.scalar(select(func.max(UnusedItem.item_no)).where(UnusedItem.case_id == case_id)) or 0
        ) + 1

    def add_item_in(
        self,
        ctx: WriteContext,
        principal: Principal,
        case_id: str,
        *,
        schedule: str,
        description: str,
        location: str,
        exhibit_id: str | None = None,
        sha256: str | None = None,
        record_id: str | None = None,
        item_date: datetime | None = None,
        edited: bool = False,
        sensitivity_reason: str | None = None,
        presumption: str | None = None,
    ) -> UnusedItem:
        schedule = schedule.strip().upper()
        if schedule not in SCHEDULES:
            raise InvalidInput("an unused item goes on the MG6C (non-sensitive) or MG6D (sensitive)")
        if schedule == "MG6D" and not (sensitivity_reason or "").strip():
            raise InvalidInput("an MG6D item needs the reason it is sensitive")
        if schedule == "MG6C" and sensitivity_reason:
            raise InvalidInput("a sensitivity reason belongs on the MG6D, not the MG6C")
        description = " ".join(description.split())
        if not description or len(description) > 4000:
            raise InvalidInput("an unused item needs a description (at most 4000 characters)")
        session = ctx.session
        if exhibit_id and session.scalar(
            select(UnusedItem.item_no).where(
                UnusedItem.case_id == case_id,
                UnusedItem.exhibit_id == exhibit_id,
                (UnusedItem.sha256 == sha256) if sha256 else UnusedItem.sha256.is_(None),
            )
        ):
            raise Conflict("this material is already on the register")
        item = UnusedItem(
            id=new_id(),
            case_id=case_id,
            item_no=self.next_item_no(session, case_id),
            schedule=schedule,
            description=description,
            location=location[:300],
            exhibit_id=exhibit_id,
            sha256=sha256,
            record_id=record_id,
            item_date=item_date,
            edited=edited,
            sensitivity_reason=sensitivity_reason,
            presumption=presumption,
            decision=None,
            created_by=principal.user_id,
            created_at=self.vault.now(),
        )
        session.add(item)
        session.flush()
        if schedule == "MG6D":  # a nil return is no longer true
            for nil in session.scalars(
                select(CaseRecord).where(
                    CaseRecord.case_id == case_id, CaseRecord.form == "MG6D", CaseRecord.state != "superseded"
                )
            ):
                nil.state = "superseded"
        self.vault.record(
            ctx,
            principal,
            "disclosure.item.add",
            EventClass.CONTINUITY,
            case_id=case_id,
            exhibit_id=exhibit_id,
            sha256=sha256,
            details={"item": item.id, "item_no": item.item_no, "schedule": schedule, "record": record_id},
        )
        return item

    def add_item(self, principal: Principal, case_key: str, **fields: Any) -> UnusedView:
        with self.vault.reading() as session:
            case_id = self._case(session, principal, case_key, Permission.DISCLOSURE_MANAGE).id

        def work(ctx: WriteContext) -> UnusedView:
            return _view(ctx.session, self.add_item_in(ctx, principal, case_id, **fields))

        return self.vault.write(work)

    def add_exhibits(
        self,
        principal: Principal,
        case_key: str,
        refs: list[str],
        *,
        derivatives: list[str] = (),  # type: ignore[assignment]
        schedule: str = "MG6C",
        sensitivity_reason: str | None = None,
        location: str | None = None,
    ) -> list[UnusedView]:
        """Put exhibits (and named derivatives of them) on a schedule in one action, each with
        a description filled in from its metadata."""
        if not refs and not derivatives:
            raise InvalidInput("name at least one exhibit or derivative")
        with self.vault.reading() as session:
            case = self._case(session, principal, case_key, Permission.DISCLOSURE_MANAGE)
            case_id = case.id
            plans: list[dict[str, Any]] = []
            for ref in refs:
                exhibit = self.vault.evidence.find_exhibit(session, principal, case, ref)
                media = session.get(Media, exhibit.media_id)
                blob = session.get(Blob, media.sha256) if media else None
                assert media is not None and blob is not None
                plans.append(
                    {
                        "exhibit_id": exhibit.id,
                        "sha256": None,
                        "description": describe_exhibit(exhibit, media, blob),
                        "item_date": media.captured_at,
                        "location": location
                        or f"Exhibits vault: exhibit {exhibit.ref}, SHA-256 {blob.sha256}",
                    }
                )
            if derivatives:
                case_exhibits = list(session.scalars(select(Exhibit).where(Exhibit.case_id == case.id)))
                known = {
                    d.sha256: d for d in derivatives_of(self.vault, session, [e.id for e in case_exhibits])
                }
                by_id = {e.id: e for e in case_exhibits}
                for sha in derivatives:
                    derivative = known.get(sha.strip().lower())
                    if derivative is None:
                        raise NotFound(f"no derivative {sha} of an exhibit in this case")
                    parent = by_id[derivative.exhibit_id]
                    plans.append(
                        {
                            "exhibit_id": parent.id,
                            "sha256": derivative.sha256,
                            "description": (
                                f"{derivative.kind} of {parent.ref} ({derivative.mime_type}) made by "
                                f"{derivative.tool} {derivative.tool_version}"
                                + (f" for {derivative.purpose}" if derivative.purpose else "")
                            ),
                            "item_date": derivative.created_at,
                            "edited": derivative.kind in ("redacted",),
                            "location": location
                            or f"Exhibits vault: derivative of {parent.ref}, SHA-256 {sha}",
                        }
                    )

        def work(ctx: WriteContext) -> list[UnusedView]:
            return [
                _view(
                    ctx.session,
                    self.add_item_in(
                        ctx,
                        principal,
                        case_id,
                        schedule=schedule,
                        sensitivity_reason=sensitivity_reason,
                        **plan,
                    ),
                )
                for plan in plans
            ]

        return self.vault.write(work)

    def decide(
        self, principal: Principal, case_key: str, item_no: int, decision: str, reason: str | None = None
    ) -> UnusedView:
        """The prosecutor's decision on an item: D, CND or I (or PII on the MG6D)."""
        decision = decision.strip().upper()
        with self.vault.reading() as session:
            case_id = self._case(session, principal, case_key, Permission.DISCLOSURE_DECIDE).id

        def work(ctx: WriteContext) -> UnusedView:
            item = ctx.session.scalar(
                select(UnusedItem).where(UnusedItem.case_id == case_id, UnusedItem.item_no == item_no)
            )
            if item is None:
                raise NotFound(f"no unused item number {item_no}")
            if decision not in DECISIONS[item.schedule]:
                raise InvalidInput(
                    f"on the {item.schedule} a decision is one of {', '.join(DECISIONS[item.schedule])}"
                )
            item.decision = decision
            ctx.session.add(
                UnusedDecision(
                    id=new_id(),
                    item_id=item.id,
                    decision=decision,
                    reason=reason,
                    decided_by=principal.user_id,
                    decided_at=self.vault.now(),
                )
            )
            self.vault.record(
                ctx,
                principal,
                "disclosure.decision",
                EventClass.CONTINUITY,
                case_id=case_id,
                exhibit_id=item.exhibit_id,
                details={
                    "item": item.id,
                    "item_no": item.item_no,
                    "decision": decision,
                    "schedule": item.schedule,
                    "partner_role": "prosecutor" if Role.PROSECUTOR in principal.roles else None,
                },
            )
            ctx.session.flush()
            return _view(ctx.session, item)

        return self.vault.write(work)

    def schedule(self, principal: Principal, case_key: str, schedule: str | None = None) -> list[UnusedView]:
        """The register, or one schedule. The defence sees only the MG6C."""
        with self.vault.reading() as session:
            case_id = self._case(session, principal, case_key, Permission.CASEFILE_READ).id
            items = self.items(session, case_id, schedule)
            if not principal.assignments(session, case_id) and Role.PROSECUTOR not in principal.roles:
                # the defence sees the MG6C, and only when it has been shared with them
                if "MG6C" not in self.vault.casefile.sharing.shared_forms(session, principal, case_id):
                    raise NotFound("no MG6C has been shared with you")
                items = [i for i in items if i.schedule == "MG6C"]
        self.vault.consulted(
            principal,
            "disclosure.schedule.view",
            case_id=case_id,
            details={"schedule": schedule, "count": len(items)},
        )
        return items

    def items(self, session: Session, case_id: str, schedule: str | None = None) -> list[UnusedView]:
        query = select(UnusedItem).where(UnusedItem.case_id == case_id)
        if schedule:
            query = query.where(UnusedItem.schedule == schedule.strip().upper())
        return [_view(session, i) for i in session.scalars(query.order_by(UnusedItem.item_no))]

    def _case(self, session: Session, principal: Principal, key: str, permission: Permission):
        case = self.vault.evidence.find_case(session, principal, key)
        principal.require(permission, session, case.id)
        return case
