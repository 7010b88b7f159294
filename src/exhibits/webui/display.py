"""Small formatting helpers for templates (sizes, durations, times, processing states)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from exhibits.clock import parse_iso
from exhibits.webui.i18n import _


def file_size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def duration(seconds: Any) -> str:
    try:
        total = round(float(seconds))
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def when(value: Any) -> str:
    """UTC time as people read it, e.g. '22 Nov 2026 03:25 UTC'."""
    if value is None or value == "":
        return ""
    moment = parse_iso(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        return str(value)
    return moment.strftime("%d %b %Y %H:%M UTC")


def state_label(state: str) -> str:
    return {
        "none": _("Not processed"),
        "processing": _("Processing"),
        "pending": _("Waiting"),
        "running": _("Processing"),
        "done": _("Ready"),
        "partial": _("Ready, with warnings"),
        "failed": _("Processing failed"),
    }.get(state, state)


def kind_of(mime_type: str) -> str:
    top = (mime_type or "").split("/")[0]
    return {
        "video": _("Video"),
        "audio": _("Audio"),
        "image": _("Photo"),
        "text": _("Document"),
        "application": _("File"),
    }.get(top, _("File"))


def install(env) -> None:
    env.filters.update(
        filesize=file_size, duration=duration, when=when, state_label=state_label, kind=kind_of
    )
