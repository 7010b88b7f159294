"""The person behind a request, and the checks every service makes before acting.

The decision itself lives in ``access.policy``; this class caches a person's standing in
each case for the length of one request or command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from exhibits.access import policy
from exhibits.access.models import User
from exhibits.access.permissions import FORCE_WIDE, Assignment, Permission, Role
from exhibits.custody.events import ActorRef
from exhibits.errors import NotFound, PermissionDenied

if TYPE_CHECKING:
    from sqlalchemy import Row

    from exhibits.evidence.models import Exhibit


@dataclass
class Principal:
    user_id: str
    force_code: str
    collar: str
    name: str
    roles: frozenset[Role]
    via: str = "cli"
    os_user: str | None = None
    asserted_by: ActorRef | None = None  # an administrator acting for this user
    _standing: dict[str, policy.CaseStanding] = field(default_factory=dict, repr=False)

    @classmethod
    def from_user(cls, user: User | Row, **extra) -> Principal:
        """The person of ``user``: an account, or a row with its columns (id, force_code,
        collar, name, roles), as the API token check reads them."""
        return cls(
            user_id=user.id,
            force_code=user.force_code,
            collar=user.collar,
            name=user.name,
            roles=frozenset(Role(r) for r in user.roles),
            **extra,
        )

    @property
    def actor(self) -> ActorRef:
        return ActorRef(self.user_id, self.force_code, self.collar, self.name)

    @property
    def display(self) -> str:
        return f"{self.name} ({self.collar})"

    def standing(self, session: Session, case_id: str) -> policy.CaseStanding:
        if case_id not in self._standing:
            self._standing[case_id] = policy.case_standing(session, self.user_id, case_id, self.roles)
        return self._standing[case_id]

    def assignments(self, session: Session, case_id: str) -> frozenset[Assignment]:
        """The assignments that count: none while the person is excluded from the case."""
        return self.standing(session, case_id).effective

    def forget_assignments(self) -> None:
        self._standing.clear()

    def has(self, permission: Permission, session: Session | None = None, case_id: str | None = None) -> bool:
        if permission in FORCE_WIDE:
            return policy.decide(self.roles, None, permission)
        if case_id is None or session is None:
            return False
        return policy.decide(self.roles, self.standing(session, case_id), permission)

    def require(
        self, permission: Permission, session: Session | None = None, case_id: str | None = None
    ) -> None:
        """Raise unless allowed. Someone with no part in a case is told it does not exist."""
        if self.has(permission, session, case_id):
            return
        refusal = {"refused": str(permission), "case_id": case_id}
        if case_id is not None and session is not None and not self.assignments(session, case_id):
            raise NotFound("no such case, or you are not assigned to it", **refusal)
        raise PermissionDenied(
            f"you do not have permission to {permission.value.replace(':', ' ')}", **refusal
        )

    def can_see(self, session: Session, exhibit: Exhibit) -> bool:
        return policy.may_see_exhibit(session, self.user_id, exhibit.id, exhibit.restricted)

    def require_exhibit(self, permission: Permission, session: Session, exhibit: Exhibit) -> None:
        """A case-scoped permission on one exhibit, which may be restricted to named people."""
        self.require(permission, session, exhibit.case_id)
        if not self.can_see(session, exhibit):
            raise NotFound(
                "no such exhibit, or you may not see it",
                refused=str(permission),
                case_id=exhibit.case_id,
                exhibit_id=exhibit.id,
            )

    def hidden_exhibits(self, session: Session, case_id: str) -> set[str]:
        """Restricted exhibits of the case this person is not named on: leave them out of lists."""
        return policy.hidden_exhibit_ids(session, self.user_id, case_id)

    def visible_case_ids(self, session: Session) -> set[str]:
        return policy.visible_case_ids(session, self.user_id)
