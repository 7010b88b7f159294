"""Redaction settings: the ``[redaction]`` section of exhibits.toml (EXHIBITS_REDACTION__*)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class RedactionSettings(BaseModel):
    # Faces: the detector runs on a scaled copy of every Nth frame; tracks carry faces between.
    face_detect_width: int = Field(default=640, ge=160, le=4096)  # network input width for video
    face_detect_every: int = Field(default=3, ge=1, le=30)  # detect on every Nth frame (see bench/redaction)
    face_threshold: float = Field(default=0.2, gt=0, lt=1)  # low: recall matters, review rejects
    # Grow each face box by this fraction a side: 0.25 makes the ellipse inscribed in the grown
    # box cover the detector's whole (rectangular) face box.
    face_margin: float = Field(default=0.25, ge=0, le=1)
    image_detect_long_side: int = Field(default=1600, ge=320, le=8192)  # photos are scaled to this
    # Rendering
    mask_style: Literal["fill", "pixelate"] = "fill"
    # H.264 encoder inside PyAV's FFmpeg: libx264 (GPL, in PyAV's wheels), or e.g. libopenh264
    # where PyAV was rebuilt against an FFmpeg without GPL parts (docs/licensing.md).
    video_encoder: str = "libx264"
    video_crf: int = Field(default=18, ge=0, le=18)  # H.264 quality (libx264): 18 or better
    video_bitrate: int = Field(default=20_000_000, ge=1_000_000)  # other encoders: a generous rate
    video_preset: str = "veryfast"
    audio_bitrate: int = Field(default=192_000, ge=64_000)
    bleep_hz: float = Field(default=1000.0, gt=20, lt=8000)
    max_image_pixels: int = Field(default=200_000_000, ge=1_000_000)
    pdf_dpi: int = Field(default=200, ge=72, le=600)  # redacted PDF pages are rebuilt at this resolution
    tesseract_data: str | None = None  # tessdata folder; default: the Debian package's
