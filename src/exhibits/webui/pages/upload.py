"""Capture and upload from the phone: take a photo or video or pick files; each file goes up
resumably over tus (``/api/v1/uploads``, the API's own endpoint, with the session's CSRF
token) and its exhibit reference shows as soon as it completes. The upload service checks
the case, the producer and the permission when the upload is created, before any byte."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from exhibits.evidence import domain, queries
from exhibits.webui.session import Viewer
from exhibits.webui.templating import render

router = APIRouter()


def default_producer(principal) -> str:
    return f"{principal.collar} {principal.name}"


@router.get("/cases/{case_id}/upload", name="upload")
async def upload_page(request: Request, case_id: str, caller: Viewer) -> Response:
    vault = request.app.state.vault
    case = await run_in_threadpool(queries.get_case, vault, caller.principal, case_id)
    sources = [(s.value, s.label) for s in domain.Source if s is not domain.Source.PUBLIC]
    return render(
        request,
        "upload/upload.html",
        {
            "case": case,
            "producer": default_producer(caller.principal),
            "sources": sources,
            "max_size": vault.uploads.max_size,
        },
    )
