"""The REST API's routers, one per capability, registered through the ``exhibits_api`` hook."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

_PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "urn:exhibits:problem:<kind>, stable per kind of error"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
    },
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": _PROBLEM_SCHEMA}}}


# Every route may answer these (RFC 9457 problem details).
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem("Malformed request (e.g. a tus header)"),
    401: _problem("Not signed in, or the token or session is no longer valid"),
    403: _problem("Not allowed (permission, CSRF, second factor)"),
    404: _problem("No such thing, or not yours to see"),
    405: _problem("Method not allowed"),
    409: _problem("Conflict with the current state"),
    410: _problem("Gone: an expired access link or upload"),
    412: _problem("tus: unsupported Tus-Resumable version"),
    413: _problem("Too large"),
    415: _problem("Unsupported media type"),
    416: _problem("Range not satisfiable"),
    422: _problem("The request does not match the API or the rules"),
    428: _problem("A justification is needed to open evidence"),
    429: _problem("Too many requests (the public portal) or failed sign-ins: wait Retry-After seconds"),
    431: _problem("Request headers too large"),
    460: _problem("tus: checksum mismatch"),
    500: _problem("Server error (quote the request id)"),
    503: _problem("Not ready"),
}


def register(app: FastAPI) -> None:
    from exhibits.web.api import audit, cases, custody, exhibits, session, system, tokens, uploads, users

    for module in (system, session, tokens, users, cases, exhibits, custody, uploads, audit):
        app.include_router(module.router, responses=PROBLEM_RESPONSES)
