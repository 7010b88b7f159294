"""HTTP routes of the public evidence portal under /api/v1/portal.

Public routes carry the member of the public's token in the path (``/s/{token}``): it opens
that one submission and nothing else, and the request log records route templates, never the
token. Every public route is rate-limited per address, and routes with a token per link.
Files use tus 1.0.0 (creation, checksum, termination) exactly as /api/v1/uploads does, so
tus-js-client works unchanged. Officer routes declare ``portal:triage`` or ``portal:manage``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from exhibits.access.permissions import Permission
from exhibits.errors import InvalidInput, TooLarge
from exhibits.portal.plugin import portal
from exhibits.portal.service import UnsupportedMediaType
from exhibits.portal.views import FileView
from exhibits.uploads import tus
from exhibits.web.auth import Caller, public, requires
from exhibits.web.content import content_response
from exhibits.web.problems import PREFIX_HEADERS
from exhibits.web.streams import BodyInterrupted
from exhibits.web.tus_http import OFFSET_TYPE, TUS_HEADERS, Tus, is_offset_body, receive_piece

PREFIX = "/api/v1/portal"
router = APIRouter(prefix=PREFIX, tags=["public evidence portal"])
Token = Annotated[str, Path(min_length=8, max_length=100, pattern=r"^pub_[A-Za-z0-9_-]+$")]
FileId = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]
SubmissionId = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]
Slug = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$")]
NO_STORE = {"Cache-Control": "no-store"}


def _address(request: Request) -> str:
    peer = request.client.host if request.client else None
    return portal(request.app.state.vault).client_address(peer, request.headers.get("x-forwarded-for"))


def _limited(starting: bool = False) -> Any:
    async def dependency(request: Request) -> None:
        service = portal(request.app.state.vault)
        service.limit_address(_address(request), starting=starting)
        token = request.path_params.get("token")
        if token:
            service.limit_link(str(token))

    return Depends(dependency)


PUBLIC_LINK = public("the member of the public's token in the path opens their own submission only")
Limited = _limited()
Starting = _limited(starting=True)
Triager = Annotated[Caller, requires(Permission.PORTAL_TRIAGE)]
Manager = Annotated[Caller, requires(Permission.PORTAL_MANAGE)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewRequest(_Body):
    form: str = "dashcam"
    case: str | None = Field(default=None, max_length=100)
    appeal: str | None = Field(default=None, max_length=300)


class PageIn(_Body):
    form: str = "dashcam"
    title: str | None = Field(default=None, max_length=200)
    enabled: bool = True


class CodeIn(_Body):
    code: str = Field(min_length=4, max_length=40)


class Details(_Body):
    submitter: dict[str, Any]
    answers: dict[str, Any]


class Declaration(_Body):
    true_statement: bool
    over_18: bool
    signature: str = Field(max_length=200)
    willing_to_attend_court: bool | None = None


class Accept(_Body):
    case: str | None = Field(default=None, max_length=100)


class Reject(_Body):
    reason: str = Field(min_length=1, max_length=2000)


def _link(request: Request, token: str) -> str:
    base = request.app.state.api_settings.public_url or str(request.base_url)
    return base.rstrip("/") + f"/portal/s/{token}"


def _questions(service, form_name: str) -> dict[str, Any]:
    form = service.form(form_name)
    return {
        "title": form.title,
        "driving": form.driving,
        "questions": [q.model_dump() for q in form.questions],
    }


# --- officers ---------------------------------------------------------------------------------


@router.post("/requests", status_code=201)
async def create_request(request: Request, body: NewRequest, caller: Triager) -> dict[str, Any]:
    """Ask a member of the public for evidence: a link (single submission, expiring) and a short
    code to send by SMS or email. Shown once: only their SHA-256 is kept."""
    service = portal(request.app.state.vault)
    view, token, code = await run_in_threadpool(
        lambda: service.create_request(caller.principal, form=body.form, case=body.case, appeal=body.appeal)
    )
    return {
        "id": view.id,
        "reference": view.reference,
        "url": _link(request, token),
        "token": token,
        "code": code,
        "expires_at": view.as_dict()["expires_at"],
    }


@router.put("/pages/{slug}")
async def set_page(request: Request, slug: Slug, body: PageIn, caller: Manager) -> dict[str, Any]:
    """Open or close a standing public page (``/portal/p/{slug}``)."""
    service = portal(request.app.state.vault)
    return await run_in_threadpool(
        lambda: service.set_page(
            caller.principal, slug, form=body.form, title=body.title, enabled=body.enabled
        )
    )


@router.get("/submissions")
async def queue(
    request: Request,
    caller: Triager,
    status: Literal["open", "submitted", "accepted", "rejected"] = "submitted",
) -> dict[str, Any]:
    """The triage queue: the soonest Notice of Intended Prosecution deadline first."""
    vault = request.app.state.vault
    views = await run_in_threadpool(lambda: portal(vault).queue(caller.principal, status=status))
    now = vault.now()
    return {"items": [v.as_dict(now) for v in views]}


@router.get("/submissions/{submission_id}")
async def submission(request: Request, submission_id: SubmissionId, caller: Triager) -> dict[str, Any]:
    vault = request.app.state.vault
    view = await run_in_threadpool(portal(vault).get, caller.principal, submission_id)
    return view.as_dict(vault.now())


@router.get("/submissions/{submission_id}/files/{file_id}", response_class=Response)
async def review_file(
    request: Request, submission_id: SubmissionId, file_id: FileId, caller: Triager
) -> Response:
    """A received file's bytes for triage (single Range requests, so a video element can seek).
    A request from the start is one consultation event; the player's later ranges continue it."""
    vault = request.app.state.vault
    range_header = request.headers.get("range")
    fresh = range_header is None or range_header.replace(" ", "").startswith("bytes=0-")
    view = await run_in_threadpool(
        lambda: portal(vault).review_file(caller.principal, submission_id, file_id, log=fresh)
    )
    assert view.sha256 is not None
    return content_response(
        vault, view.sha256, view.length, view.mime_type or "application/octet-stream", view.name or "file",
        range_header,
    )  # fmt: skip


