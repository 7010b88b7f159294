"""Static files under ``/static/<version>/``: the version is a hash of the files themselves,
so they can be cached for a year and a new release is fetched at once."""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

STATIC_DIR = Path(__file__).parent / "static"
LONG_CACHE = "public, max-age=31536000, immutable"


def static_version(directory: Path = STATIC_DIR) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


class VersionedStatic:
    """The package's static files at ``/static/<version>/``, cached long; others are 404."""

    def __init__(self, directory: Path = STATIC_DIR) -> None:
        self.version = static_version(directory)
        self.prefix = f"/static/{self.version}"
        self.files = StaticFiles(directory=directory)

    def url(self, name: str) -> str:
        return f"{self.prefix}/{name.lstrip('/')}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if not path.startswith(self.prefix + "/"):
            await _not_found(send)
            return
        scope = {**scope, "path": path[len(self.prefix) :], "root_path": ""}

        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                headers += [(b"cache-control", LONG_CACHE.encode()), (b"x-content-type-options", b"nosniff")]
                message = {**message, "headers": headers}
            await send(message)

        await self.files(scope, receive, send_cached)


async def _not_found(send: Send) -> None:
    await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"not found"})
