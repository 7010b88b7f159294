"""Audit (auditors): who saw this exhibit, everything one person did, a period's log exported."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from exhibits.access.audit import AuditQuery
from exhibits.access.permissions import Permission
from exhibits.evidence.queries import parse_when
from exhibits.web.api.schemas import EventOut, Page
from exhibits.web.auth import Caller, requires
from exhibits.web.pagination import decode_cursor, encode_cursor

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
Auditor = Annotated[Caller, requires(Permission.AUDIT_READ)]
IdQ = Annotated[str | None, Query(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]
Text = Annotated[str | None, Query(max_length=64)]


def _query(exhibit_id, case_id, user, since, until, event_class, action) -> AuditQuery:
    return AuditQuery(
        exhibit_id=exhibit_id,
        case_id=case_id,
        collar=user,
        since=parse_when(since, "from"),
        until=parse_when(until, "to"),
        event_class=event_class,
        action=action,
    )


@router.get("/events")
async def audit_events(
    request: Request,
    caller: Auditor,
    exhibit_id: IdQ = None,
    case_id: IdQ = None,
    user: Annotated[str | None, Query(max_length=32, description="Collar number.")] = None,
    since: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    until: Annotated[str | None, Query(alias="to", max_length=40)] = None,
    event_class: Annotated[str | None, Query(alias="class", max_length=16)] = None,
    action: Text = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Page[EventOut]:
    """Events in log order: e.g. ``?exhibit_id=...&class=consultation`` (who saw it) or ``?user=1234``."""
    query = _query(exhibit_id, case_id, user, since, until, event_class, action)
    after = decode_cursor(cursor, (int,))
    events, nxt = await run_in_threadpool(
        lambda: request.app.state.vault.access.audit.search(
            caller.principal, query, after=after[0] if after else 0, limit=limit
        )
    )
    return Page[EventOut](
        items=[EventOut(**e) for e in events],
        next_cursor=encode_cursor(nxt) if nxt is not None else None,
        limit=limit,
    )


@router.get("/export", response_class=StreamingResponse)
async def audit_export(
    request: Request,
    caller: Auditor,
    since: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    until: Annotated[str | None, Query(alias="to", max_length=40)] = None,
    exhibit_id: IdQ = None,
    case_id: IdQ = None,
    user: Annotated[str | None, Query(max_length=32)] = None,
) -> StreamingResponse:
    """The log of a period as JSON lines (each leaf exactly as hashed), ending with the signed checkpoint."""
    query = _query(exhibit_id, case_id, user, since, until, None, None)
    lines = await run_in_threadpool(request.app.state.vault.access.audit.export, caller.principal, query)
    return StreamingResponse(
        iterate_in_threadpool(lines),
        media_type="application/x-ndjson",
        headers={
            "Content-Disposition": 'attachment; filename="exhibits-audit.jsonl"',
            "Cache-Control": "no-store",
        },
    )