@router.post("/submissions/{submission_id}/accept")
async def accept(
    request: Request, submission_id: SubmissionId, body: Accept, caller: Triager
) -> dict[str, Any]:
    """Into a case: the files become exhibits (source "public submission"), with a draft MG11."""
    vault = request.app.state.vault
    view = await run_in_threadpool(portal(vault).accept, caller.principal, submission_id, body.case)
    return view.as_dict(vault.now())


@router.post("/submissions/{submission_id}/reject")
async def reject(
    request: Request, submission_id: SubmissionId, body: Reject, caller: Triager
) -> dict[str, Any]:
    vault = request.app.state.vault
    view = await run_in_threadpool(portal(vault).reject, caller.principal, submission_id, body.reason)
    return view.as_dict(vault.now())


# --- the public ---------------------------------------------------------------------------------


@router.get("/pages/{slug}", dependencies=[public("a standing public page"), Limited])
async def page(request: Request, slug: Slug) -> dict[str, Any]:
    service = portal(request.app.state.vault)
    found = await run_in_threadpool(service.page, slug)
    return {**found, **_questions(service, found["form"])}


@router.post(
    "/pages/{slug}/submissions", status_code=201, dependencies=[public("anyone may start a report"), Starting]
)
async def start(request: Request, slug: Slug) -> Response:
    """Start a report on a standing page: a new submission with its own token."""
    service = portal(request.app.state.vault)
    view, token = await run_in_threadpool(service.start_from_page, slug)
    body = {"reference": view.reference, "token": token, "url": _link(request, token)}
    return _json(body, 201)


@router.post("/codes", dependencies=[public("a short code from a letter or text message"), Starting])
async def redeem(request: Request, body: CodeIn) -> Response:
    """Exchange a short code for a token that opens its submission (guesses are rate-limited)."""
    token = await run_in_threadpool(portal(request.app.state.vault).redeem_code, body.code)
    return _json({"token": token, "url": _link(request, token)})


@router.get("/s/{token}", dependencies=[PUBLIC_LINK, Limited])
async def own_submission(request: Request, token: Token) -> Response:
    """Their own submission, until it is submitted: questions, answers so far, files."""
    service = portal(request.app.state.vault)
    view = await run_in_threadpool(service.open, token)
    return _json({**view.public_dict(), **_questions(service, view.form), "declaration_text": _declaration()})


@router.put("/s/{token}", dependencies=[PUBLIC_LINK, Limited])
async def save(request: Request, token: Token, body: Details) -> Response:
    service = portal(request.app.state.vault)
    await run_in_threadpool(service.save, token, body.submitter, body.answers)
    view = await run_in_threadpool(service.open, token)
    return _json(view.public_dict())


