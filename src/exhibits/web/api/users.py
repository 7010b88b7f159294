"""Accounts (administrators): list, create, change, sign out everywhere, reset a second factor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool

from exhibits.access.permissions import Permission
from exhibits.web.api.schemas import SignOutOut, UserIn, UserOut, UserPatch
from exhibits.web.auth import Caller, requires

router = APIRouter(prefix="/api/v1/users", tags=["users"])
Admin = Annotated[Caller, requires(Permission.USER_MANAGE)]
Collar = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-]+$")]


@router.get("")
async def list_users(request: Request, caller: Admin) -> list[UserOut]:
    views = await run_in_threadpool(request.app.state.vault.users.list_users, caller.principal)
    return [UserOut(**v.as_dict()) for v in views]


@router.post("", status_code=201)
async def create_user(body: UserIn, request: Request, caller: Admin) -> UserOut:
    view = await run_in_threadpool(
        lambda: request.app.state.vault.users.create_user(
            caller.principal,
            collar=body.collar,
            name=body.name,
            roles=body.roles,
            password=body.password,
            organisation=body.organisation,
        )
    )
    return UserOut(**view.as_dict())


@router.get("/{collar}")
async def get_user(request: Request, caller: Admin, collar: Collar) -> UserOut:
    view = await run_in_threadpool(request.app.state.vault.users.get_user, caller.principal, collar)
    return UserOut(**view.as_dict())


@router.patch("/{collar}")
async def update_user(body: UserPatch, request: Request, caller: Admin, collar: Collar) -> UserOut:
    """Disable or re-enable an account, change its roles or name."""
    view = await run_in_threadpool(
        lambda: request.app.state.vault.users.update_user(
            caller.principal, collar, active=body.active, roles=body.roles, name=body.name
        )
    )
    return UserOut(**view.as_dict())


@router.post("/{collar}/signout-everywhere")
async def sign_out_user_everywhere(request: Request, caller: Admin, collar: Collar) -> SignOutOut:
    """Revoke every session, token and content link of this person (a lost or stolen device)."""
    counts = await run_in_threadpool(
        request.app.state.vault.access.signin.sign_out_everywhere, caller.principal, collar
    )
    return SignOutOut(**counts)


@router.delete("/{collar}/totp", status_code=204)
async def reset_second_factor(request: Request, caller: Admin, collar: Collar) -> None:
    """Remove a lost authenticator; the person sets up a new one at their next sign-in."""
    await run_in_threadpool(request.app.state.vault.access.signin.totp_reset, caller.principal, collar)
