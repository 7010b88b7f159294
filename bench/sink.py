"""The reference for upload speed: a minimal ASGI app that writes the request body to a file
and fsyncs it, nothing else. Run by bench/api_upload.py under the same server as Exhibits."""

from __future__ import annotations

import os
import tempfile

DIRECTORY = os.environ.get("SINK_DIR") or tempfile.gettempdir()


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    fd, path = tempfile.mkstemp(dir=DIRECTORY, prefix="sink-")
    try:
        while True:
            message = await receive()
            body = message.get("body", b"")
            view = memoryview(body)
            while view:
                view = view[os.write(fd, view) :]
            if not message.get("more_body"):
                break
        os.fsync(fd)
    finally:
        os.close(fd)
        os.unlink(path)
    await send({"type": "http.response.start", "status": 201, "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})
