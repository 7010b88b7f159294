"""Accounts and case assignments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from exhibits.access.models import CaseAssignment, User
from exhibits.access.passwords import MIN_LENGTH, hash_password
from exhibits.access.permissions import Assignment, Permission, Role
from exhibits.access.principal import Principal
from exhibits.custody.events import EventClass
from exhibits.db.writer import WriteContext
from exhibits.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from exhibits.ids import new_id

if TYPE_CHECKING:
    from exhibits.vault import Vault


@dataclass(frozen=True)
class UserView:
    id: str
    force_code: str
    collar: str
    name: str
    roles: tuple[str, ...]
    active: bool
    organisation: str | None
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(
            user.id, user.force_code, user.collar, user.name, tuple(user.roles), user.active,
            user.organisation, user.created_at,
        )  # fmt: skip

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "force_code": self.force_code,
            "collar": self.collar,
            "name": self.name,
            "roles": list(self.roles),
            "active": self.active,
            "organisation": self.organisation,
            "created_at": self.created_at.isoformat(),
        }


def parse_roles(values: list[str]) -> list[str]:
    roles = []
    for value in values:
        try:
            roles.append(str(Role(value.strip().lower())))
        except ValueError:
            options = ", ".join(r.value for r in Role)
            raise InvalidInput(f"unknown role {value!r}: use {options}") from None
    if not roles:
        raise InvalidInput("a user needs at least one role")
    return sorted(set(roles))


def validate_collar(collar: str) -> str:
    value = collar.strip().upper()
    if not value or len(value) > 32 or not all(c.isalnum() or c in "-_" for c in value):
        raise InvalidInput("a collar number is 1-32 letters, digits, '-' or '_'")
    return value


def validate_password(password: str | None) -> str | None:
    if password is None:
        return None
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_LENGTH} characters")
    return password


class UserService:
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def new_user(
        self,
        session: Session,
        *,
        collar: str,
        name: str,
        roles: list[str],
        password: str | None,
        organisation: str | None = None,
    ) -> User:
        """Insert a user row (inside a unit of work); callers authorise and log."""
        collar = validate_collar(collar)
        name = " ".join(name.split())
        if not name or len(name) > 200:
            raise InvalidInput("a user's name is 1-200 characters")
        force = self.vault.settings.force_code
        if session.scalar(select(User.id).where(User.force_code == force, User.collar == collar)):
            raise Conflict(f"a user with collar number {collar} already exists")
        password = validate_password(password)
        user = User(
            id=new_id(),
            force_code=force,
            collar=collar,
            name=name,
            roles=parse_roles(roles),
            password_hash=hash_password(password) if password else None,
            active=True,
            organisation=organisation,
            created_at=self.vault.now(),
        )
        session.add(user)
        return user

    def create_user(
        self,
        principal: Principal,
        *,
        collar: str,
        name: str,
        roles: list[str],
        password: str | None = None,
        organisation: str | None = None,
    ) -> UserView:
        principal.require(Permission.USER_MANAGE)

        def work(ctx: WriteContext) -> UserView:
            user = self.new_user(
                ctx.session, collar=collar, name=name, roles=roles, password=password,
                organisation=organisation,
            )  # fmt: skip
            self.vault.record(
                ctx,
                principal,
                "user.create",
                EventClass.ADMINISTRATION,
                details={
                    "user": user.id,
                    "collar": user.collar,
                    "name": user.name,
                    "roles": user.roles,
                },
            )
            return UserView.of(user)

        return self.vault.write(work)

    def list_users(self, principal: Principal) -> list[UserView]:
        principal.require(Permission.USER_MANAGE)
        with self.vault.reading() as session:
            users = [UserView.of(u) for u in session.scalars(select(User).order_by(User.collar))]
        self.vault.consulted(principal, "user.list", details={"count": len(users)})
        return users

    def find(self, session: Session, collar: str) -> User:
        user = session.scalar(
            select(User).where(
                User.force_code == self.vault.settings.force_code,
                User.collar == validate_collar(collar),
            )
        )
        if user is None:
            raise NotFound(f"no user with collar number {collar}")
        return user

    def principal_for(
        self,
        collar: str,
        *,
        via: str,
        acting_as: str | None = None,
        os_user: str | None = None,
    ) -> Principal:
        """The principal a local command runs as (``EXHIBITS_USER``, optionally ``--as``).

        Only an administrator may act for another user; the log then records both the
        administrator's assertion and the operating-system account.
        """
        with self.vault.reading() as session:
            try:
                user = self.find(session, collar)
            except NotFound:
                raise NotAuthenticated(f"EXHIBITS_USER {collar!r} is not a user of this vault") from None
            if not user.active:
                raise NotAuthenticated(f"user {user.collar} is disabled")
            principal = Principal.from_user(user, via=via, os_user=os_user)
            if acting_as is None:
                return principal
            if Role.ADMIN not in principal.roles:
                raise PermissionDenied("only an administrator may act for another user (--as)")
            target = self.find(session, acting_as)
            if not target.active:
                raise PermissionDenied(f"user {target.collar} is disabled")
            return Principal.from_user(target, via=via, os_user=os_user, asserted_by=principal.actor)

    def assign(self, principal: Principal, case_key: str, collar: str, role: str) -> None:
        try:
            assignment = Assignment(role.strip().lower().replace("-", "_"))
        except ValueError:
            options = ", ".join(a.value for a in Assignment)
            raise InvalidInput(f"unknown case role {role!r}: use {options}") from None
        with self.vault.reading() as session:
            case = self.vault.evidence.find_case(session, principal, case_key)
            principal.require(Permission.CASE_ASSIGN, session, case.id)
            user = self.find(session, collar)
            case_id, user_id = case.id, user.id

        def work(ctx: WriteContext) -> None:
            existing = ctx.session.scalar(
                select(CaseAssignment).where(
                    CaseAssignment.case_id == case_id,
                    CaseAssignment.user_id == user_id,
                    CaseAssignment.role == assignment,
                    CaseAssignment.revoked_at.is_(None),
                )
            )
            if existing is not None:
                return
            ctx.session.add(
                CaseAssignment(
                    id=new_id(),
                    case_id=case_id,
                    user_id=user_id,
                    role=assignment,
                    granted_by=principal.user_id,
                    granted_at=self.vault.now(),
                )
            )
            self.vault.record(
                ctx,
                principal,
                "case.assign",
                EventClass.ADMINISTRATION,
                case_id=case_id,
                details={"user": user_id, "role": str(assignment)},
            )

        self.vault.write(work)

    def get_user(self, principal: Principal, collar: str) -> UserView:
        principal.require(Permission.USER_MANAGE)
        with self.vault.reading() as session:
            view = UserView.of(self.find(session, collar))
        self.vault.consulted(principal, "user.view", details={"user": view.id})
        return view

    def update_user(
        self,
        principal: Principal,
        collar: str,
        *,
        active: bool | None = None,
        roles: list[str] | None = None,
        name: str | None = None,
    ) -> UserView:
        """Disable or re-enable an account, or change its roles or name (administrators)."""
        principal.require(Permission.USER_MANAGE)
        new_roles = parse_roles(roles) if roles is not None else None
        new_name = " ".join(name.split()) if name is not None else None
        if new_name is not None and not 0 < len(new_name) <= 200:
            raise InvalidInput("a user's name is 1-200 characters")
        with self.vault.reading() as session:
            user_id = self.find(session, collar).id
        if user_id == principal.user_id and (
            active is False or (new_roles is not None and "admin" not in new_roles)
        ):
            raise InvalidInput("you cannot disable yourself or remove your own administrator role")

        def work(ctx: WriteContext) -> UserView:
            user = ctx.session.get(User, user_id)
            assert user is not None
            changes: dict[str, object] = {}
            if active is not None and active != user.active:
                changes["active"] = active
                user.active = active
            if new_roles is not None and new_roles != sorted(user.roles):
                changes["roles"] = new_roles
                user.roles = new_roles
            if new_name is not None and new_name != user.name:
                changes["name"] = new_name
                user.name = new_name
            if changes:
                self.vault.record(
                    ctx,
                    principal,
                    "user.update",
                    EventClass.ADMINISTRATION,
                    details={"user": user_id, **changes},
                )
            return UserView.of(user)

        return self.vault.write(work)
