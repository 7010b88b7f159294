"""Custody events: what a leaf of the log says, and how it is encoded.

A leaf is the RFC 8785 encoding of one ``EventDraft`` plus the time and tool. The leaf
format is versioned (``v``) and documented in docs/custody-log.md; never change the
meaning of a field of an existing version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson

from exhibits import TOOL_NAME, __version__
from exhibits.custody.canonical import check_value

LEAF_VERSION = 1


class EventClass(StrEnum):
    CONTINUITY = "continuity"  # travels with evidence: ingest, attach, derive, share, export...
    CONSULTATION = "consultation"  # reads: view, download, search (DPA 2018 s.62)
    ADMINISTRATION = "administration"  # accounts, keys, settings: alteration of the system


@dataclass(frozen=True)
class ActorRef:
    """Who acted, as the leaf records it (copied, so the log stands alone)."""

    id: str
    force: str
    collar: str
    name: str

    def as_leaf(self) -> dict[str, str]:
        return {"id": self.id, "force": self.force, "collar": self.collar, "name": self.name}


@dataclass
class EventDraft:
    """An event staged inside a unit of work; it gets its sequence number at commit."""

    action: str
    event_class: EventClass
    actor: ActorRef | None
    case_id: str | None = None
    exhibit_id: str | None = None
    media_id: str | None = None
    sha256: str | None = None
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    justification: str | None = None
    via: str | None = None
    os_user: str | None = None
    asserted_by: ActorRef | None = None
    details: dict[str, Any] = field(default_factory=dict)
    tool: str = TOOL_NAME
    tool_version: str = __version__
    # filled in when the batch is appended
    seq: int | None = None
    at: str | None = None
    leaf_hash: bytes | None = None

    def leaf_object(self, at: str) -> dict[str, Any]:
        return {
            "v": LEAF_VERSION,
            "at": at,
            "class": str(self.event_class),
            "action": self.action,
            "actor": self.actor.as_leaf() if self.actor else None,
            "asserted_by": self.asserted_by.as_leaf() if self.asserted_by else None,
            "via": self.via,
            "os_user": self.os_user,
            "case": self.case_id,
            "exhibit": self.exhibit_id,
            "media": self.media_id,
            "sha256": self.sha256,
            "inputs": list(self.inputs),
            "outputs": list(self.outputs),
            "justification": self.justification,
            "tool": self.tool,
            "tool_version": self.tool_version,
            "details": self.details,
        }

    def encode(self, at: str) -> bytes:
        # Only ``details`` is free-form; every other field is a string, list of strings or None.
        check_value(self.details, "$.details")
        return orjson.dumps(self.leaf_object(at), option=orjson.OPT_SORT_KEYS)


# Leaf fields mirrored into indexed columns: (column attribute, leaf accessor).
def leaf_columns(leaf: dict[str, Any]) -> tuple[Any, ...]:
    actor = leaf.get("actor")
    return (
        leaf.get("at"),
        leaf.get("class"),
        leaf.get("action"),
        actor.get("id") if isinstance(actor, dict) else None,
        leaf.get("case"),
        leaf.get("exhibit"),
        leaf.get("media"),
        leaf.get("sha256"),
    )


COLUMN_NAMES = (
    "at",
    "event_class",
    "action",
    "actor_id",
    "case_id",
    "exhibit_id",
    "media_id",
    "sha256",
)
