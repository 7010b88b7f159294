"""Entities in text: UK identifiers by validated patterns, spoken registrations, and
people, places and organisations (spaCy plus rules). Each keeps its offsets in the text
it came from and a normalised value used for cross-case matching."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Found:
    """One entity in one piece of text; ``start``/``end`` are character offsets into it."""

    type: str  # vrm, postcode, phone, email, nino, pnc_id, urn, asn, ccrn, cro, date, time, person...
    text: str  # as it appears
    value: str  # normalised: compact VRM, E.164 phone, "SW1A 1AA", ISO date, "john smith"
    start: int
    end: int
    method: str  # pattern, spoken, ner, rule
    confidence: float
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "text": self.text,
            "value": self.value,
            "char_start": self.start,
            "char_end": self.end,
            "method": self.method,
            "confidence": self.confidence,
            **({"detail": self.detail} if self.detail else {}),
        }


def resolve_overlaps(found: list[Found]) -> list[Found]:
    """Keep the best of overlapping entities: validated identifiers beat names, longer beats shorter."""
    rank = {"pattern": 3, "spoken": 2, "rule": 1, "ner": 0}
    ordered = sorted(found, key=lambda f: (-rank.get(f.method, 0), -(f.end - f.start), f.start))
    kept: list[Found] = []
    for item in ordered:
        if all(item.end <= other.start or item.start >= other.end for other in kept):
            kept.append(item)
    return sorted(kept, key=lambda f: (f.start, f.end))
