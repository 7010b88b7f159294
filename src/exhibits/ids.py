"""Identifiers: random 128-bit ids as 32 lowercase hex digits, portable across databases."""

from __future__ import annotations

import re
import uuid

ID_LENGTH = 32
_HEX = re.compile(r"^[0-9a-f]+$")


def new_id() -> str:
    return uuid.uuid4().hex


def is_hex_prefix(text: str, minimum: int = 4) -> bool:
    return minimum <= len(text) <= 64 and bool(_HEX.match(text))
