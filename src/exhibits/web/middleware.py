"""Pure ASGI middleware (it never buffers bodies, so uploads stream): request ids, the header
size limit, metrics and one JSON log line per request."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exhibits.web.logs import request_id
from exhibits.web.metrics import Metrics
from exhibits.web.problems import problem

log = logging.getLogger("exhibits.web.access")
_GOOD_ID = re.compile(r"^[A-Za-z0-9._\-]{8,64}$")
REQUEST_ID_HEADER = b"x-request-id"


class RequestMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, max_header_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        size = 0
        for name, value in scope["headers"]:
            size += len(name) + len(value) + 4
            if name == REQUEST_ID_HEADER:
                incoming = value.decode("latin-1")
        rid = incoming if incoming and _GOOD_ID.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status_holder: dict[str, int | bool] = {"status": 500}
        rid_bytes = rid.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, rid_bytes))
                message = {**message, "headers": headers}
            await send(message)

        self.metrics.in_flight.inc()
        try:
            if b"%00" in scope.get("query_string", b"") or "\x00" in scope.get("path", ""):
                response = problem(400, "invalid-input", "NUL characters are not allowed in URLs")
                await response(scope, receive, send_with_id)
            elif size > self.max_header_bytes:
                response = problem(
                    431, "headers-too-large", f"request headers over {self.max_header_bytes:,} bytes in all"
                )
                await response(scope, receive, send_with_id)
            else:
                try:
                    await self.app(scope, receive, send_with_id)
                except Exception:
                    # A bug: logged here with the request id, answered without internals.
                    log.exception(
                        "unhandled error", extra={"route": getattr(scope.get("route"), "path", None)}
                    )
                    if status_holder.get("started"):
                        raise
                    response = problem(
                        500, "internal-error", "something went wrong on the server; quote the request id"
                    )
                    await response(scope, receive, send_with_id)
        finally:
            self.metrics.in_flight.dec()
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "?")
            status = status_holder["status"]
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(elapsed)
            caller = scope.get("state", {}).get("caller")
            log.info(
                "%s %s %s",
                method,
                template,
                status,
                extra={
                    "method": method,
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "user": getattr(getattr(caller, "principal", None), "collar", None),
                },
            )
            request_id.reset(token)
