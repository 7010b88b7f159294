"""Home: my cases, and what needs my attention (failed processing, redactions awaiting review,
shares about to expire).
Partners (prosecutors, defence) see the cases shared with them, with each share's expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from exhibits.access.permissions import EXTERNAL_ROLES
from exhibits.errors import ExhibitsError
from exhibits.evidence import queries
from exhibits.webui.session import Viewer
from exhibits.webui.templating import render

router = APIRouter()
PAGE = 50
ATTENTION_CASES = 10  # the most recent cases looked at for things needing attention
EXPIRY_WARNING = timedelta(days=7)


@dataclass(frozen=True)
class Attention:
    case: Any
    failed: list  # JobView
    expiring: list  # ShareView
    review: list  # redaction SetView with proposals nobody has decided yet


def is_partner(principal) -> bool:
    return bool(set(principal.roles) & EXTERNAL_ROLES)


def _attention(vault, principal, cases) -> list[Attention]:
    soon = datetime.now(UTC) + EXPIRY_WARNING
    found = []
    for case in list(reversed(cases))[:ATTENTION_CASES]:
        failed = vault.processing.list_jobs(principal, case=case.id, status="failed", limit=20)
        try:
            shares = vault.casefile.sharing.list(principal, case.id)
        except ExhibitsError:  # may not manage shares on this case
            shares = []
        expiring = [s for s in shares if s.active and s.expires_at <= soon]
        try:
            sets = vault.redaction.list_sets(principal, case.id)
        except ExhibitsError:
            sets = []
        review = [s for s in sets if s.counts.get("by_state", {}).get("proposed")]
        if failed or expiring or review:
            found.append(Attention(case, failed, expiring, review))
    return found


def _officer_home(vault, principal) -> dict[str, Any]:
    cases, more = queries.page_cases(vault, principal, limit=PAGE)
    return {"cases": cases, "more": more is not None, "attention": _attention(vault, principal, cases)}


@router.get("/", name="home")
async def home(request: Request, caller: Viewer) -> Response:
    vault = request.app.state.vault
    if is_partner(caller.principal):
        shared = await run_in_threadpool(vault.casefile.sharing.partner_cases, caller.principal)
        return render(request, "shared/home.html", {"shared": shared})
    context = await run_in_threadpool(_officer_home, vault, caller.principal)
    return render(request, "home.html", context)
