"""Cases: create, list (paged, filtered), get, update status; assignments and exclusions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from exhibits.access.permissions import Permission
from exhibits.evidence import queries
from exhibits.web.api.schemas import (
    AssignmentIn,
    AssignmentOut,
    CaseIn,
    CaseOut,
    CasePatch,
    ExclusionIn,
    ExclusionOut,
    Page,
)
from exhibits.web.auth import Caller, requires
from exhibits.web.pagination import decode_cursor, encode_cursor

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
CaseId = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]
ItemId = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]
Limit = Annotated[int | None, Query(ge=1, le=1000, description="Page size (default 50).")]
CursorQ = Annotated[str | None, Query(max_length=512, description="From the previous page's next_cursor.")]


def page_limit(request: Request, limit: int | None) -> int:
    settings = request.app.state.api_settings
    return min(limit or settings.page_size, settings.max_page_size)


@router.get("")
async def list_cases(
    request: Request,
    caller: Annotated[Caller, requires(Permission.CASE_READ, "cases")],
    status: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="Part of the reference, URN or title.")
    ] = None,
    limit: Limit = None,
    cursor: CursorQ = None,
) -> Page[CaseOut]:
    """The cases you are assigned to (and not excluded from), oldest first."""
    size = page_limit(request, limit)
    after = decode_cursor(cursor, (str, str))
    views, nxt = await run_in_threadpool(
        lambda: queries.page_cases(
            request.app.state.vault,
            caller.principal,
            limit=size,
            cursor=tuple(after) if after else None,  # type: ignore[arg-type]
            status=status,
            q=q,
        )
    )
    return Page[CaseOut](
        items=[CaseOut(**v.as_dict()) for v in views],
        next_cursor=encode_cursor(*nxt) if nxt else None,
        limit=size,
    )


@router.post("", status_code=201)
async def create_case(
    body: CaseIn, request: Request, caller: Annotated[Caller, requires(Permission.CASE_CREATE)]
) -> CaseOut:
    """Open a case; you become its officer in charge."""
    view = await run_in_threadpool(
        lambda: request.app.state.vault.evidence.create_case(
            caller.principal, body.crime_ref, body.title, urn=body.urn, classification=body.classification
        )
    )
    return CaseOut(**view.as_dict())


@router.get("/{case_id}")
async def get_case(
    request: Request, case_id: CaseId, caller: Annotated[Caller, requires(Permission.CASE_READ, "case")]
) -> CaseOut:
    view = await run_in_threadpool(queries.get_case, request.app.state.vault, caller.principal, case_id)
    return CaseOut(**view.as_dict())


@router.patch("/{case_id}")
async def update_case(
    body: CasePatch,
    request: Request,
    case_id: CaseId,
    caller: Annotated[Caller, requires(Permission.CASE_UPDATE, "case")],
) -> CaseOut:
    """Change the case's title or status: open, awaiting-charge, charged, at-court,
    no-further-action or closed."""
    view = await run_in_threadpool(
        lambda: queries.update_case(
            request.app.state.vault, caller.principal, case_id, status=body.status, title=body.title
        )
    )
    return CaseOut(**view.as_dict())


@router.get("/{case_id}/assignments")
async def list_assignments(
    request: Request, case_id: CaseId, caller: Annotated[Caller, requires(Permission.CASE_READ, "case")]
) -> list[AssignmentOut]:
    views = await run_in_threadpool(
        request.app.state.vault.access.need_to_know.assignments, caller.principal, case_id
    )
    return [AssignmentOut(**v.as_dict()) for v in views]


@router.post("/{case_id}/assignments", status_code=204)
async def assign(
    body: AssignmentIn,
    request: Request,
    case_id: CaseId,
    caller: Annotated[Caller, requires(Permission.CASE_ASSIGN, "case")],
) -> None:
    """Give a person a part in the case: officer_in_charge, disclosure_officer, investigator or viewer."""
    await run_in_threadpool(
        request.app.state.vault.users.assign, caller.principal, case_id, body.collar, body.role
    )


@router.delete("/{case_id}/assignments/{assignment_id}", status_code=204)
async def unassign(
    request: Request,
    case_id: CaseId,
    assignment_id: ItemId,
    caller: Annotated[Caller, requires(Permission.CASE_ASSIGN, "case")],
) -> None:
    await run_in_threadpool(
        request.app.state.vault.access.need_to_know.unassign, caller.principal, case_id, assignment_id
    )


@router.get("/{case_id}/exclusions")
async def list_exclusions(
    request: Request, case_id: CaseId, caller: Annotated[Caller, requires(Permission.CASE_EXCLUDE, "case")]
) -> list[ExclusionOut]:
    views = await run_in_threadpool(
        request.app.state.vault.access.need_to_know.exclusions, caller.principal, case_id
    )
    return [ExclusionOut(**v.as_dict()) for v in views]


@router.post("/{case_id}/exclusions", status_code=201)
async def exclude(
    body: ExclusionIn,
    request: Request,
    case_id: CaseId,
    caller: Annotated[Caller, requires(Permission.CASE_EXCLUDE, "case")],
) -> ExclusionOut:
    """Keep a person out of this case whatever their roles or assignments (e.g. an officer
    under investigation)."""
    view = await run_in_threadpool(
        request.app.state.vault.access.need_to_know.exclude,
        caller.principal,
        case_id,
        body.collar,
        body.reason,
    )
    return ExclusionOut(**view.as_dict())


@router.delete("/{case_id}/exclusions/{exclusion_id}", status_code=204)
async def lift_exclusion(
    request: Request,
    case_id: CaseId,
    exclusion_id: ItemId,
    caller: Annotated[Caller, requires(Permission.CASE_EXCLUDE, "case")],
) -> None:
    await run_in_threadpool(
        request.app.state.vault.access.need_to_know.lift_exclusion, caller.principal, case_id, exclusion_id
    )
