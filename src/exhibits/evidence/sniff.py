"""Content type from the bytes themselves (libmagic), never from the file name."""

from __future__ import annotations

import contextlib
import functools

FALLBACK = "application/octet-stream"


@functools.cache
def _magic():
    import magic

    return magic.Magic(mime=True)


def load() -> None:
    """Load libmagic and its database now rather than at the first sniff."""
    with contextlib.suppress(Exception):
        _magic()


def sniff_mime(head: bytes) -> str:
    if not head:
        return FALLBACK
    try:
        value = _magic().from_buffer(head)
    except Exception:  # libmagic gives up on some inputs; the bytes are still evidence
        return FALLBACK
    return value if value and "/" in value else FALLBACK
