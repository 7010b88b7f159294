"""Redacted video: every frame decoded from the original, masked where the set says, and
re-encoded with H.264 (CRF 18 or better); audio kept, muted or bleeped where the set says;
original timestamps kept frame by frame, so variable frame rates and timing survive."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from exhibits.errors import InvalidInput
from exhibits.redaction.domain import AudioSpan, ItemKind, Track
from exhibits.redaction.media import orient, probe_video
from exhibits.redaction.render import RenderOutcome
from exhibits.redaction.render.masks import apply_mask
from exhibits.redaction.render.sound import AudioReencoder

if TYPE_CHECKING:
    from exhibits.redaction.settings import RedactionSettings
    from exhibits.redaction.views import ItemView


def render_video(
    original: Path,
    items: list[ItemView],
    out_path: Path,
    settings: RedactionSettings,
    *,
    progress: Callable[[float], None] | None = None,
) -> RenderOutcome:
    import av

    info = probe_video(original)
    tracks = [Track.parse(i.geometry) for i in items if i.kind == ItemKind.TRACK]
    spans = [AudioSpan.parse(i.geometry) for i in items if i.kind == ItemKind.AUDIO]
    warnings: list[str] = []
    width, height = info.width + info.width % 2, info.height + info.height % 2
    if (width, height) != (info.width, info.height):
        warnings.append(
            f"the picture is {info.width}x{info.height}; H.264 needs even sizes, so one black row or column "
            f"was added ({width}x{height})"
        )
    masked_frames = frames_out = 0
    source = av.open(str(original))
    try:
        video_in = source.streams.video[0]
        video_in.thread_type = "AUTO"
        audio_in = source.streams.audio[0] if source.streams.audio else None
        starts = [
            float(s.start_time * s.time_base)
            for s in (video_in, audio_in)
            if s is not None and s.start_time is not None
        ]
        origin = min(starts) if starts else 0.0
        time_base = video_in.time_base or Fraction(1, 90000)
        with av.open(str(out_path), "w", format="mp4", options={"movflags": "+faststart"}) as target:
            video_out = target.add_stream(
                settings.video_encoder, rate=video_in.average_rate or Fraction(round(info.fps * 1000), 1000)
            )
            video_out.width, video_out.height, video_out.pix_fmt = width, height, "yuv420p"
            video_out.codec_context.time_base = time_base
            if settings.video_encoder == "libx264":
                video_out.options = {"crf": str(settings.video_crf), "preset": settings.video_preset}
            else:
                video_out.bit_rate = settings.video_bitrate
            audio = None
            if audio_in is not None:
                audio = AudioReencoder(
                    audio_in, target, spans, settings.bleep_hz, settings.audio_bitrate, origin
                )
            elif spans:
                warnings.append("the set has audio spans but the video has no audio track")
            video_first: float | None = None
            last_pts = -1
            streams = [s for s in (video_in, audio_in) if s is not None]
            for packet in source.demux(*streams):
                try:
                    decoded = packet.decode()
                except av.error.FFmpegError as exc:
                    kind = "video" if packet.stream is video_in else "audio"
                    warnings.append(f"a damaged {kind} packet was skipped ({exc})")
                    continue
                for frame in decoded:
                    if packet.stream is not video_in:
                        assert audio is not None
                        audio.feed(frame, target)
                        continue
                    t_abs = frame.time if frame.time is not None else origin + frames_out / (info.fps or 25)
                    if video_first is None:
                        video_first = t_abs
                    t = t_abs - video_first
                    active = [(tr.shape, box) for tr in tracks if (box := tr.box_at(t)) is not None]
                    pts = round((t_abs - origin) / time_base)
                    if pts <= last_pts:  # damaged or duplicated timestamps: keep order, never repeat
                        pts = last_pts + 1
                    last_pts = pts
                    image = orient(frame.to_ndarray(format="bgr24"), info.rotation)
                    if active:
                        masked_frames += 1
                        for shape, box in active:
                            apply_mask(image, box, shape, settings.mask_style)
                    if image.shape[:2] != (height, width):
                        padded = np.zeros((height, width, 3), dtype=np.uint8)
                        padded[: image.shape[0], : image.shape[1]] = image
                        image = padded
                    out = av.VideoFrame.from_ndarray(image, format="bgr24")
                    out.pts, out.time_base = pts, time_base
                    for packet_out in video_out.encode(out):
                        target.mux(packet_out)
                    frames_out += 1
                    if progress and info.duration and frames_out % 25 == 0:
                        progress(min(1.0, t / info.duration))
            for packet_out in video_out.encode(None):
                target.mux(packet_out)
            if audio is not None:
                audio.flush(target)
    except av.error.FFmpegError as exc:
        raise InvalidInput(f"the video could not be rendered: {exc}") from exc
    finally:
        source.close()
    if frames_out == 0:
        raise InvalidInput("no frame of the video could be decoded: nothing was rendered")
    params = {
        "codec": "h264",
        "encoder": settings.video_encoder,
        "crf": settings.video_crf if settings.video_encoder == "libx264" else None,
        "preset": settings.video_preset,
        "mask_style": settings.mask_style,
        "audio": "aac" if audio_in is not None else None,
        "audio_bitrate": settings.audio_bitrate if audio_in is not None else None,
        "bleep_hz": settings.bleep_hz,
        "rotation_applied": info.rotation,
        "size": [width, height],
        "av": av.__version__,
    }
    stats = {
        "frames": frames_out,
        "frames_masked": masked_frames,
        "tracks": len(tracks),
        "audio_spans": len(spans),
        "audio_samples_changed": audio.effects.samples_changed if audio else 0,
    }
    return RenderOutcome(out_path, "video/mp4", params, warnings, stats)
