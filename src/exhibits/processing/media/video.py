"""Playable proxies and the audio track, from anything FFmpeg can decode.

Video becomes H.264/AAC MP4 with fast-start (the index at the front, so playback starts
before the download ends), at most 720p, the right way up (FFmpeg applies the rotation
a phone recorded), de-interlaced when the source is interlaced (common in CCTV), plus a
poster frame and a thumbnail strip (one frame every few seconds, tiled) for scrubbing.
Audio becomes AAC in MP4. Decoding errors in the middle of a stream do not stop the
proxy: they become warnings, so a person knows the proxy shows a damaged original.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, ClassVar

from exhibits.processing.processor import (
    Context,
    Derivative,
    NotApplicable,
    ProcessingFailed,
    Processor,
    Result,
)
from exhibits.processing.tools import run_tool, tool_version

MAX_WARNINGS = 10


def fit(width: int, height: int, long_side: int, short_side: int) -> tuple[int, int]:
    """The largest even size within long_side x short_side (either way round), never larger
    than the source, keeping the aspect ratio."""
    if width <= 0 or height <= 0:
        return 0, 0
    box_w, box_h = (long_side, short_side) if width >= height else (short_side, long_side)
    scale = min(1.0, box_w / width, box_h / height)
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def decode_warnings(stderr: bytes) -> list[str]:
    """FFmpeg's complaints while decoding, summarised: repeated lines counted once."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    if not lines:
        return []
    counts: dict[str, int] = {}
    for line in lines:
        key = line.split("] ", 1)[-1][:200]
        counts[key] = counts.get(key, 0) + 1
    summary = [
        f"{text} (x{count})" if count > 1 else text for text, count in list(counts.items())[:MAX_WARNINGS]
    ]
    first = f"FFmpeg reported {len(lines)} decoding problem(s); the proxy may show damage: {summary[0]}"
    return [first, *summary[1:]]


def facts_or_probe(ctx: Context) -> dict[str, Any]:
    """The probe's facts, or (when the probe is disabled) a probe of our own."""
    facts = ctx.facts_of("probe")
    if facts:
        return facts
    from exhibits.processing.media.probe import describe_av, ffprobe

    try:
        return describe_av(ffprobe(ctx.input_path, ctx.time_limit))[0]
    except ProcessingFailed as exc:
        raise NotApplicable(f"not a media file FFmpeg recognises ({exc.reason})") from exc


