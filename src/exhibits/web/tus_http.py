"""The HTTP side of tus 1.0 shared by officers' uploads (/api/v1/uploads) and the public
portal's files: the version header, the PATCH body type, and streaming a piece into a
service's append in a worker thread while the metrics count it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, BinaryIO, TypeVar

from fastapi import Depends, Header, Request

from exhibits.uploads import tus
from exhibits.web.streams import RequestBodyReader, run_with_body

OFFSET_TYPE = "application/offset+octet-stream"
TUS_HEADERS = {"Tus-Resumable": tus.TUS_VERSION}
T = TypeVar("T")


async def tus_version(tus_resumable: Annotated[str | None, Header()] = None) -> None:
    """A coroutine though it awaits nothing: FastAPI runs a plain function dependency in a
    worker thread, a thread hand-off on every tus request for a string comparison."""
    if tus_resumable != tus.TUS_VERSION:
        error = tus.UnsupportedVersion(f"this server speaks tus {tus.TUS_VERSION}: send Tus-Resumable: 1.0.0")
        error.headers = {"Tus-Version": tus.TUS_VERSION}  # type: ignore[attr-defined]
        raise error


Tus = Depends(tus_version)


def is_offset_body(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == OFFSET_TYPE


def piece_headers(request: Request) -> tuple[tuple[str, bytes] | None, int | None]:
    """A piece's ``Upload-Checksum`` and ``Content-Length``, checked (400 when malformed)."""
    checksum = tus.parse_checksum(request.headers.get("upload-checksum"))
    length_header = request.headers.get("content-length")
    content_length = tus.parse_length(length_header, "Content-Length") if length_header is not None else None
    return checksum, content_length


async def receive_piece(
    request: Request,
    append: Callable[[BinaryIO, tuple[str, bytes] | None, int | None], T],
    headers: tuple[tuple[str, bytes] | None, int | None] | None = None,
) -> T:
    """Run ``append(body, checksum, content_length)`` on the request's body in a thread.
    ``headers``: ``piece_headers(request)`` when the caller has already read them."""
    checksum, content_length = headers or piece_headers(request)
    metrics = request.app.state.metrics
    reader = RequestBodyReader(request.stream(), metrics.upload_bytes.inc)
    metrics.uploads.inc()
    try:
        return await run_with_body(reader, append, reader, checksum, content_length)
    finally:
        metrics.uploads.dec()
