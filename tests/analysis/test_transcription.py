"""Transcription of real (synthetic) speech with the pinned Whisper model."""

from __future__ import annotations

import shutil
import subprocess
import wave

import pytest

from exhibits.analysis.modelfiles import ModelIntegrityError, PinnedModel, verify
from exhibits.analysis.transcription import DEFAULT_MODEL, TranscriptionProcessor, resolve
from exhibits.processing.processor import Context, Derivative, ProcessingFailed

from .conftest import SPEECH, need, run, speak


def words_of(result) -> list[str]:
    return [w["word"].strip(".,").lower() for s in result.facts["segments"] for w in s["words"]]


def test_speech_becomes_time_coded_segments_with_word_timings(transcribed, speech_wav):
    facts = transcribed.facts
    assert facts["model"] == DEFAULT_MODEL.describe()
    assert facts["language"] == "en"
    with wave.open(str(speech_wav)) as wav:
        assert facts["duration"] == pytest.approx(wav.getnframes() / 16000, abs=0.01)
    text = facts["text"].lower()
    for word in ("stopped", "street", "driver", "smith"):
        assert word in text
    previous_end = 0.0
    for segment in facts["segments"]:
        assert 0 <= segment["start"] < segment["end"] <= facts["duration"] + 0.5
        assert 0 < segment["confidence"] <= 1
        assert segment["words"], "every segment carries word timings"
        for word in segment["words"]:
            assert segment["start"] - 0.01 <= word["start"] <= word["end"] <= segment["end"] + 0.01
            assert 0 <= word["probability"] <= 1
        assert segment["start"] >= previous_end - 0.01
        previous_end = segment["end"]


def test_exports_are_written_as_derivatives(transcribed):
    kinds = {d.kind: d for d in transcribed.derivatives}
    assert set(kinds) == {"transcript-vtt", "transcript-srt", "transcript-text"}
    vtt = kinds["transcript-vtt"].path.read_text()
    assert vtt.startswith("WEBVTT\n") and " --> " in vtt
    srt = kinds["transcript-srt"].path.read_text()
    assert srt.startswith("1\n00:00:0") and "," in srt.splitlines()[1]
    assert "driver" in kinds["transcript-text"].path.read_text().lower()


def test_long_recordings_are_read_in_windows_cut_at_pauses(tmp_path):
    """Three repetitions read in 12-second windows: nothing lost at the cuts, times run on."""
    one = speak(SPEECH, tmp_path / "one.wav")
    three = tmp_path / "three.wav"
    subprocess.run([need("sox"), str(one), str(one), str(one), str(three)], check=True)
    processor = TranscriptionProcessor()
    ctx = Context(
        "0" * 64,
        "audio/x-wav",
        three,
        tmp_path,
        params=processor.params({"window_seconds": 12}),
    )
    facts = processor.run(ctx).facts
    assert facts["duration"] > 30
    assert facts["text"].lower().count("driver") == 3
    starts = [s["start"] for s in facts["segments"]]
    assert starts == sorted(starts) and starts[-1] > 20


def test_the_pipelines_audio_track_is_used_when_there_is_one(speech_wav, tmp_path):
    processor = TranscriptionProcessor()
    not_audio = tmp_path / "video.bin"
    not_audio.write_bytes(b"not a recording at all")
    ctx = Context(
        "0" * 64,
        "video/mp4",
        not_audio,
        tmp_path,
        params=processor.params(),
        dependency_derivatives={"audio": [(Derivative("audio", speech_wav, "audio/wav"), speech_wav)]},
    )
    assert "driver" in processor.run(ctx).facts["text"].lower()


def test_a_wrong_audio_track_or_no_audio_is_a_clear_failure(tmp_path):
    processor = TranscriptionProcessor()
    eight_k = tmp_path / "8k.wav"
    with wave.open(str(eight_k), "wb") as wav:
        wav.setnchannels(1), wav.setsampwidth(2), wav.setframerate(8000)
        wav.writeframes(b"\0\0" * 8000)
    ctx = Context(
        "0" * 64,
        "audio/wav",
        eight_k,
        tmp_path,
        params=processor.params(),
        dependency_derivatives={"audio": [(Derivative("audio", eight_k, "audio/wav"), eight_k)]},
    )
    with pytest.raises(ProcessingFailed, match="expected 16 kHz mono"):
        processor.run(ctx)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\0" * 1000)
    with pytest.raises(ProcessingFailed):
        run(processor, junk, "video/mp4", tmp_path / "w")


def test_a_model_whose_files_do_not_match_their_pins_is_refused(tmp_path, speech_wav):
    source = resolve(DEFAULT_MODEL).root
    copy = tmp_path / "model"
    copy.mkdir()
    for name in DEFAULT_MODEL.files:
        if name == "config.json":
            shutil.copy(source / name, copy / name)
        else:
            (copy / name).symlink_to(source / name)
    tampered = PinnedModel("whisper-tiny.en", "x", copy, DEFAULT_MODEL.files)
    verify(tampered)  # an identical copy is accepted
    (copy / "config.json").write_text((copy / "config.json").read_text().replace("}", " }"))
    tampered = PinnedModel("whisper-tiny.en", "y", copy, DEFAULT_MODEL.files)
    with pytest.raises(ModelIntegrityError, match=r"config\.json has SHA-256"):
        verify(tampered)
    with pytest.raises(ModelIntegrityError, match="no pinned file hashes"):
        verify(PinnedModel("unpinned", "z", copy, {}))
    processor = TranscriptionProcessor()
    ctx = Context(
        "0" * 64,
        "audio/wav",
        speech_wav,
        tmp_path,
        params=processor.params({"model_path": str(copy), "model_files": DEFAULT_MODEL.files}),
    )
    with pytest.raises(ProcessingFailed, match=r"transcription model refused: .*config\.json"):
        processor.run(ctx)


def test_a_force_model_from_settings_must_be_pinned(tmp_path):
    from exhibits.analysis.settings import AnalysisSettings

    manifest = tmp_path / "SHA256SUMS"
    manifest.write_text("".join(f"{sha}  {name}\n" for name, sha in DEFAULT_MODEL.files.items()))
    settings = AnalysisSettings(
        transcription_model=resolve(DEFAULT_MODEL).root,
        transcription_model_manifest=manifest,
        transcription_model_name="whisper-tiny.en-local",
        transcription_language="cy",
    )
    params = TranscriptionProcessor.params_from_settings(settings)
    assert params["model_files"] == DEFAULT_MODEL.files
    assert params["model_sha256"] == DEFAULT_MODEL.fingerprint
    assert params["language"] == "cy"
    default = TranscriptionProcessor().params()
    assert Processor_hash(params) != Processor_hash(default)  # outputs are keyed by model


def Processor_hash(params):
    from exhibits.processing.processor import Processor

    return Processor.params_hash(params)


def test_omp_thread_limit_meant_for_tesseract_does_not_garble_speech(monkeypatch, speech_wav, tmp_path):
    from exhibits.analysis.transcription import usable_threads

    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")
    assert usable_threads(2) == 1
    facts = run(TranscriptionProcessor(), speech_wav, "audio/x-wav", tmp_path).facts
    assert "driver" in facts["text"].lower()


def test_the_same_recording_always_gives_the_same_transcript(transcribed, speech_wav, tmp_path):
    again = run(TranscriptionProcessor(), speech_wav, "audio/x-wav", tmp_path).facts
    assert again == transcribed.facts
