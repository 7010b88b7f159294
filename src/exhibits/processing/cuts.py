"""Stills and clips a person cuts from a video: exact times, the FFmpeg command recorded.

A clip is re-encoded (H.264/AAC, visually lossless CRF 18) so that it starts exactly
where asked rather than at the previous keyframe; a still is a lossless PNG of the frame
shown at that time, the right way up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from exhibits.errors import InvalidInput
from exhibits.processing.processor import ProcessingFailed
from exhibits.processing.tools import run_tool, tool_version

CUT_VERSION = "1"
_TIME = re.compile(r"^\s*(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d+)?)\s*$")


def parse_time(text: str) -> float:
    """'62.5', '1:02.5' or '00:01:02.5' as seconds."""
    match = _TIME.match(text or "")
    if not match:
        raise InvalidInput(f"cannot read time {text!r}: use seconds (62.5) or HH:MM:SS.mmm (00:01:02.5)")
    first, second, seconds = match.groups()
    if second is not None:  # H:M:S
        total = int(first) * 3600 + int(second) * 60 + float(seconds)
    elif first is not None:  # M:S
        total = int(first) * 60 + float(seconds)
    else:
        total = float(seconds)
    return round(total, 3)


def format_time(seconds: float) -> str:
    whole = int(seconds)
    return (
        f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{round((seconds - whole) * 1000):03d}"
    )


@dataclass(frozen=True)
class Cut:
    kind: str  # "clip" or "still"
    start: float
    end: float | None
    path: Path
    mime_type: str
    tool: str
    command: list[str]

    def details(self) -> dict:
        details = {
            "start": format_time(self.start),
            "start_ms": round(self.start * 1000),
            "tool": self.tool,
            "tool_version": CUT_VERSION,
            "command": self.command,
        }
        if self.end is not None:
            details["end"] = format_time(self.end)
            details["end_ms"] = round(self.end * 1000)
        return details


def check_times(start: float, end: float | None, duration: float | None) -> None:
    if start < 0:
        raise InvalidInput("the start time cannot be negative")
    if end is not None and end <= start:
        raise InvalidInput("the end time must come after the start time")
    if duration is not None and start >= duration:
        raise InvalidInput(f"the video is only {format_time(duration)} long")
    if duration is not None and end is not None and end > duration + 0.001:
        raise InvalidInput(f"the end time is past the end of the video ({format_time(duration)})")


def cut_clip(source: Path, workdir: Path, start: float, end: float, timeout: float) -> Cut:
    out = workdir / "clip.mp4"
    args = [
        "-nostdin", "-v", "error", "-ss", f"{start:.3f}", "-i", "{input}", "-t", f"{end - start:.3f}",
        "-map", "0:v:0", "-map", "0:a:0?", "-c:v", "libx264", "-preset", "medium", "-crf", "18",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "192k", "-map_metadata", "-1",
        "-movflags", "+faststart", "-y", "{output}",
    ]  # fmt: skip
    _run(args, source, out, timeout, "cutting the clip")
    return Cut("clip", start, end, out, "video/mp4", tool_version("ffmpeg"), ["ffmpeg", *args])


def cut_still(source: Path, workdir: Path, at: float, timeout: float) -> Cut:
    out = workdir / "still.png"
    args = [
        "-nostdin", "-v", "error", "-ss", f"{at:.3f}", "-i", "{input}", "-map", "0:v:0",
        "-frames:v", "1", "-c:v", "png", "-f", "image2", "-y", "{output}",
    ]  # fmt: skip
    _run(args, source, out, timeout, "taking the still")
    return Cut("still", at, None, out, "image/png", tool_version("ffmpeg"), ["ffmpeg", *args])


def _run(args: list[str], source: Path, out: Path, timeout: float, what: str) -> None:
    concrete = [str(source) if a == "{input}" else str(out) if a == "{output}" else a for a in args]
    try:
        run_tool(["ffmpeg", *concrete], timeout=timeout, what=what)
    except ProcessingFailed as exc:
        raise InvalidInput(exc.reason) from exc
    if not out.is_file() or out.stat().st_size == 0:
        raise InvalidInput(f"{what} produced nothing: is the time inside the video?")
