"""Muting and bleeping spans of audio, sample-accurately, on planar float samples."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from exhibits.redaction.domain import AudioSpan

BLEEP_LEVEL = 0.3  # about -10 dBFS: clearly a bleep, not painful


class SpanEffects:
    def __init__(self, spans: list[AudioSpan], rate: int, bleep_hz: float) -> None:
        self.rate = rate
        self.bleep_hz = bleep_hz
        self.spans = [
            (round(s.start * rate), round(s.end * rate), s.effect)
            for s in sorted(spans, key=lambda s: s.start)
        ]
        self.samples_changed = 0

    def apply(self, samples: np.ndarray, first: int) -> None:
        """Change ``samples`` (channels x n, float) in place; ``first`` is the index of its first sample."""
        n = samples.shape[1]
        for start, end, effect in self.spans:
            a, b = max(start, first), min(end, first + n)
            if a >= b:
                continue
            if effect == "mute":
                samples[:, a - first : b - first] = 0
            else:
                t = np.arange(a, b, dtype=np.float64) / self.rate
                samples[:, a - first : b - first] = (
                    BLEEP_LEVEL * np.sin(2 * np.pi * self.bleep_hz * t)
                ).astype(samples.dtype)
            self.samples_changed += b - a


class AudioReencoder:
    """Decode -> planar float -> effects -> AAC (or PCM), keeping the original timing."""

    def __init__(
        self,
        in_stream,
        out_container,
        spans: list[AudioSpan],
        bleep_hz: float,
        bit_rate: int,
        origin: float,
        codec: str = "aac",
    ) -> None:
        import av

        self.rate = in_stream.codec_context.sample_rate or in_stream.rate or 48000
        layout = in_stream.codec_context.layout.name if in_stream.codec_context.layout else "stereo"
        self.layout = layout
        sample_format = "fltp" if codec == "aac" else "s16"
        self.resampler = av.AudioResampler(format="fltp", layout=layout, rate=self.rate)
        self.out = out_container.add_stream(codec, rate=self.rate, layout=layout)
        if codec == "aac":
            self.out.bit_rate = bit_rate
        self.out.format = sample_format
        self.out_format = sample_format
        self.effects = SpanEffects(spans, self.rate, bleep_hz)
        self.origin = origin
        self.next_sample: int | None = None
        self.time_base = Fraction(1, self.rate)

    def feed(self, frame, container) -> None:
        import av

        for resampled in self.resampler.resample(frame):
            self._emit(resampled, container, av)

    def _emit(self, resampled, container, av) -> None:
        samples = resampled.to_ndarray().astype(np.float32, copy=True)
        if self.next_sample is None:
            start = resampled.time if resampled.time is not None else self.origin
            self.next_sample = max(0, round((start - self.origin) * self.rate))
        self.effects.apply(samples, self.next_sample)
        if self.out_format == "s16":
            data = (np.clip(samples, -1, 1) * 32767).astype(np.int16).T.reshape(1, -1)
            out = av.AudioFrame.from_ndarray(data, format="s16", layout=self.layout)
        else:
            out = av.AudioFrame.from_ndarray(samples, format="fltp", layout=self.layout)
        out.sample_rate = self.rate
        out.pts = self.next_sample
        out.time_base = self.time_base
        self.next_sample += samples.shape[1]
        for packet in self.out.encode(out):
            container.mux(packet)

    def flush(self, container) -> None:
        import av

        for resampled in self.resampler.resample(None):
            self._emit(resampled, container, av)
        for packet in self.out.encode(None):
            container.mux(packet)