class VideoProxy(Processor):
    name = "proxy"
    version = "1"
    accepts = ("video/*", "audio/*", "application/mxf", "application/octet-stream")
    depends_on = ("probe",)
    queue = "media"
    timeout_seconds = 3600
    default_params: ClassVar[dict[str, Any]] = {
        "long_side": 1280,
        "short_side": 720,
        "crf": 23,
        "preset": "veryfast",
        "audio_bitrate": "128k",
        "strip_every": 10,
        "strip_width": 160,
        "strip_max_frames": 200,
    }

    def run(self, ctx: Context) -> Result:
        probe = facts_or_probe(ctx)
        if not probe.get("has_video") and not probe.get("has_audio"):
            raise NotApplicable("no audio or video stream to make playable")
        if not probe.get("has_video"):
            return self._audio_only(ctx, probe)
        return self._video(ctx, probe)

    def _audio_only(self, ctx: Context, probe: dict[str, Any]) -> Result:
        out = ctx.workdir / "proxy.m4a"
        process = run_tool(
            ["ffmpeg", "-nostdin", "-v", "error", "-i", ctx.input_path, "-map", "0:a:0", "-vn",
             "-c:a", "aac", "-b:a", ctx.params["audio_bitrate"], "-ac", "2", "-movflags", "+faststart",
             "-map_metadata", "-1", "-y", out],
            timeout=ctx.time_limit, what="making the audio proxy",
        )  # fmt: skip
        facts = {"tool": tool_version("ffmpeg"), "duration": probe.get("duration")}
        return Result(
            facts=facts,
            derivatives=[Derivative("proxy", out, "audio/mp4", "playable audio (AAC)", facts)],
            warnings=decode_warnings(process.stderr),
        )

    def _video(self, ctx: Context, probe: dict[str, Any]) -> Result:
        params = ctx.params
        width = int(probe.get("display_width") or 0)
        height = int(probe.get("display_height") or 0)
        target_w, target_h = fit(width, height, int(params["long_side"]), int(params["short_side"]))
        duration = float(probe.get("duration") or 0)
        every = max(
            float(params["strip_every"]), duration / int(params["strip_max_frames"]) if duration else 0
        )
        frames = math.floor(max(duration - 0.001, 0) / every) + 1 if duration else 1
        columns = min(10, frames)
        rows = max(1, math.ceil(frames / columns))
        chain = "yadif=deint=interlaced," if probe.get("interlaced") else ""
        scale = (
            f"scale={target_w}:{target_h}:flags=bicubic" if target_w else "scale=trunc(iw/2)*2:trunc(ih/2)*2"
        )
        strip_w = int(params["strip_width"])
        graph = (
            f"[0:v:0]{chain}{scale},format=yuv420p,split=2[main][scrub];"
            f"[scrub]select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,{every:g})',"
            f"scale={strip_w}:-2,tile={columns}x{rows}[strip]"
        )
        proxy = ctx.workdir / "proxy.mp4"
        strip = ctx.workdir / "strip.jpg"
        audio = ["-map", "0:a:0?", "-c:a", "aac", "-b:a", params["audio_bitrate"]]
        if (probe.get("channels") or 0) > 2:
            audio += ["-ac", "2"]
        process = run_tool(
            ["ffmpeg", "-nostdin", "-v", "error", "-i", ctx.input_path, "-filter_complex", graph,
             "-map", "[main]", *audio, "-c:v", "libx264",
             "-preset", params["preset"], "-crf", str(params["crf"]),
             "-profile:v", "high", "-movflags", "+faststart", "-map_metadata", "-1", "-y", proxy,
             "-map", "[strip]", "-frames:v", "1", "-q:v", "4", "-update", "1", "-y", strip],
            timeout=ctx.time_limit, what="making the proxy",
        )  # fmt: skip
        notes = decode_warnings(process.stderr)
        if not proxy.is_file() or proxy.stat().st_size == 0:
            raise ProcessingFailed("FFmpeg produced no proxy: no frame of this video could be decoded")
        poster = self._poster(ctx, proxy, duration)
        facts = {
            "tool": tool_version("ffmpeg"),
            "width": target_w or width,
            "height": target_h or height,
            "codec": "h264",
            "audio": bool(probe.get("has_audio")),
            "deinterlaced": bool(chain),
        }
        derivatives = [
            Derivative("proxy", proxy, "video/mp4", "playable video (H.264/AAC, fast-start)", facts)
        ]
        if poster is not None:
            derivatives.append(Derivative("poster", poster, "image/jpeg", "poster frame", {}))
        if strip.is_file() and strip.stat().st_size:
            derivatives.append(
                Derivative(
                    "thumbnail-strip",
                    strip,
                    "image/jpeg",
                    f"one frame every {every:g} s",
                    {
                        "every_seconds": every,
                        "columns": columns,
                        "rows": rows,
                        "frames": frames,
                        "frame_width": strip_w,
                    },
                )
            )
        return Result(facts=facts, derivatives=derivatives, warnings=notes)

    def _poster(self, ctx: Context, proxy: Path, duration: float) -> Path | None:
        """A frame a tenth of the way in (past black leaders), from the upright proxy."""
        poster = ctx.workdir / "poster.jpg"
        at = min(duration * 0.1, 10.0) if duration > 1 else 0.0
        try:
            run_tool(
                ["ffmpeg", "-nostdin", "-v", "error", "-ss", f"{at:.3f}", "-i", proxy, "-frames:v", "1",
                 "-q:v", "3", "-y", poster],
                timeout=ctx.time_limit, what="taking the poster frame",
            )  # fmt: skip
        except ProcessingFailed:
            return None
        return poster if poster.is_file() and poster.stat().st_size else None


class AudioTrack(Processor):
    """The sound as 16 kHz mono 16-bit WAV: what speech recognition expects."""

    name = "audio"
    version = "1"
    accepts = ("video/*", "audio/*", "application/mxf", "application/octet-stream")
    depends_on = ("probe",)
    queue = "media"
    timeout_seconds = 3600
    default_params: ClassVar[dict[str, Any]] = {"sample_rate": 16000, "channels": 1}

    def run(self, ctx: Context) -> Result:
        if not facts_or_probe(ctx).get("has_audio"):
            raise NotApplicable("no audio track")
        out = ctx.workdir / "audio.wav"
        rate, channels = int(ctx.params["sample_rate"]), int(ctx.params["channels"])
        process = run_tool(
            ["ffmpeg", "-nostdin", "-v", "error", "-i", ctx.input_path, "-map", "0:a:0", "-vn",
             "-ac", str(channels), "-ar", str(rate), "-c:a", "pcm_s16le", "-map_metadata", "-1",
             "-bitexact", "-f", "wav", "-y", out],
            timeout=ctx.time_limit, what="extracting the audio track",
        )  # fmt: skip
        size = out.stat().st_size if out.is_file() else 0
        seconds = max(0, size - 44) / (2 * channels * rate)
        facts = {
            "sample_rate": rate,
            "channels": channels,
            "duration": round(seconds, 3),
            "tool": tool_version("ffmpeg"),
        }
        return Result(
            facts=facts,
            derivatives=[Derivative("audio", out, "audio/wav", f"{rate // 1000} kHz mono WAV", facts)],
            warnings=decode_warnings(process.stderr),
        )
