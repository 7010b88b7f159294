"""RFC 9457 problem details: every error a client sees, with a stable ``type`` per kind.

No stack trace, file path or SQL ever reaches a client: anything that is not an
``ExhibitsError`` is logged with the request id and answered as ``internal-error``.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from exhibits.errors import ExhibitsError
from exhibits.web.logs import request_id

log = logging.getLogger("exhibits.web")

PROBLEM_TYPE = "urn:exhibits:problem:"
MEDIA_TYPE = "application/problem+json"

TITLES = {
    "invalid-input": "The request is not valid",
    "not-found": "Not found",
    "forbidden": "Not allowed",
    "unauthenticated": "Sign-in needed",
    "conflict": "Conflict with the current state",
    "too-large": "Too large",
    "too-many-requests": "Too many requests",
    "integrity-failure": "Stored evidence failed its integrity check",
    "configuration": "The server is not configured correctly",
    "justification-required": "A justification is needed",
    "second-factor-required": "Second factor needed",
    "second-factor-enrolment-required": "Second factor must be set up",
    "csrf-failed": "Cross-site request refused",
    "grant-expired": "Access link expired",
    "checksum-mismatch": "Checksum mismatch",
    "offset-mismatch": "Upload offset mismatch",
    "unsupported-tus-version": "Unsupported tus version",
    "upload-gone": "Upload gone",
    "range-not-satisfiable": "Range not satisfiable",
    "unsupported-media-type": "Unsupported media type",
    "method-not-allowed": "Method not allowed",
    "headers-too-large": "Request headers too large",
    "internal-error": "Internal error",
    "error": "Error",
}

_STATUS_KINDS = {
    400: "invalid-input",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    416: "range-not-satisfiable",
    422: "invalid-input",
}

# Detail fields that are for the server's own audit, never for the client.
_PRIVATE_DETAIL = {"refused", "case_id", "exhibit_id"}


def problem(
    status: int,
    kind: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + kind,
        "title": TITLES.get(kind, "Error"),
        "status": status,
        "detail": detail,
    }
    rid = request_id.get()
    if rid:
        body["instance"] = f"urn:exhibits:request:{rid}"
        body["request_id"] = rid
    if extra:
        body.update({k: v for k, v in extra.items() if k not in body})
    return Response(orjson.dumps(body), status_code=status, media_type=MEDIA_TYPE, headers=headers)


def from_error(exc: ExhibitsError, headers: dict[str, str] | None = None) -> Response:
    extra = {k: v for k, v in exc.detail.items() if k not in _PRIVATE_DETAIL}
    status = exc.status if 400 <= exc.status <= 599 else 500
    merged = {**(getattr(exc, "headers", None) or {}), **(headers or {})}
    if status == 401:
        merged.setdefault("WWW-Authenticate", 'Bearer realm="exhibits"')
    return problem(status, exc.kind, exc.message, headers=merged or None, extra=extra or None)


# Headers that every answer under a path prefix carries, errors included (tus: Tus-Resumable).
PREFIX_HEADERS: dict[str, dict[str, str]] = {}


def route_headers(request: Request) -> dict[str, str] | None:
    path = request.scope.get("path", "")
    for prefix, headers in PREFIX_HEADERS.items():
        if path == prefix or path.startswith(prefix + "/"):
            return headers
    return None


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Where and what, without echoing the input back (it may be large or hostile)."""
    out = []
    for error in exc.errors()[:20]:
        loc = [str(part) for part in error.get("loc", ())]
        out.append({"location": loc, "message": str(error.get("msg", "invalid"))[:300]})
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(ExhibitsError)
    async def on_exhibits_error(request: Request, exc: ExhibitsError) -> Response:
        if exc.status >= 500:
            log.error("server-side failure: %s", exc.kind, extra={"kind": exc.kind})
        await _audit_refusal(request, exc)
        return from_error(exc, route_headers(request))

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> Response:
        return problem(
            422,
            "invalid-input",
            "the request does not match the API",
            headers=route_headers(request),
            extra={"errors": _validation_errors(exc)},
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        kind = _STATUS_KINDS.get(exc.status_code, "error")
        detail = {
            404: "no such resource",
            405: "this resource does not accept that method",
        }.get(exc.status_code, str(exc.detail)[:300] if isinstance(exc.detail, str) else "error")
        headers = {**(getattr(exc, "headers", None) or {}), **(route_headers(request) or {})}
        return problem(exc.status_code, kind, detail, headers=headers or None)

    @app.exception_handler(DataError)
    async def on_data_error(request: Request, exc: DataError) -> Response:
        # The database refused a value (a NUL character, a number out of range): the client's input.
        return problem(422, "invalid-input", "a value in the request cannot be stored or searched for")

    @app.exception_handler(Exception)
    async def on_bug(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error answering %s", request.scope.get("route_name", "?"))
        return problem(500, "internal-error", "something went wrong on the server; quote the request id")


async def _audit_refusal(request: Request, exc: ExhibitsError) -> None:
    """A signed-in person was refused something about a case or an exhibit: log the attempt."""
    permission = exc.detail.get("refused")
    caller = getattr(request.state, "caller", None)
    if not permission or caller is None:
        return
    from starlette.concurrency import run_in_threadpool

    from exhibits.custody.events import EventClass

    vault = request.app.state.vault
    route = request.scope.get("route")
    fields = {
        "case_id": exc.detail.get("case_id"),
        "exhibit_id": exc.detail.get("exhibit_id"),
        "details": {
            "permission": permission,
            "route": f"{request.method} {getattr(route, 'path', '?')}",
            "status": exc.status,
        },
    }

    def write() -> None:
        vault.write(
            lambda ctx: vault.record(
                ctx, caller.principal, "access.refused", EventClass.CONSULTATION, **fields
            )
        )

    try:
        await run_in_threadpool(write)
    except Exception:  # the refusal stands even if it could not be logged; say so in the server log
        log.exception("could not log a refused access attempt")
