"""Serving stored content: single byte ranges (so video elements can seek), ETag = SHA-256,
the recorded Content-Type, a Content-Disposition that is safe whatever the original name
was, and no caching anywhere."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from exhibits.errors import ExhibitsError

PIECE = 1024 * 1024
_RANGE = re.compile(r"^bytes=(\d{0,19})-(\d{0,19})$")
# Shown in the browser; anything else (HTML, SVG, scripts...) is only ever downloaded.
INLINE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "video/", "audio/", "text/plain",
                "application/pdf")  # fmt: skip


class RangeNotSatisfiable(ExhibitsError):
    kind = "range-not-satisfiable"
    status = 416
    exit_code = 2

    def __init__(self, message: str, *, size: int) -> None:
        super().__init__(message, size=size)
        self.headers = {"Content-Range": f"bytes */{size}"}


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one byte range asked for, as (first, last) inclusive; None for the whole content.

    Several ranges in one request are answered with the whole content (RFC 9110 lets a
    server ignore Range); a malformed or unsatisfiable range is refused with 416.
    """
    if header is None:
        return None
    value = header.strip().replace(" ", "")
    if value.startswith("bytes=") and "," in value:
        return None
    match = _RANGE.match(value)
    if not match or (not match.group(1) and not match.group(2)):
        raise RangeNotSatisfiable("the Range header is not a single 'bytes=first-last' range", size=size)
    first_text, last_text = match.groups()
    if not first_text:  # suffix: the last N bytes
        length = int(last_text)
        if length == 0:
            raise RangeNotSatisfiable("an empty suffix range", size=size)
        return max(0, size - length), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if first > last or first >= size:
        raise RangeNotSatisfiable(f"the range is outside the {size}-byte content", size=size)
    return first, min(last, size - 1)


def safe_filename(name: str | None, fallback: str = "exhibit") -> str:
    """The last part of a name, without control, format or path characters."""
    text = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(
        c if unicodedata.category(c)[0] not in "CZ" or c == " " else "_"
        for c in unicodedata.normalize("NFC", text)
    )
    text = text.replace('"', "_").replace(";", "_").replace(",", "_").strip(" .")
    return text[:150] or fallback


def content_disposition(name: str | None, mime_type: str) -> str:
    safe = safe_filename(name)
    ascii_name = unicodedata.normalize("NFKD", safe).encode("ascii", "ignore").decode() or "exhibit"
    ascii_name = re.sub(r"[^A-Za-z0-9._ ()\-]", "_", ascii_name)
    disposition = "inline" if mime_type.startswith(INLINE_TYPES) else "attachment"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(safe, safe='')}"


def content_response(
    vault, sha256: str, size: int, mime_type: str, filename: str, range_header: str | None,
    if_none_match: str | None = None, head: bool = False,
) -> Response:  # fmt: skip
    etag = f'"{sha256}"'
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Cache-Control": "no-store",
        "Content-Disposition": content_disposition(filename, mime_type),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Referrer-Policy": "no-referrer",
    }
    if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    span = parse_range(range_header, size)
    status = 200
    first, last = 0, size - 1
    if span is not None:
        first, last = span
        status = 206
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    headers["Content-Length"] = str(last - first + 1)
    if head:
        return Response(status_code=status, headers=headers, media_type=mime_type)
    return StreamingResponse(
        _pieces(vault, sha256, first, last), status_code=status, headers=headers, media_type=mime_type
    )


async def _pieces(vault, sha256: str, first: int, last: int) -> AsyncIterator[bytes]:
    handle = await run_in_threadpool(vault.blobs.open, sha256)
    try:
        await run_in_threadpool(handle.seek, first)
        remaining = last - first + 1
        while remaining > 0:
            piece = await run_in_threadpool(handle.read, min(PIECE, remaining))
            if not piece:
                break  # the store holds less than recorded: verify will report it
            remaining -= len(piece)
            yield piece
    finally:
        await run_in_threadpool(handle.close)
