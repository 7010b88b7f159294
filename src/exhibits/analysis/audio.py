"""Audio for speech recognition: 16 kHz mono PCM, read in windows, never whole.

The pipeline's audio processor extracts the track as 16 kHz mono WAV; when it has not run
(a processor tested alone, an older pipeline) we decode the input ourselves with PyAV into
the same form, streaming, so a two-hour interview never sits in memory.
"""

from __future__ import annotations

import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from exhibits.processing.processor import NotApplicable, ProcessingFailed

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class AudioInfo:
    path: Path
    frames: int

    @property
    def duration(self) -> float:
        return self.frames / SAMPLE_RATE


def open_pcm16(path: Path) -> AudioInfo:
    """Check that a WAV file is 16 kHz mono 16-bit PCM, as transcription needs."""
    try:
        with wave.open(str(path), "rb") as wav:
            if wav.getframerate() != SAMPLE_RATE or wav.getnchannels() != 1 or wav.getsampwidth() != 2:
                raise ProcessingFailed(
                    f"audio track is {wav.getframerate()} Hz, {wav.getnchannels()} channel(s), "
                    f"{8 * wav.getsampwidth()}-bit; expected 16 kHz mono 16-bit"
                )
            return AudioInfo(path, wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise ProcessingFailed(f"audio track is not a readable WAV file ({exc})") from exc


def read_window(info: AudioInfo, start_frame: int, frames: int) -> np.ndarray:
    """Samples [start_frame, start_frame + frames) as float32 in [-1, 1]."""
    with wave.open(str(info.path), "rb") as wav:
        wav.setpos(min(start_frame, info.frames))
        raw = wav.readframes(frames)
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


def decode_to_wav(source: Path, target: Path) -> AudioInfo:
    """Decode any audio/video FFmpeg can read to 16 kHz mono WAV, streaming."""
    import av

    try:
        container = av.open(str(source))
    except (av.error.FFmpegError, OSError) as exc:
        raise ProcessingFailed(f"cannot open the recording to decode its audio ({exc})") from exc
    with container:
        if not container.streams.audio:
            raise NotApplicable("the recording has no audio track")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        frames = 0
        with wave.open(str(target), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)

            def write(chunks) -> None:
                nonlocal frames
                for chunk in chunks:
                    data = chunk.to_ndarray().astype("<i2", copy=False).tobytes()
                    frames += len(data) // 2
                    out.writeframes(data)

            try:
                for frame in container.decode(stream):
                    write(resampler.resample(frame))
            except av.error.FFmpegError as exc:
                if frames == 0:
                    raise ProcessingFailed(f"the audio track cannot be decoded ({exc})") from exc
                # A damaged tail: keep what decoded (the caller records a warning).
            write(resampler.resample(None))
    if frames == 0:
        raise ProcessingFailed("the audio track is empty")
    return AudioInfo(target, frames)


def windows(info: AudioInfo, seconds: float) -> Iterator[tuple[int, int]]:
    """Fixed windows (start_frame, frames) covering the recording."""
    size = int(seconds * SAMPLE_RATE)
    for start in range(0, info.frames, size):
        yield start, min(size, info.frames - start)
