"""``[api]`` settings in exhibits.toml (``EXHIBITS_API__MAX_HEADER_BYTES``...)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ApiSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_header_bytes: int = Field(default=16 * 1024, ge=1024)  # all request headers together
    page_size: int = Field(default=50, ge=1, le=500)
    max_page_size: int = Field(default=200, ge=1, le=1000)
    # The address people use to reach this server (behind a proxy), for links and single sign-on.
    public_url: str | None = None


def api_settings(settings) -> ApiSettings:
    return settings.section("api", ApiSettings)
