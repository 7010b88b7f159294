"""Redaction's pipeline processors: detections computed once per content, in the background.

Face tracks and plate reads depend only on the bytes, so the pipeline can compute them on
ingest (keyed by content, shared between cases) and a reviewer's ``propose`` then has them
at hand. Plate reads are ``vrm`` entity facts, for entity extraction and search. Nothing
here belongs to an exhibit: proposals become a case's items only through the service.
"""

from __future__ import annotations

from typing import Any, ClassVar

from exhibits.processing.processor import Context, ProcessingFailed, Processor, Result
from exhibits.redaction.domain import MediaKind, media_kind_of
from exhibits.redaction.settings import RedactionSettings


def _settings(params: dict[str, Any]) -> RedactionSettings:
    return RedactionSettings(**{k: v for k, v in params.items() if k in RedactionSettings.model_fields})


def _proposals(outcome) -> list[dict[str, Any]]:
    return [
        {
            "kind": str(p.kind),
            "reason": p.reason,
            "geometry": p.geometry,
            "source": p.source,
            "score": p.score,
            "note": p.note,
        }
        for p in outcome.proposals
    ]


class FaceProposals(Processor):
    name = "redaction-faces"
    version = "1"
    accepts = ("video/*", "image/*")
    queue = "media"
    timeout_seconds = 7200
    default_params: ClassVar[dict[str, Any]] = {}

    def run(self, ctx: Context) -> Result:
        from exhibits.errors import ExhibitsError
        from exhibits.redaction.detection.video import detect_faces

        try:
            outcome = detect_faces(ctx.input_path, media_kind_of(ctx.mime_type), _settings(ctx.params))
        except ExhibitsError as exc:
            raise ProcessingFailed(exc.message) from exc
        return Result(facts={"proposals": _proposals(outcome), **outcome.facts}, warnings=outcome.warnings)


class PlateReads(Processor):
    name = "redaction-plates"
    version = "1"
    accepts = ("video/*", "image/*")
    queue = "media"
    timeout_seconds = 7200
    default_params: ClassVar[dict[str, Any]] = {}

    def run(self, ctx: Context) -> Result:
        from exhibits.errors import ExhibitsError
        from exhibits.redaction.detection.plates import detect_plates

        kind = media_kind_of(ctx.mime_type)
        if kind not in (MediaKind.VIDEO, MediaKind.IMAGE):
            raise ProcessingFailed(f"plate reading does not apply to {ctx.mime_type}")
        try:
            outcome = detect_plates(ctx.input_path, kind, _settings(ctx.params))
        except ExhibitsError as exc:
            raise ProcessingFailed(exc.message) from exc
        # Entity facts' shape: {"entities": [{"type": "vrm", "text", "value", "source": {...}}]}.
        return Result(
            facts={"entities": outcome.facts.get("plates", []), "proposals": _proposals(outcome)},
            warnings=outcome.warnings,
        )
