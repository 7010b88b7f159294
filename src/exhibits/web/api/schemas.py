"""Request and response bodies. Requests refuse unknown fields; times are ISO 8601 UTC."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")
SHA256 = r"^[0-9a-fA-F]{64}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")
    limit: int


# --- sign-in ------------------------------------------------------------------------------


class LoginIn(Strict):
    collar: str = Field(min_length=1, max_length=32)
    password: str = Field(min_length=1, max_length=1024)
    totp: str | None = Field(default=None, max_length=16, description="Authenticator code, when enrolled.")


class SessionOut(BaseModel):
    collar: str
    name: str
    roles: list[str]
    method: str | None
    csrf_token: str | None = Field(description="Send in X-CSRF-Token (or a csrf_token form field).")
    second_factor_needed: bool
    second_factor_enrolled: bool | None = None
    expires_at: str | None


class TotpEnrolOut(BaseModel):
    secret: str
    otpauth_uri: str


class CodeIn(Strict):
    code: str = Field(min_length=6, max_length=16)


class SignOutOut(BaseModel):
    sessions: int
    tokens: int
    content_links: int


# --- tokens and users ---------------------------------------------------------------------


class TokenIn(Strict):
    name: str = Field(default="api", min_length=1, max_length=100)
    expires_in_days: int = Field(default=30, ge=1, le=3650)


class TokenOut(BaseModel):
    id: str
    collar: str
    name: str
    hint: str
    created_at: str
    expires_at: str
    last_used_at: str | None
    revoked_at: str | None


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself: shown this once only.")


class UserIn(Strict):
    collar: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    roles: list[str] = Field(min_length=1, max_length=8)
    password: str | None = Field(default=None, min_length=12, max_length=1024)
    organisation: str | None = Field(default=None, max_length=200)


class UserPatch(Strict):
    active: bool | None = None
    roles: list[str] | None = Field(default=None, min_length=1, max_length=8)
    name: str | None = Field(default=None, min_length=1, max_length=200)


class UserOut(BaseModel):
    id: str
    force_code: str
    collar: str
    name: str
    roles: list[str]
    active: bool
    organisation: str | None
    created_at: str


# --- cases --------------------------------------------------------------------------------


class CaseIn(Strict):
    crime_ref: str = Field(
        min_length=1, max_length=64, description="The force's crime reference or incident number."
    )
    title: str = Field(min_length=1, max_length=300)
    urn: str | None = Field(default=None, max_length=20)
    classification: str | None = Field(default=None, max_length=32)


class CasePatch(Strict):
    status: str | None = Field(default=None, max_length=32)
    title: str | None = Field(default=None, min_length=1, max_length=300)


class CaseOut(BaseModel):
    id: str
    crime_ref: str
    force_code: str
    urn: str | None
    title: str
    status: str
    classification: str
    created_at: str
    updated_at: str


class AssignmentIn(Strict):
    collar: str = Field(min_length=1, max_length=32)
    role: str = Field(
        min_length=1,
        max_length=32,
        description="officer_in_charge, disclosure_officer, investigator or viewer",
    )


class AssignmentOut(BaseModel):
    id: str
    collar: str
    name: str
    role: str
    granted_at: str


class ExclusionIn(Strict):
    collar: str = Field(min_length=1, max_length=32)
    reason: str = Field(min_length=1, max_length=2000)


class ExclusionOut(BaseModel):
    id: str
    collar: str
    name: str
    reason: str
    excluded_at: str


# --- exhibits -----------------------------------------------------------------------------


class ExhibitOut(BaseModel):
    id: str
    case_id: str
    ref: str
    media_id: str
    parent_exhibit_id: str | None
    producer: str
    description: str | None
    classification: str
    restricted: bool
    status: str
    created_at: str
    sha256: str
    size: int
    mime_type: str
    original_name: str | None
    source: str
    captured_at: str | None
    clock_offset_seconds: float | None
    captured_by: str | None
    device_id: str | None


class IngestOut(BaseModel):
    sha256: str
    size: int
    mime_type: str
    media_id: str
    exhibit_id: str | None
    ref: str | None
    duplicate_content: bool


class AccessIn(Strict):
    justification: str | None = Field(default=None, max_length=2000, description="Why you are opening it.")
    reason: str | None = Field(default=None, max_length=200, description="A reason from the force's list.")
    sha256: str | None = Field(
        default=None, pattern=SHA256, description="A derivative; omit for the original."
    )


class GrantOut(BaseModel):
    url: str
    expires_at: str
    sha256: str
    size: int
    mime_type: str
    derivative: str | None


class RestrictionIn(Strict):
    people: list[str] = Field(default_factory=list, max_length=100, description="Collar numbers.")
    reason: str = Field(min_length=1, max_length=2000)


class PersonOut(BaseModel):
    collar: str
    name: str


class RestrictionOut(BaseModel):
    exhibit_id: str
    restricted: bool
    people: list[PersonOut]


# --- custody ------------------------------------------------------------------------------


class EventOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    seq: int
    leaf_hash: str
    at: str
    action: str


class VerificationOut(BaseModel):
    exhibit_id: str
    sha256: str
    content_intact: bool
    events: int
    events_in_log: bool
    checkpoint: str


class UploadOut(BaseModel):
    id: str
    length: int
    offset: int
    status: str
    metadata: dict[str, str]
    created_at: str
    expires_at: str
    sha256: str | None
    media_id: str | None
    exhibit_id: str | None
    ref: str | None
    problem: str | None


def dump(value: Any) -> dict[str, Any]:
    return value.as_dict()
