"""Evidence vocabulary and its rules, free of storage and I/O."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import StrEnum

from exhibits import identifiers
from exhibits.errors import InvalidInput


class Source(StrEnum):
    BWV = "bwv"
    CCTV = "cctv"
    PHONE = "phone"
    PUBLIC = "public"
    INTERVIEW = "interview"
    DOCUMENT = "document"
    OTHER = "other"

    @property
    def label(self) -> str:
        return SOURCE_LABELS[self]


SOURCE_LABELS = {
    Source.BWV: "Body-worn video",
    Source.CCTV: "CCTV",
    Source.PHONE: "Phone or camera",
    Source.PUBLIC: "Public submission",
    Source.INTERVIEW: "Interview recording",
    Source.DOCUMENT: "Document",
    Source.OTHER: "Other",
}


class Classification(StrEnum):
    OFFICIAL = "OFFICIAL"
    OFFICIAL_SENSITIVE = "OFFICIAL-SENSITIVE"


REFUSED_CLASSIFICATIONS = {"SECRET", "TOP SECRET", "TOP-SECRET", "TOPSECRET"}


class CaseStatus(StrEnum):
    OPEN = "open"
    AWAITING_CHARGE = "awaiting-charge"
    CHARGED = "charged"
    AT_COURT = "at-court"
    NO_FURTHER_ACTION = "no-further-action"
    CLOSED = "closed"


def parse_classification(text: str | None) -> Classification:
    if not text:
        return Classification.OFFICIAL
    value = " ".join(text.upper().replace("_", "-").split())
    if value.replace("-", " ") in {v.replace("-", " ") for v in REFUSED_CLASSIFICATIONS}:
        raise InvalidInput(
            f"{value} material must not be stored in Exhibits: it is accredited for OFFICIAL "
            "and OFFICIAL-SENSITIVE only"
        )
    for option in Classification:
        if value in (option.value, option.value.replace("-", " ")):
            return option
    raise InvalidInput(f"unknown classification {text!r}: use OFFICIAL or OFFICIAL-SENSITIVE")


def parse_source(text: str | None) -> Source:
    if not text:
        return Source.OTHER
    value = text.strip().lower().replace("_", "-")
    aliases = {"body-worn": Source.BWV, "body-worn-video": Source.BWV, "camera": Source.PHONE}
    if value in aliases:
        return aliases[value]
    try:
        return Source(value)
    except ValueError:
        options = ", ".join(s.value for s in Source)
        raise InvalidInput(f"unknown source {text!r}: use one of {options}") from None


def validate_urn(text: str | None) -> str | None:
    """The stored form of a URN (with its PTI suffix, if any), or None."""
    if not text:
        return None
    try:
        urn, suffix = identifiers.split_urn(text)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    return f"{urn}/{suffix}" if suffix else urn


def validate_crime_ref(text: str) -> str:
    value = text.strip()
    if not value or len(value) > 64 or any(unicodedata.category(c).startswith("C") for c in value):
        raise InvalidInput("a crime reference is 1-64 printable characters")
    return value


def validate_title(text: str) -> str:
    _no_nul(text, "a case title")
    value = " ".join(text.split())
    if not value or len(value) > 300:
        raise InvalidInput("a case title is 1-300 characters")
    return value


def validate_text(text: str | None, what: str, limit: int = 4000) -> str | None:
    if text is None:
        return None
    _no_nul(text, what)
    value = text.strip()
    if len(value) > limit:
        raise InvalidInput(f"{what} is longer than {limit} characters")
    return value or None


def _no_nul(text: str, what: str) -> None:
    if "\x00" in text:
        raise InvalidInput(f"{what} contains a NUL character")


def validate_clock_offset(seconds: float | None) -> float | None:
    if seconds is None:
        return None
    if abs(seconds) > 10 * 365 * 86400:
        raise InvalidInput("a clock offset of more than ten years is not plausible")
    return seconds


def check_captured_at(moment: datetime | None, now: datetime) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise InvalidInput("capture time needs a time zone (use Z for UTC)")
    if moment > now.replace(year=now.year + 1):
        raise InvalidInput("capture time is in the future")
    return moment


_PARSE_DURATION = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*([smhd]?)\s*$")


def parse_offset(text: str | None) -> float | None:
    """'+90s', '-2m', '1h' or plain seconds: the source clock minus true time."""
    if text is None or text == "":
        return None
    match = _PARSE_DURATION.match(text)
    if not match:
        raise InvalidInput(f"cannot read clock offset {text!r} (examples: +90s, -2m, 1h)")
    factor = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return validate_clock_offset(float(match.group(1)) * factor)
