"""Need-to-know inside a case: who is assigned, who is kept out, and who may see sensitive exhibits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from exhibits.access.models import CaseAssignment, CaseExclusion, ExhibitAccess, User
from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.clock import iso_utc
from exhibits.custody.events import EventClass
from exhibits.db.writer import WriteContext
from exhibits.errors import Conflict, InvalidInput, NotFound
from exhibits.evidence import domain
from exhibits.evidence.models import Exhibit
from exhibits.ids import new_id

if TYPE_CHECKING:
    from exhibits.vault import Vault


@dataclass(frozen=True)
class PersonRef:
    collar: str
    name: str

    def as_dict(self) -> dict[str, str]:
        return {"collar": self.collar, "name": self.name}


@dataclass(frozen=True)
class AssignmentView:
    id: str
    person: PersonRef
    role: str
    granted_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.person.as_dict(),
            "role": self.role,
            "granted_at": iso_utc(self.granted_at),
        }


@dataclass(frozen=True)
class ExclusionView:
    id: str
    person: PersonRef
    reason: str
    excluded_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.person.as_dict(),
            "reason": self.reason,
            "excluded_at": iso_utc(self.excluded_at),
        }


class NeedToKnowService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    # --- assignments ---------------------------------------------------------------------

    def assignments(self, principal: Principal, case_id: str) -> list[AssignmentView]:
        with self.vault.reading() as session:
            principal.require(Permission.CASE_READ, session, case_id)
            rows = session.execute(
                select(CaseAssignment, User)
                .join(User, User.id == CaseAssignment.user_id)
                .where(CaseAssignment.case_id == case_id, CaseAssignment.revoked_at.is_(None))
                .order_by(CaseAssignment.granted_at, CaseAssignment.id)
            )
            views = [AssignmentView(a.id, PersonRef(u.collar, u.name), a.role, a.granted_at) for a, u in rows]
        self.vault.consulted(principal, "case.assignments", case_id=case_id, details={"count": len(views)})
        return views

    def unassign(self, principal: Principal, case_id: str, assignment_id: str) -> None:
        with self.vault.reading() as session:
            principal.require(Permission.CASE_ASSIGN, session, case_id)

        def work(ctx: WriteContext) -> None:
            row = ctx.session.get(CaseAssignment, assignment_id)
            if row is None or row.case_id != case_id or row.revoked_at is not None:
                raise NotFound("no such assignment on this case")
            if row.user_id == principal.user_id and row.role == "officer_in_charge":
                others = ctx.session.scalar(
                    select(CaseAssignment.id).where(
                        CaseAssignment.case_id == case_id,
                        CaseAssignment.role == "officer_in_charge",
                        CaseAssignment.revoked_at.is_(None),
                        CaseAssignment.id != row.id,
                    )
                )
                if others is None:
                    raise Conflict("a case needs an officer in charge: assign another one first")
            row.revoked_at = self.vault.now()
            self.vault.record(
                ctx,
                principal,
                "case.unassign",
                EventClass.ADMINISTRATION,
                case_id=case_id,
                details={"user": row.user_id, "role": row.role, "assignment": row.id},
            )

        self.vault.write(work)
        principal.forget_assignments()

    # --- exclusions ----------------------------------------------------------------------

    def exclusions(self, principal: Principal, case_id: str) -> list[ExclusionView]:
        with self.vault.reading() as session:
            principal.require(Permission.CASE_EXCLUDE, session, case_id)
            rows = session.execute(
                select(CaseExclusion, User)
                .join(User, User.id == CaseExclusion.user_id)
                .where(CaseExclusion.case_id == case_id, CaseExclusion.lifted_at.is_(None))
                .order_by(CaseExclusion.excluded_at)
            )
            views = [
                ExclusionView(x.id, PersonRef(u.collar, u.name), x.reason, x.excluded_at) for x, u in rows
            ]
        self.vault.consulted(principal, "case.exclusions", case_id=case_id, details={"count": len(views)})
        return views

    def exclude(self, principal: Principal, case_id: str, collar: str, reason: str) -> ExclusionView:
        """Keep a person out of a case, whatever their roles and assignments."""
        reason_text = domain.validate_text(reason, "a reason", 2000)
        if not reason_text:
            raise InvalidInput("say why the person is excluded")
        with self.vault.reading() as session:
            principal.require(Permission.CASE_EXCLUDE, session, case_id)
            user = self.vault.users.find(session, collar)
            person = PersonRef(user.collar, user.name)
            user_id = user.id
        if user_id == principal.user_id:
            raise InvalidInput("you cannot exclude yourself from a case")

        def work(ctx: WriteContext) -> ExclusionView:
            existing = ctx.session.scalar(
                select(CaseExclusion).where(
                    CaseExclusion.case_id == case_id,
                    CaseExclusion.user_id == user_id,
                    CaseExclusion.lifted_at.is_(None),
                )
            )
            if existing is not None:
                raise Conflict(f"{person.collar} is already excluded from this case")
            row = CaseExclusion(
                id=new_id(),
                case_id=case_id,
                user_id=user_id,
                reason=reason_text,
                excluded_by=principal.user_id,
                excluded_at=self.vault.now(),
            )
            ctx.session.add(row)
            self.vault.record(
                ctx,
                principal,
                "case.exclude",
                EventClass.ADMINISTRATION,
                case_id=case_id,
                details={"user": user_id, "exclusion": row.id},
                justification=reason_text,
            )
            return ExclusionView(row.id, person, reason_text, row.excluded_at)

        return self.vault.write(work)

    def lift_exclusion(self, principal: Principal, case_id: str, exclusion_id: str) -> None:
        with self.vault.reading() as session:
            principal.require(Permission.CASE_EXCLUDE, session, case_id)

        def work(ctx: WriteContext) -> None:
            row = ctx.session.get(CaseExclusion, exclusion_id)
            if row is None or row.case_id != case_id or row.lifted_at is not None:
                raise NotFound("no such exclusion on this case")
            row.lifted_at = self.vault.now()
            self.vault.record(
                ctx,
                principal,
                "case.exclusion_lifted",
                EventClass.ADMINISTRATION,
                case_id=case_id,
                details={"user": row.user_id, "exclusion": row.id},
            )

        self.vault.write(work)

    # --- restricted exhibits -------------------------------------------------------------

    def _exhibit(self, session, principal: Principal, exhibit_id: str, permission: Permission) -> Exhibit:
        exhibit = session.get(Exhibit, exhibit_id)
        if exhibit is None:
            raise NotFound("no such exhibit, or you may not see it")
        principal.require_exhibit(permission, session, exhibit)
        return exhibit

    def restriction(self, principal: Principal, exhibit_id: str) -> dict[str, Any]:
        with self.vault.reading() as session:
            exhibit = self._exhibit(session, principal, exhibit_id, Permission.EXHIBIT_RESTRICT)
            people = [
                PersonRef(u.collar, u.name).as_dict()
                for u in session.scalars(
                    select(User)
                    .join(ExhibitAccess, ExhibitAccess.user_id == User.id)
                    .where(ExhibitAccess.exhibit_id == exhibit_id, ExhibitAccess.revoked_at.is_(None))
                    .order_by(User.collar)
                )
            ]
            result = {"exhibit_id": exhibit.id, "restricted": exhibit.restricted, "people": people}
            case_id = exhibit.case_id
        self.vault.consulted(principal, "exhibit.restriction.view", case_id=case_id, exhibit_id=exhibit_id)
        return result

    def restrict(
        self, principal: Principal, exhibit_id: str, collars: list[str], reason: str
    ) -> dict[str, Any]:
        """Restrict an exhibit to named people (the person restricting it is always named)."""
        reason_text = domain.validate_text(reason, "a reason", 2000)
        if not reason_text:
            raise InvalidInput("say why the exhibit is restricted (e.g. MG6D sensitive material)")
        with self.vault.reading() as session:
            exhibit = self._exhibit(session, principal, exhibit_id, Permission.EXHIBIT_RESTRICT)
            case_id = exhibit.case_id
            named = {principal.user_id}
            for collar in collars:
                named.add(self.vault.users.find(session, collar).id)

        def work(ctx: WriteContext) -> None:
            row = ctx.session.get(Exhibit, exhibit_id)
            assert row is not None
            current = {
                a.user_id: a
                for a in ctx.session.scalars(
                    select(ExhibitAccess).where(
                        ExhibitAccess.exhibit_id == exhibit_id, ExhibitAccess.revoked_at.is_(None)
                    )
                )
            }
            now = self.vault.now()
            for user_id, access in current.items():
                if user_id not in named:
                    access.revoked_at = now
            for user_id in named - set(current):
                ctx.session.add(
                    ExhibitAccess(
                        id=new_id(), exhibit_id=exhibit_id, user_id=user_id, granted_by=principal.user_id,
                        granted_at=now,
                    )
                )  # fmt: skip
            row.restricted = True
            self.vault.record(
                ctx,
                principal,
                "exhibit.restrict",
                EventClass.ADMINISTRATION,
                case_id=case_id,
                exhibit_id=exhibit_id,
                details={"people": sorted(named)},
                justification=reason_text,
            )

        self.vault.write(work)
        return self.restriction(principal, exhibit_id)

    def unrestrict(self, principal: Principal, exhibit_id: str) -> None:
        with self.vault.reading() as session:
            case_id = self._exhibit(session, principal, exhibit_id, Permission.EXHIBIT_RESTRICT).case_id

        def work(ctx: WriteContext) -> None:
            row = ctx.session.get(Exhibit, exhibit_id)
            assert row is not None
            if not row.restricted:
                return
            row.restricted = False
            now = self.vault.now()
            for access in ctx.session.scalars(
                select(ExhibitAccess).where(
                    ExhibitAccess.exhibit_id == exhibit_id, ExhibitAccess.revoked_at.is_(None)
                )
            ):
                access.revoked_at = now
            self.vault.record(
                ctx,
                principal,
                "exhibit.unrestrict",
                EventClass.ADMINISTRATION,
                case_id=case_id,
                exhibit_id=exhibit_id,
            )

        self.vault.write(work)
