"""Bearer secrets (API tokens, session cookies, content grants): random, shown once, kept as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "exh_"


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)  # 256 bits


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def plausible(secret: str | None, prefix: str = "", limit: int = 128) -> bool:
    """Cheap shape check before touching the database."""
    if not secret or len(secret) > limit or not secret.startswith(prefix):
        return False
    return all(c.isalnum() or c in "-_" for c in secret[len(prefix) :])
