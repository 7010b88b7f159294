"""Rendering a reviewed set from the original, at native resolution, into a new file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from exhibits.redaction.domain import RENDERED_STATES, MediaKind

if TYPE_CHECKING:
    from exhibits.redaction.settings import RedactionSettings
    from exhibits.redaction.views import ItemView


@dataclass
class RenderOutcome:
    path: Path
    mime_type: str
    params: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)  # frames masked, pages rebuilt...


def render_set(
    original: Path,
    kind: MediaKind,
    items: list[ItemView],
    workdir: Path,
    settings: RedactionSettings,
    *,
    progress: Callable[[float], None] | None = None,
) -> RenderOutcome:
    chosen = [i for i in items if i.state in RENDERED_STATES]
    if kind is MediaKind.VIDEO:
        from exhibits.redaction.render.video import render_video

        return render_video(original, chosen, workdir / "redacted.mp4", settings, progress=progress)
    if kind is MediaKind.AUDIO:
        from exhibits.redaction.render.audio import render_audio

        return render_audio(original, chosen, workdir, settings)
    if kind is MediaKind.IMAGE:
        from exhibits.redaction.render.image import render_image

        return render_image(original, chosen, workdir, settings)
    from exhibits.redaction.render.pdf import render_pdf

    return render_pdf(original, chosen, workdir / "redacted.pdf", settings)
