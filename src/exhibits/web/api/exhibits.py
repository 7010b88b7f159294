"""Exhibits: list per case, get, upload (streamed), open content through a justified grant,
restrict to named people."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import fields
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.clock import iso_utc
from exhibits.errors import InvalidInput, TooLarge
from exhibits.evidence import queries
from exhibits.evidence.service import IngestRequest
from exhibits.evidence.views import ExhibitView
from exhibits.web.api.cases import CaseId, CursorQ, Limit, page_limit
from exhibits.web.api.schemas import (
    AccessIn,
    ExhibitOut,
    GrantOut,
    IngestOut,
    Page,
    RestrictionIn,
    RestrictionOut,
)
from exhibits.web.auth import Caller, CaseRead, public, reads_case, requires
from exhibits.web.content import content_response
from exhibits.web.pagination import decode_cursor, encode_cursor
from exhibits.web.streams import RequestBodyReader, run_with_body

router = APIRouter(prefix="/api/v1", tags=["exhibits"])
ExhibitId = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]
BINARY_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get("/cases/{case_id}/exhibits", response_model=Page[ExhibitOut])
async def list_exhibits(
    request: Request,
    case_id: CaseId,
    read: Annotated[CaseRead, reads_case(Permission.EXHIBIT_READ)],
    source: Annotated[str | None, Query(max_length=32)] = None,
    mime_type: Annotated[str | None, Query(max_length=128, description="e.g. video/ or image/png")] = None,
    limit: Limit = None,
    cursor: CursorQ = None,
) -> Response:
    """A page of the case's exhibits in the order they were produced (restricted ones only
    for the people named on them)."""
    size = page_limit(request, limit)
    vault = request.app.state.vault

    def page(principal: Principal, session: Session) -> tuple[bytes, Future]:
        # Here, in one worker-thread call and one read session: the token, the permission on
        # the case, then the page (the cursor is looked at only once the caller may read).
        after = decode_cursor(cursor, (str, str))
        rows, more = queries.exhibit_page_rows(
            session,
            principal,
            case_id,
            limit=size,
            cursor=tuple(after) if after else None,  # type: ignore[arg-type]
            source=source,
            mime_type=mime_type,
        )
        body = page_json(rows, more, size)
        return body, vault.consulting(
            principal, "exhibit.list", case_id=case_id, details={"count": len(rows)}
        )

    body, consulted = await read.run(page)
    await asyncio.wrap_future(consulted)  # logged durably before the answer
    return Response(body, media_type="application/json")


def json_time(moment: datetime) -> datetime | str:
    """A time for ``page_json``: ``iso_utc``'s text, written by orjson (OPT_UTC_Z) where orjson
    writes exactly that text (UTC, non-zero microseconds, four-digit year) and by ``iso_utc``
    otherwise; formatting 100 times a page in Python cost as much as the page's query."""
    if moment.tzinfo is UTC and moment.microsecond and moment.year >= 1000:
        return moment
    return iso_utc(moment)


# ExhibitOut's fields are ExhibitView's, in the same order (the page query's columns).
EXHIBIT_FIELDS = tuple(ExhibitOut.model_fields)
assert tuple(f.name for f in fields(ExhibitView)) == EXHIBIT_FIELDS
_CONVERT = tuple(
    (EXHIBIT_FIELDS.index(name), convert)
    for name, convert in (
        ("restricted", bool),
        ("size", int),
        ("clock_offset_seconds", float),
        ("created_at", json_time),
        ("captured_at", json_time),
    )
)


def page_json(rows: Sequence[Any], more: bool, size: int) -> bytes:
    """A ``Page[ExhibitOut]`` of page rows as JSON, made directly (orjson) rather than through
    views, model validation and FastAPI's encoder: the same values as ``ExhibitOut`` gives."""
    if rows and len(rows[0]) != len(EXHIBIT_FIELDS):  # one query: every row is as wide
        raise ValueError(f"page rows have {len(rows[0])} columns, ExhibitOut {len(EXHIBIT_FIELDS)} fields")
    items = []
    for row in rows:
        values = list(row)
        for index, convert in _CONVERT:
            value = values[index]
            if value is not None:
                values[index] = convert(value)
        items.append(dict(zip(EXHIBIT_FIELDS, values)))  # noqa: B905 (width checked above, once)
    nxt = encode_cursor(iso_utc(rows[-1].created_at), rows[-1].id) if more else None
    page = {"items": items, "next_cursor": nxt, "limit": size}
    return orjson.dumps(page, option=orjson.OPT_UTC_Z)


def _declared_sha256(header: str | None) -> str | None:
    """RFC 9530 ``Content-Digest: sha-256=:<base64>:`` of the whole body, if the client sent one."""
    if not header:
        return None
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name.strip().lower() == "sha-256":
            value = value.strip()
            if not (value.startswith(":") and value.endswith(":")):
                break
            try:
                raw = base64.b64decode(value[1:-1], validate=True)
            except (binascii.Error, ValueError):
                break
            if len(raw) == 32:
                return raw.hex()
            break
    raise InvalidInput("Content-Digest must carry sha-256=:<base64 of 32 bytes>:")


