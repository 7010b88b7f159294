"""Detectors propose redactions; people decide. Each returns proposals in normalised geometry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from exhibits.errors import InvalidInput
from exhibits.redaction.domain import MediaKind

if TYPE_CHECKING:
    from exhibits.redaction.service import DetectionOutcome, ProposalInputs
    from exhibits.redaction.settings import RedactionSettings

DETECTORS: dict[str, frozenset[MediaKind]] = {
    "faces": frozenset({MediaKind.VIDEO, MediaKind.IMAGE}),
    "plates": frozenset({MediaKind.VIDEO, MediaKind.IMAGE}),
    "speech": frozenset({MediaKind.VIDEO, MediaKind.AUDIO}),
    "text": frozenset({MediaKind.IMAGE, MediaKind.PDF}),
}


def run_detectors(
    path: Path,
    kind: MediaKind,
    detect: list[str],
    inputs: ProposalInputs,
    settings: RedactionSettings,
    *,
    progress: Callable[[float], None] | None = None,
) -> DetectionOutcome:
    from exhibits.redaction.service import DetectionOutcome

    names = [d.strip().lower() for d in detect if d.strip()]
    if not names:
        raise InvalidInput(f"say what to detect: --detect {','.join(DETECTORS)}")
    for name in names:
        if name not in DETECTORS:
            raise InvalidInput(f"unknown detector {name!r}: choose from {', '.join(DETECTORS)}")
        if kind not in DETECTORS[name]:
            raise InvalidInput(f"{name} detection does not apply to {kind} content")
    outcome = DetectionOutcome([])
    for name in names:
        if name == "faces":
            from exhibits.redaction.detection.video import detect_faces

            part = detect_faces(path, kind, settings, progress=progress)
        elif name == "plates":
            from exhibits.redaction.detection.plates import detect_plates

            part = detect_plates(path, kind, settings)
        elif name == "speech":
            from exhibits.redaction.detection.speech import speech_spans

            part = speech_spans(inputs)
        else:
            from exhibits.redaction.detection.text import text_regions

            part = text_regions(path, kind, inputs, settings)
        outcome.proposals.extend(part.proposals)
        outcome.facts.update(part.facts)
        outcome.warnings.extend(part.warnings)
    return outcome