@router.post("/s/{token}/submit", dependencies=[PUBLIC_LINK, Limited])
async def submit(request: Request, token: Token, body: Declaration) -> Response:
    """The witness declaration; the answer is the receipt (reference, SHA-256 of each file)."""
    receipt = await run_in_threadpool(portal(request.app.state.vault).submit, token, body.model_dump())
    return _json(receipt.as_dict())


def _declaration() -> str:
    from exhibits.portal.forms import DECLARATION

    return DECLARATION


def _json(body: dict[str, Any], status: int = 200) -> Response:
    import orjson

    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=NO_STORE)


# --- the public: files over tus ---------------------------------------------------------------


def _progress(view: FileView) -> dict[str, str]:
    headers = {
        **TUS_HEADERS,
        **NO_STORE,
        "Upload-Offset": str(view.offset),
        "Upload-Length": str(view.length),
    }
    if view.status == "complete" and view.sha256:
        headers["Exhibits-Sha256"] = view.sha256
    return headers


async def _append(request: Request, token: str, file_id: str, offset: int) -> FileView:
    service = portal(request.app.state.vault)
    return await receive_piece(
        request, lambda body, checksum, length: service.append(token, file_id, offset, body, checksum, length)
    )


@router.post("/s/{token}/files", status_code=201, dependencies=[PUBLIC_LINK, Limited, Tus])
async def create_file(
    request: Request,
    token: Token,
    upload_length: Annotated[str | None, Header()] = None,
    upload_defer_length: Annotated[str | None, Header()] = None,
    upload_metadata: Annotated[str | None, Header(max_length=tus.MAX_METADATA_BYTES)] = None,
) -> Response:
    """tus creation (``filename`` metadata only); creation-with-upload is accepted too."""
    service = portal(request.app.state.vault)
    if upload_defer_length is not None:
        raise InvalidInput("this server needs Upload-Length when the upload is created")
    length = tus.parse_length(upload_length, "Upload-Length")
    if length > service.settings.max_file_bytes:
        raise TooLarge(f"{length:,} bytes is over the {service.settings.max_file_bytes:,}-byte limit")
    metadata = tus.parse_metadata(upload_metadata)
    view = await run_in_threadpool(service.create_file, token, length, metadata.get("filename"))
    base = request.app.state.api_settings.public_url or str(request.base_url)
    location = base.rstrip("/") + f"{PREFIX}/s/{token}/files/{view.id}"
    if is_offset_body(request):
        try:
            view = await _append(request, token, view.id, 0)
        except (tus.ChecksumMismatch, BodyInterrupted):
            view = await run_in_threadpool(service.file_status, token, view.id)
    return Response(status_code=201, headers={**_progress(view), "Location": location})


@router.head("/s/{token}/files/{file_id}", dependencies=[PUBLIC_LINK, Limited, Tus], response_class=Response)
async def file_offset(request: Request, token: Token, file_id: FileId) -> Response:
    view = await run_in_threadpool(portal(request.app.state.vault).file_status, token, file_id)
    return Response(status_code=200, headers=_progress(view))


@router.patch(
    "/s/{token}/files/{file_id}",
    status_code=204,
    dependencies=[PUBLIC_LINK, Limited, Tus],
    response_class=Response,
)
async def file_append(
    request: Request, token: Token, file_id: FileId, upload_offset: Annotated[str | None, Header()] = None
) -> Response:
    """Bytes from ``Upload-Offset``; the first kilobytes must be a video, photograph or sound
    recording (decided from the bytes), and the last byte answers with ``Exhibits-Sha256``."""
    if not is_offset_body(request):
        raise UnsupportedMediaType(f"PATCH bodies must be {OFFSET_TYPE}")
    offset = tus.parse_length(upload_offset, "Upload-Offset")
    view = await _append(request, token, file_id, offset)
    return Response(status_code=204, headers=_progress(view))


@router.delete(
    "/s/{token}/files/{file_id}",
    status_code=204,
    dependencies=[PUBLIC_LINK, Limited, Tus],
    response_class=Response,
)
async def file_remove(request: Request, token: Token, file_id: FileId) -> Response:
    """tus termination: take a file back before submitting."""
    await run_in_threadpool(portal(request.app.state.vault).remove_file, token, file_id)
    return Response(status_code=204, headers=TUS_HEADERS)


PREFIX_HEADERS[f"{PREFIX}/s"] = dict(TUS_HEADERS)
