"""``[portal]`` in exhibits.toml."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from exhibits.portal.forms import DEFAULT_FORMS, Form

# What the public may send: video, photographs, audio. Decided from the bytes (libmagic).
DEFAULT_TYPES = [
    "video/mp4",
    "video/quicktime",
    "video/webm",
    "video/x-matroska",
    "video/x-msvideo",
    "video/mp2t",
    "video/3gpp",
    "image/jpeg",
    "image/png",
    "image/heic",
    "image/heif",
    "audio/mpeg",
    "audio/mp4",
    "audio/x-m4a",
    "audio/x-wav",
    "audio/wav",
]


class PortalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    link_days: float = Field(default=14, gt=0)  # how long a request link works
    page_days: float = Field(default=2, gt=0)  # how long a submission started on a public page stays open
    max_file_bytes: int = Field(default=2 * 1024**3, ge=1)
    max_files: int = Field(default=10, ge=1, le=100)
    allowed_types: list[str] = Field(default_factory=lambda: list(DEFAULT_TYPES))
    # Rate limits (per process): requests per minute from one address, and on one submission.
    per_address_per_minute: int = Field(default=300, ge=1)
    starts_per_address_per_hour: int = Field(default=10, ge=1)  # new submissions, code guesses
    per_link_per_minute: int = Field(default=600, ge=1)
    # Reverse proxies whose X-Forwarded-For names the real client (``exhibits serve`` trusts none).
    trusted_proxies: list[str] = Field(default_factory=list)
    forms: dict[str, Form] = Field(default_factory=lambda: dict(DEFAULT_FORMS))

    @field_validator("trusted_proxies", "allowed_types", mode="before")
    @classmethod
    def _listed(cls, value: object) -> object:
        """From an environment variable, a comma-separated list."""
        return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value
