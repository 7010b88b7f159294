"""Resumable uploads: tus 1.0.0 with creation, creation-with-upload, checksum (sha1, sha256),
termination and expiration, so tus-js-client, TUSKit, tus-android-client and tuspy work unchanged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from exhibits.access.permissions import Permission
from exhibits.access.principal import Principal
from exhibits.errors import ExhibitsError, InvalidInput, TooLarge
from exhibits.uploads import tus
from exhibits.uploads.service import UploadView
from exhibits.web.api.schemas import UploadOut
from exhibits.web.auth import Caller, OwnCall, owns, public, requires
from exhibits.web.problems import PREFIX_HEADERS
from exhibits.web.streams import BodyInterrupted
from exhibits.web.tus_http import OFFSET_TYPE, TUS_HEADERS, Tus, is_offset_body, piece_headers, receive_piece

router = APIRouter(prefix="/api/v1/uploads", tags=["uploads"])
UploadId = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]


class UnsupportedMediaType(ExhibitsError):
    kind = "unsupported-media-type"
    status = 415
    exit_code = 2


Uploader = Annotated[Caller, requires(Permission.EXHIBIT_ADD, "upload")]
Owner = Annotated[OwnCall, owns(Permission.ACCOUNT_SELF)]


def _http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def _progress_headers(view: UploadView) -> dict[str, str]:
    headers = {
        **TUS_HEADERS,
        "Upload-Offset": str(view.offset),
        "Upload-Length": str(view.length),
        "Cache-Control": "no-store",
    }
    if view.status == "receiving":
        headers["Upload-Expires"] = _http_date(view.expires_at)
    if view.status == "complete":
        headers.update(
            {"Exhibits-Sha256": view.sha256 or "", "Exhibits-Media-Id": view.media_id or ""}
            | ({"Exhibits-Exhibit-Id": view.exhibit_id, "Exhibits-Ref": view.ref} if view.exhibit_id else {})  # type: ignore[dict-item]
        )
    return headers


@router.options("", status_code=204, dependencies=[public("tus discovery: what this server supports")])
async def discover(request: Request) -> Response:
    vault = request.app.state.vault
    return Response(
        status_code=204,
        headers={
            **TUS_HEADERS,
            "Tus-Version": tus.TUS_VERSION,
            "Tus-Extension": ",".join(tus.EXTENSIONS),
            "Tus-Max-Size": str(vault.uploads.max_size),
            "Tus-Checksum-Algorithm": ",".join(tus.CHECKSUM_ALGORITHMS),
        },
    )


async def _append(
    request: Request,
    principal_in: Callable[[Any], Principal],
    upload_id: str,
    offset: int,
    headers: tuple[tuple[str, bytes] | None, int | None] | None = None,
) -> UploadView:
    """Receive a piece while a worker thread checks the caller (``principal_in(session)``)
    and reads the upload in one read session, then appends: one trip to a thread."""
    vault = request.app.state.vault

    def append(body: Any, checksum: tuple[str, bytes] | None, length: int | None) -> UploadView:
        with vault.reading() as session:
            principal = principal_in(session)
            row = vault.uploads.own(principal, upload_id, session)
        return vault.uploads.append(principal, row, offset, body, checksum, length)

    return await receive_piece(request, append, headers)


@router.post("", status_code=201, dependencies=[Tus])
async def create(
    request: Request,
    caller: Uploader,
    upload_length: Annotated[str | None, Header()] = None,
    upload_defer_length: Annotated[str | None, Header()] = None,
    upload_metadata: Annotated[str | None, Header(max_length=tus.MAX_METADATA_BYTES)] = None,
) -> Response:
    """tus creation: ``Upload-Length`` and ``Upload-Metadata`` (filename, case, producer,
    source, description, captured_at, device, sha256). Everything about the future exhibit
    is checked now, before any byte is accepted."""
    vault = request.app.state.vault
    if upload_defer_length is not None:
        raise InvalidInput("this server needs Upload-Length when the upload is created")
    length = tus.parse_length(upload_length, "Upload-Length")
    if length > vault.uploads.max_size:
        raise TooLarge(f"{length:,} bytes is over the {vault.uploads.max_size:,}-byte limit")
    metadata = tus.parse_metadata(upload_metadata)
    view = await run_in_threadpool(vault.uploads.create, caller.principal, length, metadata)
    base = request.app.state.api_settings.public_url or str(request.base_url)
    location = base.rstrip("/") + f"/api/v1/uploads/{view.id}"
    if is_offset_body(request):  # creation-with-upload: the first bytes come with the request
        try:
            view = await _append(request, lambda _session: caller.principal, view.id, 0)
        except (tus.ChecksumMismatch, BodyInterrupted):
            view = await run_in_threadpool(vault.uploads.status, caller.principal, view.id)
    return Response(status_code=201, headers={**_progress_headers(view), "Location": location})


@router.head("/{upload_id}", dependencies=[Tus], response_class=Response)
async def offset(request: Request, upload_id: UploadId, owner: Owner) -> Response:
    """Where the upload stands (``Upload-Offset``): resume from there."""
    uploads = request.app.state.vault.uploads
    view = await owner.run(lambda principal: uploads.status(principal, upload_id))
    return Response(status_code=200, headers=_progress_headers(view))


@router.patch("/{upload_id}", status_code=204, dependencies=[Tus], response_class=Response)
async def append(
    request: Request,
    upload_id: UploadId,
    owner: Owner,
    upload_offset: Annotated[str | None, Header()] = None,
) -> Response:
    """Send bytes from ``Upload-Offset`` (``Content-Type: application/offset+octet-stream``,
    optionally ``Upload-Checksum: sha256 <base64>``). The last piece completes the upload:
    it becomes an exhibit (or unassigned media), and the answer names it."""
    try:
        if not is_offset_body(request):
            raise UnsupportedMediaType(f"PATCH bodies must be {OFFSET_TYPE}")
        offset_value = tus.parse_length(upload_offset, "Upload-Offset")
        headers = piece_headers(request)
    except ExhibitsError:
        await owner.check()  # a caller not allowed in is refused first, as before
        raise
    view = await _append(request, owner.principal, upload_id, offset_value, headers)
    return Response(status_code=204, headers=_progress_headers(view))


@router.delete("/{upload_id}", status_code=204, dependencies=[Tus], response_class=Response)
async def terminate(request: Request, upload_id: UploadId, owner: Owner) -> Response:
    """tus termination: the partial bytes are removed (a completed upload is evidence and stays)."""
    uploads = request.app.state.vault.uploads
    await owner.run(lambda principal: uploads.terminate(principal, upload_id))
    return Response(status_code=204, headers=TUS_HEADERS)


@router.get("/{upload_id}")
async def upload_status(request: Request, upload_id: UploadId, owner: Owner) -> UploadOut:
    """The upload's state as JSON, with the exhibit it became once complete."""
    uploads = request.app.state.vault.uploads
    view = await owner.run(lambda principal: uploads.status(principal, upload_id))
    return UploadOut(**view.as_dict())


PREFIX_HEADERS["/api/v1/uploads"] = dict(TUS_HEADERS)
