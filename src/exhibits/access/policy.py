"""The access decision, in one place.

Everything that decides whether a person may do something to a case or an exhibit comes
through here: force roles, assignments to the case, exclusions from it, and restrictions
of sensitive exhibits to named people. Partner shares (the case-file capability) add
their grants in ``case_standing``; nothing else needs to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    bindparam,
    exists,
    false,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from exhibits.access.models import CaseAssignment, CaseExclusion, ExhibitAccess
from exhibits.access.permissions import (
    FORCE_WIDE,
    Assignment,
    Permission,
    Role,
    assignment_grants,
    role_grants,
)
from exhibits.hooks import plugin_manager


@dataclass(frozen=True)
class CaseStanding:
    """A person's part in one case: what they were assigned, and whether they are kept out."""

    assignments: frozenset[Assignment]
    excluded: bool = False
    granted: frozenset[Permission] = frozenset()  # held otherwise, e.g. through a partner's share

    @property
    def effective(self) -> frozenset[Assignment]:
        return frozenset() if self.excluded else self.assignments


NO_STANDING = CaseStanding(frozenset())


@cache
def _standing_query() -> CompoundSelect:
    """A person's standing in a case in one statement built once with bound parameters: a row
    per unrevoked assignment (its role, not excluded), then one more row if an exclusion is in
    force (no role, excluded). Building a statement and its cache key cost about as much as
    running it, and each statement is a round trip."""
    case_id, user_id = bindparam("case_id"), bindparam("user_id")
    assigned = select(CaseAssignment.role, false().label("excluded")).where(
        CaseAssignment.case_id == case_id,
        CaseAssignment.user_id == user_id,
        CaseAssignment.revoked_at.is_(None),
    )
    excluded = select(null(), true()).where(
        exists().where(
            CaseExclusion.case_id == case_id,
            CaseExclusion.user_id == user_id,
            CaseExclusion.lifted_at.is_(None),
        )
    )
    return assigned.union_all(excluded)


def case_standing(
    session: Session, user_id: str, case_id: str, roles: frozenset[Role] = frozenset()
) -> CaseStanding:
    assignments: set[Assignment] = set()
    excluded = False
    for role, exclusion in session.execute(_standing_query(), {"case_id": case_id, "user_id": user_id}):
        if exclusion:
            excluded = True
        else:
            assignments.add(Assignment(role))
    granted: set[Permission] = set()
    for found in plugin_manager().hook.exhibits_case_grants(
        session=session, user_id=user_id, roles=roles, case_id=case_id
    ):
        granted.update(found or ())
    return CaseStanding(frozenset(assignments), excluded, frozenset(granted))


def decide(roles: frozenset[Role], standing: CaseStanding | None, permission: Permission) -> bool:
    """Deny by default: a force-wide permission comes from a role, a case-scoped one from an
    assignment to the case that is not cancelled by an exclusion."""
    if permission in FORCE_WIDE:
        return role_grants(roles, permission)
    if standing is None or standing.excluded:
        return False
    return permission in standing.granted or assignment_grants(standing.effective, permission)


def visible_case_ids(session: Session, user_id: str) -> set[str]:
    assigned = set(
        session.scalars(
            select(CaseAssignment.case_id).where(
                CaseAssignment.user_id == user_id, CaseAssignment.revoked_at.is_(None)
            )
        )
    )
    if not assigned:
        return assigned
    excluded = set(
        session.scalars(
            select(CaseExclusion.case_id).where(
                CaseExclusion.user_id == user_id, CaseExclusion.lifted_at.is_(None)
            )
        )
    )
    return assigned - excluded


def _naming(user_id: Any, exhibit_id: Any) -> tuple[ColumnElement[bool], ...]:
    """An unrevoked grant naming this person on this exhibit (values or SQL expressions)."""
    return (
        ExhibitAccess.exhibit_id == exhibit_id,
        ExhibitAccess.user_id == user_id,
        ExhibitAccess.revoked_at.is_(None),
    )


def named_on(session: Session, user_id: str, exhibit_id: str) -> bool:
    return session.scalar(select(ExhibitAccess.id).where(*_naming(user_id, exhibit_id)).limit(1)) is not None


def may_see_exhibit(session: Session, user_id: str, exhibit_id: str, restricted: bool) -> bool:
    """An unrestricted exhibit is visible to whoever may read its case; a restricted one only
    to the people named on it."""
    return not restricted or named_on(session, user_id, exhibit_id)


def visible_exhibit_clause(user_id: str | BindParameter[str]) -> ColumnElement[bool]:
    """``may_see_exhibit`` for a whole query: unrestricted, or restricted with this person named."""
    from exhibits.evidence.models import Exhibit

    return or_(Exhibit.restricted.is_(False), exists().where(*_naming(user_id, Exhibit.id)))


def hidden_exhibit_ids(session: Session, user_id: str, case_id: str) -> set[str]:
    """Restricted exhibits of a case that this person is not named on."""
    from exhibits.evidence.models import Exhibit

    hidden = select(Exhibit.id).where(Exhibit.case_id == case_id, ~visible_exhibit_clause(user_id))
    return set(session.scalars(hidden))
