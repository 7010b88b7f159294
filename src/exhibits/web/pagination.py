"""Keyset pagination with opaque cursors, the same for every list."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from exhibits.errors import InvalidInput


def encode_cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(values))).decode().rstrip("=")


def decode_cursor(cursor: str | None, shape: tuple[type, ...]) -> list[Any] | None:
    """The values of a cursor this API gave out; anything else is refused, never interpreted."""
    if not cursor:
        return None
    if len(cursor) > 512:
        raise InvalidInput("not a cursor from this API")
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise InvalidInput("not a cursor from this API") from None
    if (
        not isinstance(values, list)
        or len(values) != len(shape)
        or not all(isinstance(v, t) for v, t in zip(values, shape, strict=True))
    ):
        raise InvalidInput("not a cursor from this API")
    return values