@router.post("/cases/{case_id}/exhibits", status_code=201, openapi_extra=BINARY_BODY)
async def upload_exhibit(
    request: Request,
    case_id: CaseId,
    caller: Annotated[Caller, requires(Permission.EXHIBIT_ADD, "case")],
    producer: Annotated[str, Query(min_length=1, max_length=200, description="e.g. 'PC 1234 Jane Smith'")],
    filename: Annotated[
        str | None, Query(max_length=4096, description="Original name (kept as text).")
    ] = None,
    source: Annotated[str | None, Query(max_length=32)] = None,
    description: Annotated[str | None, Query(max_length=4000)] = None,
    captured_at: Annotated[str | None, Query(max_length=40, description="ISO 8601 with zone")] = None,
    classification: Annotated[str | None, Query(max_length=32)] = None,
    device: Annotated[str | None, Query(max_length=128)] = None,
    content_length: Annotated[int | None, Header(ge=0)] = None,
    content_digest: Annotated[str | None, Header(max_length=400)] = None,
) -> IngestOut:
    """Upload one file as the body (``application/octet-stream``), streamed into the vault
    in constant memory. Bodies over the configured maximum are refused with 413 before
    anything is stored; send ``Content-Digest: sha-256=:...:`` to have your hash checked."""
    vault = request.app.state.vault
    limit = vault.uploads.max_size
    if content_length is not None and content_length > limit:
        raise TooLarge(f"{content_length:,} bytes is over the {limit:,}-byte limit")
    if content_length == 0:
        raise InvalidInput("the body is empty: nothing to ingest")
    expected = _declared_sha256(content_digest)
    ingest = IngestRequest(
        case=case_id,
        producer=producer,
        source=source,
        description=description,
        classification=classification,
        captured_at=queries.parse_when(captured_at, "captured_at"),
        device_id=device,
        extra={"via": "http"},
    )
    metrics = request.app.state.metrics
    reader = RequestBodyReader(request.stream(), metrics.upload_bytes.inc)
    metrics.uploads.inc()
    try:
        outcome = await run_with_body(
            reader,
            vault.evidence.ingest_stream,
            caller.principal,
            reader,
            filename,
            ingest,
            expected_sha256=expected,
        )
    finally:
        metrics.uploads.dec()
    return IngestOut(**outcome.as_dict())


@router.get("/exhibits/{exhibit_id}")
async def get_exhibit(
    request: Request,
    exhibit_id: ExhibitId,
    caller: Annotated[Caller, requires(Permission.EXHIBIT_READ, "exhibit")],
) -> ExhibitOut:
    view = await run_in_threadpool(queries.get_exhibit, request.app.state.vault, caller.principal, exhibit_id)
    return ExhibitOut(**view.as_dict())


@router.post("/exhibits/{exhibit_id}/access", status_code=201)
async def open_content(
    body: AccessIn,
    request: Request,
    exhibit_id: ExhibitId,
    caller: Annotated[Caller, requires(Permission.EXHIBIT_CONTENT, "exhibit")],
) -> GrantOut:
    """Say why you are opening the evidence; get a short-lived URL for the original (or a
    derivative, by its SHA-256) that supports Range requests. Logged as one consultation."""
    grant = await run_in_threadpool(
        lambda: request.app.state.vault.access.grants.grant(
            caller.principal,
            exhibit_id,
            justification=body.justification,
            reason=body.reason,
            sha256=body.sha256,
        )
    )
    return GrantOut(**grant.as_dict(f"/api/v1/content/{grant.secret}"))


Secret = Annotated[str, Path(min_length=8, max_length=128, pattern=r"^[A-Za-z0-9_\-]+$")]


async def _serve(request: Request, secret: str, head: bool) -> Response:
    vault = request.app.state.vault
    content = await run_in_threadpool(vault.access.grants.open, secret)
    return content_response(
        vault,
        content.sha256,
        content.size,
        content.mime_type,
        content.filename,
        request.headers.get("range"),
        request.headers.get("if-none-match"),
        head=head,
    )


_GRANT = public("the link's own secret is the credential; each fetch re-checks exhibit:content")


@router.get("/content/{secret}", dependencies=[_GRANT], response_class=Response)
async def content(request: Request, secret: Secret) -> Response:
    """The content behind an access grant: HTTP Range, ETag = SHA-256, no caching."""
    return await _serve(request, secret, head=False)


@router.head("/content/{secret}", dependencies=[_GRANT], response_class=Response, include_in_schema=False)
async def content_head(request: Request, secret: Secret) -> Response:
    return await _serve(request, secret, head=True)


@router.get("/exhibits/{exhibit_id}/restriction")
async def get_restriction(
    request: Request,
    exhibit_id: ExhibitId,
    caller: Annotated[Caller, requires(Permission.EXHIBIT_RESTRICT, "exhibit")],
) -> RestrictionOut:
    result = await run_in_threadpool(
        request.app.state.vault.access.need_to_know.restriction, caller.principal, exhibit_id
    )
    return RestrictionOut(**result)


@router.put("/exhibits/{exhibit_id}/restriction")
async def restrict(
    body: RestrictionIn,
    request: Request,
    exhibit_id: ExhibitId,
    caller: Annotated[Caller, requires(Permission.EXHIBIT_RESTRICT, "exhibit")],
) -> RestrictionOut:
    """Restrict sensitive material (MG6D, informant or covert material, a victim's address)
    to the named people; you stay named. Others are told it does not exist."""
    result = await run_in_threadpool(
        request.app.state.vault.access.need_to_know.restrict,
        caller.principal,
        exhibit_id,
        body.people,
        body.reason,
    )
    return RestrictionOut(**result)


@router.delete("/exhibits/{exhibit_id}/restriction", status_code=204)
async def unrestrict(
    request: Request,
    exhibit_id: ExhibitId,
    caller: Annotated[Caller, requires(Permission.EXHIBIT_RESTRICT, "exhibit")],
) -> None:
    await run_in_threadpool(
        request.app.state.vault.access.need_to_know.unrestrict, caller.principal, exhibit_id
    )
