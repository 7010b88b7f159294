"""Canonical bytes of a custody event: RFC 8785 (JSON Canonicalization Scheme).

Leaves are restricted to what JCS and ordinary JSON serialise identically: objects with
ASCII keys, strings, booleans, null, lists and integers of at most 2**53 in magnitude
(no floats: JCS would print them in ECMAScript form). Within that subset sorted, compact
orjson output *is* the JCS encoding, which the test suite checks against an independent
RFC 8785 implementation. ``canonical`` refuses anything outside the subset, so a leaf can
always be re-derived by any JCS library.
"""

from __future__ import annotations

from typing import Any

import orjson

MAX_SAFE_INTEGER = 2**53 - 1


class NotCanonical(ValueError):
    pass


def check_value(value: Any, path: str = "$") -> None:
    """Raise NotCanonical unless ``value`` is inside the JCS-compatible subset."""
    if value is None or isinstance(value, bool | str):
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise NotCanonical(f"{path}: string is not valid Unicode") from exc
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise NotCanonical(f"{path}: integer outside the interoperable range")
        return
    if isinstance(value, float):
        raise NotCanonical(f"{path}: floats are not allowed in custody leaves")
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_value(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise NotCanonical(f"{path}: keys must be ASCII strings")
            check_value(item, f"{path}.{key}")
        return
    raise NotCanonical(f"{path}: {type(value).__name__} cannot be encoded")


def canonical(value: Any) -> bytes:
    """The RFC 8785 encoding of ``value`` (restricted as described above)."""
    check_value(value)
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def parse(data: bytes) -> Any:
    return orjson.loads(data)


def is_canonical(data: bytes) -> bool:
    try:
        return canonical(orjson.loads(data)) == data
    except (orjson.JSONDecodeError, NotCanonical):
        return False
