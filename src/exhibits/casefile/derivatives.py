"""Derivatives of exhibits as the case file sees them, and which one suits a purpose.

Derivatives are made by the processing pipeline and the redaction engine; they reach the
case file through the ``exhibits_derivatives`` hook, so this package does not depend on
their tables. ``preferred_derivative`` is the single place that decides what a recipient
gets instead of the original (the defence: the defence redaction set's rendered copy).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from exhibits.vault import Vault


@dataclass(frozen=True)
class DerivativeInfo:
    exhibit_id: str
    sha256: str
    parent_sha256: str
    kind: str  # "proxy", "transcript-vtt", "redacted", ...
    mime_type: str
    size: int
    tool: str
    tool_version: str
    created_at: datetime
    purpose: str | None = None  # for redacted copies: "defence", "cps", "public appeal"...
    label: str = ""
    event_seq: int | None = None  # the custody event that recorded it


REDACTED_KINDS = ("redacted", "redaction")


def derivatives_of(vault: Vault, session: Session, exhibit_ids: Iterable[str]) -> list[DerivativeInfo]:
    ids = list(exhibit_ids)
    found: list[DerivativeInfo] = []
    for batch in vault.plugins.hook.exhibits_derivatives(vault=vault, session=session, exhibit_ids=ids):
        found.extend(batch or [])
    return sorted(found, key=lambda d: (d.exhibit_id, d.created_at, d.sha256))


def preferred_derivative(derivatives: Iterable[DerivativeInfo], purpose: str) -> DerivativeInfo | None:
    """The newest rendered redaction made for ``purpose``, or None (then: the original)."""
    wanted = purpose.strip().lower()
    matching = [
        d for d in derivatives if d.kind in REDACTED_KINDS and (d.purpose or "").strip().lower() == wanted
    ]
    return max(matching, key=lambda d: d.created_at) if matching else None
