"""Transcript exports: WebVTT (browsers' <track>), SRT (players, editing suites), plain text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Segment = Mapping[str, Any]  # {"start": s, "end": s, "text": str, ...}


def clock(seconds: float, separator: str = ".") -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _one_line(text: str) -> str:
    # A blank line ends a cue in both formats: keep every cue on one line.
    return " ".join(str(text).split())


def to_webvtt(segments: Iterable[Segment]) -> str:
    lines = ["WEBVTT", ""]
    for number, segment in enumerate(segments, 1):
        text = _one_line(segment["text"]).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        lines += [str(number), f"{clock(segment['start'])} --> {clock(segment['end'])}", text, ""]
    return "\n".join(lines)


def to_srt(segments: Iterable[Segment]) -> str:
    lines = []
    for number, segment in enumerate(segments, 1):
        text = _one_line(segment["text"]).replace("-->", "->")
        lines += [str(number), f"{clock(segment['start'], ',')} --> {clock(segment['end'], ',')}", text, ""]
    return "\n".join(lines)


def to_text(segments: Iterable[Segment]) -> str:
    """One line per segment with its start time, as a reader would cite it."""
    return "".join(f"[{clock(s['start'])[:8]}] {_one_line(s['text'])}\n" for s in segments)
