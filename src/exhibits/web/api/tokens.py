"""Personal API tokens: create (shown once), list, revoke."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool

from exhibits.access.permissions import Permission
from exhibits.web.api.schemas import TokenCreated, TokenIn, TokenOut
from exhibits.web.auth import Caller, requires

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])
Self = Annotated[Caller, requires(Permission.ACCOUNT_SELF)]


@router.get("")
async def list_tokens(request: Request, caller: Self) -> list[TokenOut]:
    views = await run_in_threadpool(request.app.state.vault.access.tokens.list, caller.principal)
    return [TokenOut(**v.as_dict()) for v in views]


@router.post("", status_code=201)
async def create_token(body: TokenIn, request: Request, caller: Self) -> TokenCreated:
    """A new token for your scripts or devices. Copy it now: it is never shown again."""
    view, secret = await run_in_threadpool(
        lambda: request.app.state.vault.access.tokens.create(
            caller.principal, name=body.name, expires_in=timedelta(days=body.expires_in_days)
        )
    )
    return TokenCreated(token=secret, **view.as_dict())


@router.delete("/{token_id}", status_code=204)
async def revoke_token(
    request: Request, caller: Self, token_id: Annotated[str, Path(min_length=1, max_length=64)]
) -> None:
    await run_in_threadpool(request.app.state.vault.access.tokens.revoke, caller.principal, token_id)
