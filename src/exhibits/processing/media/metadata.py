"""Reading capture metadata (EXIF, QuickTime/MP4 tags) defensively into plain facts.

Metadata comes from the device that made the file, or from whoever altered it: every
value is untrusted text, lengths are bounded, and a malformed field becomes a warning,
never an exception.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from typing import Any

MAX_TEXT = 512
MAX_TAGS = 200

_ISO6709 = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?(?:CRS[^/]*)?/?$")


def text(value: Any, limit: int = MAX_TEXT) -> str | None:
    """Untrusted metadata as bounded text: bytes decoded leniently, NUL padding dropped."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        value = bytes(value[: limit * 4]).split(b"\x00", 1)[0].decode("utf-8", "replace")
    value = str(value).replace("\x00", "").strip()
    return value[:limit] or None


def number(value: Any) -> float | None:
    try:
        if isinstance(value, tuple) and len(value) == 2:
            result = float(Fraction(int(value[0]), int(value[1])))
        else:
            result = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return result if math.isfinite(result) else None


def rational(text_value: str | None) -> float | None:
    """'30000/1001' -> 29.97..."""
    if not text_value or text_value in ("0/0", "N/A"):
        return None
    try:
        result = float(Fraction(text_value))
    except (ValueError, ZeroDivisionError):
        return None
    return round(result, 3) if result > 0 and math.isfinite(result) else None


def gps_from_iso6709(value: str | None) -> dict[str, float] | None:
    """QuickTime's '+51.5007-000.1246+010.000/' as decimal degrees and metres."""
    if not value:
        return None
    match = _ISO6709.match(value.strip())
    if not match:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    gps: dict[str, float] = {"latitude": lat, "longitude": lon}
    if match.group(3):
        gps["altitude"] = float(match.group(3))
    return gps


def _degrees(values: Any, ref: Any) -> float | None:
    try:
        d, m, s = (number(v) for v in values)
    except (TypeError, ValueError):
        return None
    if d is None or m is None or s is None:
        return None
    result = d + m / 60 + s / 3600
    if text(ref) in ("S", "W"):
        result = -result
    return round(result, 7)


def gps_from_exif(gps: dict[int, Any]) -> dict[str, float] | None:
    """EXIF GPS IFD (tags 1-6) as decimal degrees and metres."""
    if not gps:
        return None
    lat = _degrees(gps.get(2), gps.get(1)) if gps.get(2) is not None else None
    lon = _degrees(gps.get(4), gps.get(3)) if gps.get(4) is not None else None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    result: dict[str, float] = {"latitude": lat, "longitude": lon}
    altitude = number(gps.get(6))
    if altitude is not None:
        below = gps.get(5) in (1, b"\x01")
        result["altitude"] = -altitude if below else altitude
    return result


def exif_time(value: Any, offset: Any = None) -> str | None:
    """EXIF '2026:11:20 21:40:00' (+ OffsetTime '+00:00') as ISO 8601; local if no offset."""
    raw = text(value, 64)
    if not raw:
        return None
    try:
        moment = datetime.strptime(raw[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    zone = text(offset, 16)
    match = re.match(r"^([+-])(\d{2}):(\d{2})$", zone or "")
    if match:
        sign = 1 if match.group(1) == "+" else -1
        delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
        return (
            moment.replace(tzinfo=timezone(sign * delta)).astimezone(UTC).isoformat().replace("+00:00", "Z")
        )
    return moment.isoformat()  # the camera's local time, zone unknown


def iso_time(value: str | None) -> str | None:
    """A container's creation_time as ISO 8601 UTC, if it parses."""
    raw = text(value, 64)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return raw
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def bounded_tags(tags: dict[str, Any] | None) -> dict[str, str]:
    """At most MAX_TAGS tags, keys and values bounded, as text."""
    out: dict[str, str] = {}
    for key, value in list((tags or {}).items())[:MAX_TAGS]:
        name = text(key, 128)
        if name:
            out[name] = text(value) or ""
    return out
