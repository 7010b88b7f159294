"""Redacted audio recordings (999 calls, interviews): muted or bleeped spans, timing kept."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from exhibits.errors import InvalidInput
from exhibits.redaction.domain import AudioSpan, ItemKind
from exhibits.redaction.render import RenderOutcome
from exhibits.redaction.render.sound import AudioReencoder

if TYPE_CHECKING:
    from exhibits.redaction.settings import RedactionSettings
    from exhibits.redaction.views import ItemView


def render_audio(
    original: Path, items: list[ItemView], workdir: Path, settings: RedactionSettings
) -> RenderOutcome:
    import av

    spans = [AudioSpan.parse(i.geometry) for i in items if i.kind == ItemKind.AUDIO]
    warnings: list[str] = []
    try:
        source = av.open(str(original))
    except av.error.FFmpegError as exc:
        raise InvalidInput(f"the recording cannot be read: {exc}") from exc
    try:
        if not source.streams.audio:
            raise InvalidInput("the file has no audio stream")
        stream = source.streams.audio[0]
        wav = source.format.name == "wav"
        path = workdir / ("redacted.wav" if wav else "redacted.m4a")
        origin = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        with av.open(str(path), "w", format="wav" if wav else "mp4") as target:
            codec = "pcm_s16le" if wav else "aac"
            audio = AudioReencoder(
                stream, target, spans, settings.bleep_hz, settings.audio_bitrate, origin, codec=codec
            )
            for packet in source.demux(stream):
                try:
                    frames = packet.decode()
                except av.error.FFmpegError as exc:
                    warnings.append(f"a damaged audio packet was skipped ({exc})")
                    continue
                for frame in frames:
                    audio.feed(frame, target)
            audio.flush(target)
    except av.error.FFmpegError as exc:
        raise InvalidInput(f"the recording could not be rendered: {exc}") from exc
    finally:
        source.close()
    mime = "audio/wav" if wav else "audio/mp4"
    params = {
        "codec": codec,
        "bleep_hz": settings.bleep_hz,
        "audio_bitrate": None if wav else settings.audio_bitrate,
    }
    stats = {"audio_spans": len(spans), "audio_samples_changed": audio.effects.samples_changed}
    return RenderOutcome(path, mime, params, warnings, stats)
