"""The case page: its exhibits (thumbnail, type, duration, processing state; 50 a page), the
people on it and its custody trail. Every read goes through the services that authorise it
and log it (one consultation per list, not one per row)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from exhibits.evidence import queries
from exhibits.evidence.views import ExhibitView
from exhibits.processing.views import JobView, overall_state
from exhibits.web.pagination import decode_cursor, encode_cursor
from exhibits.webui import links
from exhibits.webui.pages.home import is_partner
from exhibits.webui.session import Viewer
from exhibits.webui.templating import render

router = APIRouter()
PAGE = 50
THUMBNAIL_KINDS = ("thumbnail", "poster")


@dataclass(frozen=True)
class ExhibitRow:
    exhibit: ExhibitView
    state: str
    duration: float | None
    thumbnail: str | None  # SHA-256 of a small picture derived from the content


def _latest_per_processor(jobs: list[JobView]) -> dict[str, list[JobView]]:
    """The newest job of each processor, by exhibit reference (``list_jobs`` is newest first)."""
    seen: set[tuple[str, str]] = set()
    by_ref: dict[str, list[JobView]] = {}
    for job in jobs:
        if (job.sha256, job.processor) in seen:
            continue
        seen.add((job.sha256, job.processor))
        for ref in job.refs:
            by_ref.setdefault(ref, []).append(job)
    return by_ref


def exhibit_rows(vault, principal, case_id: str, exhibits: list[ExhibitView]) -> list[ExhibitRow]:
    """Processing state, duration and thumbnail of listed exhibits (already authorised by the
    listing): one job query for the case, and the pipeline's facts and derivatives per item."""
    jobs = vault.processing.list_jobs(principal, case=case_id, limit=20 * PAGE)
    by_ref = _latest_per_processor(jobs)
    rows = []
    for exhibit in exhibits:
        facts = vault.processing.facts(exhibit.sha256, "probe").get("probe", {})
        thumbs = [d for d in vault.processing.derivatives(exhibit.sha256) if d.kind in THUMBNAIL_KINDS]
        rows.append(
            ExhibitRow(
                exhibit,
                overall_state(by_ref.get(exhibit.ref, [])),
                facts.get("duration"),
                thumbs[0].sha256 if thumbs else None,
            )
        )
    return rows


def _case_page(vault, principal, case_id: str, after: str | None):
    case = queries.get_case(vault, principal, case_id)
    cursor = decode_cursor(after, (str, str))
    exhibits, more = queries.page_exhibits(
        vault, principal, case.id, limit=PAGE, cursor=tuple(cursor) if cursor else None
    )
    rows = exhibit_rows(vault, principal, case.id, exhibits)
    people = vault.access.need_to_know.assignments(principal, case.id)
    return case, rows, (encode_cursor(*more) if more else None), people


@router.get("/cases/{case_id}", name="case")
async def case_page(request: Request, case_id: str, caller: Viewer, after: str | None = None) -> Response:
    vault = request.app.state.vault
    if is_partner(caller.principal):  # partners see a case through what was shared with them
        return RedirectResponse(f"/shared/{quote(case_id, safe='')}", status_code=303)
    case, rows, more, people = await run_in_threadpool(_case_page, vault, caller.principal, case_id, after)
    next_url = f"/cases/{case.id}?after={more}" if more else None
    return render(
        request,
        "cases/case.html",
        {
            "case": case,
            "rows": rows,
            "next_url": next_url,
            "people": people,
            "first_page": after is None,
            "case_links": links.case_links(case.id),
        },
    )


def _trail(vault, principal, case_id: str, page: int):
    case = queries.get_case(vault, principal, case_id)
    events = vault.custody.case_trail(principal, case.id, continuity_only=False)
    events = list(reversed(events))  # newest first
    start = (page - 1) * PAGE
    return case, events[start : start + PAGE], len(events) > start + PAGE


@router.get("/cases/{case_id}/custody", name="case_custody")
async def case_custody(request: Request, case_id: str, caller: Viewer, page: int = 1) -> Response:
    vault = request.app.state.vault
    page = max(1, min(page, 10_000))
    case, events, more = await run_in_threadpool(_trail, vault, caller.principal, case_id, page)
    next_url = f"/cases/{case.id}/custody?page={page + 1}" if more else None
    return render(request, "cases/custody.html", {"case": case, "events": events, "next_url": next_url})
