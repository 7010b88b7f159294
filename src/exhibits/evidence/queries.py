"""Paged, filtered reads of cases and exhibits (for the API and the web pages), and case updates.

Each read authorises, leaves out what the person may not see, and logs one consultation
event for the whole page (not one per row).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import Row, Select, bindparam, or_, select
from sqlalchemy.orm import Session

from exhibits.access.permissions import Permission
from exhibits.access.policy import visible_exhibit_clause
from exhibits.access.principal import Principal
from exhibits.clock import iso_utc, parse_iso
from exhibits.custody.events import EventClass
from exhibits.db.writer import WriteContext
from exhibits.errors import InvalidInput, NotFound
from exhibits.evidence import domain
from exhibits.evidence.models import Blob, Case, Exhibit, Media
from exhibits.evidence.views import CaseView, ExhibitView

if TYPE_CHECKING:
    from exhibits.vault import Vault

Cursor = tuple[str, str]  # (created_at ISO, id): keyset position


def _cursor_values(cursor: Cursor) -> tuple[datetime, str]:
    try:
        return parse_iso(cursor[0]), cursor[1]
    except ValueError:
        raise InvalidInput("not a cursor from this API") from None


def _after(column_at, column_id, cursor: Cursor | None):
    if cursor is None:
        return None
    return _beyond(column_at, column_id, *_cursor_values(cursor))


def _beyond(column_at, column_id, at, last_id):
    """Rows after the keyset position (at, last_id): values or bound parameters."""
    return or_(column_at > at, (column_at == at) & (column_id > last_id))


def _filter_text(value: str | None, what: str) -> str | None:
    """Filter text is matched literally; control characters (NUL ends a LIKE pattern) are refused."""
    if value is None:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidInput(f"{what} contains control characters")
    return value


def page_cases(
    vault: Vault,
    principal: Principal,
    *,
    limit: int,
    cursor: Cursor | None = None,
    status: str | None = None,
    q: str | None = None,
) -> tuple[list[CaseView], Cursor | None]:
    q = _filter_text(q, "q")
    if status is not None and status not in {s.value for s in domain.CaseStatus}:
        raise InvalidInput("unknown status: use " + ", ".join(s.value for s in domain.CaseStatus))
    with vault.reading() as session:
        visible = principal.visible_case_ids(session)
        query = select(Case).where(Case.id.in_(visible))
        if status:
            query = query.where(Case.status == status)
        if q:
            query = query.where(
                or_(
                    Case.crime_ref.contains(q, autoescape=True),
                    Case.title.contains(q, autoescape=True),
                    Case.urn.contains(q.upper(), autoescape=True),
                )
            )
        after = _after(Case.created_at, Case.id, cursor)
        if after is not None:
            query = query.where(after)
        rows = list(session.scalars(query.order_by(Case.created_at, Case.id).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        views = [CaseView.of(c) for c in rows]
    vault.consulted(principal, "case.list", details={"count": len(views), "status": status, "q": q})
    return views, ((iso_utc(views[-1].created_at), views[-1].id) if more else None)


@cache
def _page_query(by_source: bool, after: bool) -> Select:
    """The page query with bound parameters, built once per shape: building a statement and
    its cache key cost about as much as running it. Plain columns, not ORM entities: a page
    is read-only and this is the hot path."""
    query = (
        select(
            Exhibit.id,
            Exhibit.case_id,
            Exhibit.ref,
            Exhibit.media_id,
            Exhibit.parent_exhibit_id,
            Exhibit.producer,
            Exhibit.description,
            Exhibit.classification,
            Exhibit.restricted,
            Exhibit.status,
            Exhibit.created_at,
            Blob.sha256,
            Blob.size,
            Blob.mime_type,
            Media.original_name,
            Media.source,
            Media.captured_at,
            Media.clock_offset_seconds,
            Media.captured_by,
            Media.device_id,
        )
        .join(Media, Media.id == Exhibit.media_id)
        .join(Blob, Blob.sha256 == Media.sha256)
        .where(Exhibit.case_id == bindparam("case_id"), visible_exhibit_clause(bindparam("user_id")))
    )
    if by_source:
        query = query.where(Media.source == bindparam("source"))
    if after:
        query = query.where(
            _beyond(Exhibit.created_at, Exhibit.id, bindparam("after_at"), bindparam("after_id"))
        )
    return query.order_by(Exhibit.created_at, Exhibit.id).limit(bindparam("limit"))


def page_exhibits(
    vault: Vault,
    principal: Principal,
    case_id: str,
    *,
    limit: int,
    cursor: Cursor | None = None,
    source: str | None = None,
    mime_type: str | None = None,
) -> tuple[list[ExhibitView], Cursor | None]:
    with vault.reading() as session:
        rows, more = exhibit_page_rows(
            session, principal, case_id, limit=limit, cursor=cursor, source=source, mime_type=mime_type
        )
        views = [ExhibitView(*row) for row in rows]
    vault.consulted(principal, "exhibit.list", case_id=case_id, details={"count": len(views)})
    return views, ((iso_utc(views[-1].created_at), views[-1].id) if more else None)


def exhibit_page_rows(
    session: Session,
    principal: Principal,
    case_id: str,
    *,
    limit: int,
    cursor: Cursor | None = None,
    source: str | None = None,
    mime_type: str | None = None,
) -> tuple[Sequence[Row], bool]:
    """A page of the case's exhibits as plain rows in ``ExhibitView``'s field order, and
    whether more follow. Authorises; logs nothing: the caller logs the consultation (one
    per page) before answering."""
    mime_type = _filter_text(mime_type, "mime_type")
    params: dict[str, object] = {"case_id": case_id, "user_id": principal.user_id, "limit": limit + 1}
    if source:
        params["source"] = str(domain.parse_source(source))
    if cursor is not None:
        params["after_at"], params["after_id"] = _cursor_values(cursor)
    query = _page_query(bool(source), cursor is not None)
    if mime_type:
        query = query.where(Blob.mime_type.startswith(mime_type.lower(), autoescape=True))
    # No standing in a case that does not exist, so this also answers "no such case"
    # (with the same words) without reading the case's row.
    principal.require(Permission.EXHIBIT_READ, session, case_id)
    # Core execution on the session's connection: plain rows need no ORM loading step.
    rows = session.connection().execute(query, params).all()
    more = len(rows) > limit
    return rows[:limit], more


def get_exhibit(vault: Vault, principal: Principal, exhibit_id: str) -> ExhibitView:
    with vault.reading() as session:
        exhibit = session.get(Exhibit, exhibit_id)
        if exhibit is None:
            raise NotFound("no such exhibit, or you may not see it")
        principal.require_exhibit(Permission.EXHIBIT_READ, session, exhibit)
        view = vault.evidence.exhibit_view(session, exhibit)
    vault.consulted(
        principal, "exhibit.view", case_id=view.case_id, exhibit_id=view.id, media_id=view.media_id
    )
    return view


def get_case(vault: Vault, principal: Principal, case_id: str) -> CaseView:
    with vault.reading() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound("no such case, or you are not assigned to it")
        principal.require(Permission.CASE_READ, session, case.id)
        view = CaseView.of(case)
    vault.consulted(principal, "case.view", case_id=view.id)
    return view


def update_case(
    vault: Vault, principal: Principal, case_id: str, *, status: str | None = None, title: str | None = None
) -> CaseView:
    """Change a case's status or title; the change is a continuity event."""
    new_status = None
    if status is not None:
        try:
            new_status = domain.CaseStatus(status)
        except ValueError:
            raise InvalidInput(
                "unknown status: use " + ", ".join(s.value for s in domain.CaseStatus)
            ) from None
    new_title = domain.validate_title(title) if title is not None else None
    with vault.reading() as session:
        principal.require(Permission.CASE_UPDATE, session, case_id)

    def work(ctx: WriteContext) -> CaseView:
        case = ctx.session.get(Case, case_id)
        if case is None:
            raise NotFound("no such case, or you are not assigned to it")
        changes: dict[str, dict[str, str]] = {}
        if new_status is not None and new_status != case.status:
            changes["status"] = {"from": case.status, "to": str(new_status)}
            case.status = str(new_status)
        if new_title is not None and new_title != case.title:
            changes["title"] = {"from": case.title, "to": new_title}
            case.title = new_title
        if changes:
            case.updated_at = vault.now()
            vault.record(
                ctx, principal, "case.update", EventClass.CONTINUITY, case_id=case_id, details=changes
            )
        return CaseView.of(case)

    return vault.write(work)


def parse_when(text: str | None, what: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = parse_iso(text)
    except ValueError:
        raise InvalidInput(f"{what} must be an ISO 8601 time, e.g. 2026-11-21T04:13:00Z") from None
    return moment
