"""Home: my cases, and what needs my attention."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from exhibits.evidence import queries
from exhibits.webui.session import Viewer
from exhibits.webui.templating import render

router = APIRouter()
PAGE = 50


@router.get("/", name="home")
async def home(request: Request, caller: Viewer) -> Response:
    vault = request.app.state.vault
    cases, more = await run_in_threadpool(lambda: queries.page_cases(vault, caller.principal, limit=PAGE))
    return render(request, "home.html", {"cases": cases, "more": more is not None})
