"""What partners (CPS prosecutors, defence) see: only the cases and items shared with them,
with each share's expiry, and downloads only where the share allows. Everything goes through
``casefile.sharing``, which checks the share and logs each access with the partner's identity."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from exhibits.errors import NotFound
from exhibits.web.content import content_response
from exhibits.webui.session import Viewer
from exhibits.webui.templating import render

router = APIRouter()


def _shared_case(vault, principal, case_id: str) -> dict[str, Any]:
    sharing = vault.casefile.sharing
    items = sharing.partner_items(principal, case_id)
    cases = {c["case_id"]: c for c in sharing.partner_cases(principal)}
    case = cases.get(case_id) or next((c for c in cases.values() if c["crime_ref"] == case_id), None)
    return {"case": case, "items": items, "expires": sorted({i["expires_at"] for i in items})}


@router.get("/shared/{case_id}", name="shared_case")
async def shared_case(request: Request, case_id: str, caller: Viewer) -> Response:
    vault = request.app.state.vault
    context = await run_in_threadpool(_shared_case, vault, caller.principal, case_id)
    return render(request, "shared/case.html", context)


@router.get("/shared/{case_id}/items/{item:path}", name="shared_item")
async def shared_item(request: Request, case_id: str, item: str, caller: Viewer) -> Response:
    """The justification prompt before a shared item opens."""
    vault = request.app.state.vault
    context = await run_in_threadpool(_shared_case, vault, caller.principal, case_id)
    found = next((i for i in context["items"] if item in (i.get("exhibit"), i.get("sha256"))), None)
    if found is None:
        raise NotFound("nothing by that name has been shared with you in this case")
    justification = request.query_params.get("justification", "").strip()[:2000]
    context.update(item=found, key=item, justification=justification)
    return render(request, "shared/item.html", context)


@router.get("/shared/{case_id}/content/{item:path}", name="shared_content")
async def shared_content(request: Request, case_id: str, item: str, caller: Viewer) -> Response:
    """The shared content itself (Range requests for the player; never cached). Each fetch is
    checked against the share and logged, with the reason given on the item page."""
    vault = request.app.state.vault
    download = request.query_params.get("download") == "1"
    justification = request.query_params.get("justification", "").strip()[:2000] or None
    result = await run_in_threadpool(
        lambda: vault.casefile.sharing.authorise_content(
            caller.principal, case_id, item, download=download, justification=justification
        )
    )
    return content_response(
        vault,
        result["sha256"],
        result["size"],
        result["mime_type"],
        item if download else None,
        request.headers.get("range"),
        request.headers.get("if-none-match"),
    )
