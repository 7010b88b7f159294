"""The vocabulary of redaction and the geometry of its items, as plain validated data.

Coordinates are normalised to the displayed picture (0..1 of width and height, after any
rotation the source asks for), so the same set applies to the browser proxy a reviewer
sees and to the native-resolution original the render reads. Times are seconds from the
start of the media, so variable frame rates need no special case.
"""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_right
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

from exhibits.errors import InvalidInput


class MediaKind(StrEnum):
    VIDEO = "video"
    IMAGE = "image"
    AUDIO = "audio"
    PDF = "pdf"


class ItemKind(StrEnum):
    TRACK = "track"  # a box or ellipse moving over time (video)
    REGION = "region"  # a box or ellipse on an image or a PDF page
    AUDIO = "audio"  # a time span to mute or bleep
    TEXT = "text"  # a span of document text, with the boxes it occupies
    DECISION = "decision"  # a set-level "reviewed, not redacted" record


class ItemState(StrEnum):
    PROPOSED = "proposed"  # from a detector, not yet reviewed
    ACCEPTED = "accepted"  # will be redacted
    REJECTED = "rejected"  # not a real finding (false detection)
    KEPT = "kept"  # reviewed, deliberately not redacted, with a reason


RENDERED_STATES = frozenset({ItemState.ACCEPTED})

# Common reasons (free text is allowed too; these keep reports consistent).
REASONS = {
    "face": "third party's face",
    "plate": "vehicle registration",
    "address": "address",
    "phone": "phone number",
    "email": "email address",
    "name": "name",
    "dob": "date of birth",
    "screen": "screen content",
    "tattoo": "distinguishing mark",
    "house_number": "house number",
    "speech": "spoken personal data",
    "other": "other personal data",
}

SHAPES = ("box", "ellipse")
AUDIO_EFFECTS = ("bleep", "mute")


def normalise_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("every redaction needs a reason, e.g. face, plate, address, phone")
    if len(text) > 64:
        raise InvalidInput("a reason is at most 64 characters (put detail in --note)")
    return text.lower() if text.lower() in REASONS else text


def reason_label(reason: str) -> str:
    return REASONS.get(reason, reason)


@dataclass(frozen=True)
class Box:
    """Normalised box: left, top, width, height in 0..1."""

    x: float
    y: float
    w: float
    h: float

    @classmethod
    def parse(cls, values: Any) -> Box:
        if (
            not isinstance(values, list | tuple)
            or len(values) != 4
            or any(isinstance(v, bool) for v in values)
        ):
            raise InvalidInput("a box is four numbers: x, y, width, height")
        try:
            x, y, w, h = (float(v) for v in values)
        except (TypeError, ValueError) as exc:
            raise InvalidInput("a box is four numbers: x, y, width, height") from exc
        if not all(math.isfinite(v) for v in (x, y, w, h)) or w <= 0 or h <= 0:
            raise InvalidInput("a box needs a positive width and height")
        # Clip to the picture; a box wholly outside it is an error, not silently nothing.
        x2, y2 = min(1.0, x + w), min(1.0, y + h)
        x, y = max(0.0, x), max(0.0, y)
        if x2 <= x or y2 <= y:
            raise InvalidInput("the box lies outside the picture")
        return cls(x, y, x2 - x, y2 - y)

    def as_list(self) -> list[float]:
        return [round(self.x, 6), round(self.y, 6), round(self.w, 6), round(self.h, 6)]

    def grown(self, fraction: float) -> Box:
        dx, dy = self.w * fraction, self.h * fraction
        return Box.parse([self.x - dx, self.y - dy, self.w + 2 * dx, self.h + 2 * dy])

    def pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """Pixel rectangle (x1, y1, x2, y2) covering the box, rounded outwards."""
        x1 = max(0, math.floor(self.x * width))
        y1 = max(0, math.floor(self.y * height))
        x2 = min(width, math.ceil((self.x + self.w) * width))
        y2 = min(height, math.ceil((self.y + self.h) * height))
        return x1, y1, x2, y2


def union(boxes: list[Box]) -> Box:
    x1 = min(b.x for b in boxes)
    y1 = min(b.y for b in boxes)
    x2 = max(b.x + b.w for b in boxes)
    y2 = max(b.y + b.h for b in boxes)
    return Box(x1, y1, x2 - x1, y2 - y1)


@dataclass(frozen=True)
class Track:
    """A region over time: keyframes (t, box), linear in between, covering [start, end]."""

    shape: str
    start: float
    end: float
    keyframes: tuple[tuple[float, Box], ...]

    @classmethod
    def parse(cls, geometry: dict[str, Any]) -> Track:
        shape = geometry.get("shape", "box")
        if shape not in SHAPES:
            raise InvalidInput(f"shape must be one of {', '.join(SHAPES)}")
        raw = geometry.get("keyframes") or []
        if not raw or not isinstance(raw, list):
            raise InvalidInput("a track needs at least one keyframe")
        if not all(isinstance(k, list | tuple) and len(k) == 5 for k in raw):
            raise InvalidInput("a keyframe is five numbers: time, x, y, width, height")
        frames = sorted(((_time(k[0]), Box.parse(k[1:5])) for k in raw), key=lambda k: k[0])
        start = _time(geometry.get("start", frames[0][0]))
        end = _time(geometry.get("end", frames[-1][0]))
        if end < start:
            raise InvalidInput("a track ends before it starts")
        return cls(shape, start, end, tuple(frames))

    def as_geometry(self) -> dict[str, Any]:
        return {
            "shape": self.shape,
            "start": round(self.start, 6),
            "end": round(self.end, 6),
            "keyframes": [[round(t, 6), *b.as_list()] for t, b in self.keyframes],
        }

    def box_at(self, t: float) -> Box | None:
        if t < self.start - 1e-9 or t > self.end + 1e-9:
            return None
        times = [k[0] for k in self.keyframes]
        i = bisect_right(times, t)
        if i == 0:
            return self.keyframes[0][1]
        if i == len(times):
            return self.keyframes[-1][1]
        (t0, a), (t1, b) = self.keyframes[i - 1], self.keyframes[i]
        f = (t - t0) / (t1 - t0) if t1 > t0 else 0.0
        return Box(a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f, a.w + (b.w - a.w) * f, a.h + (b.h - a.h) * f)

    def adjusted(self, t: float, box: Box) -> Track:
        """The same track with the box at ``t`` set by a person (a keyframe added or replaced)."""
        frames = [k for k in self.keyframes if abs(k[0] - t) > 1e-6] + [(t, box)]
        frames.sort(key=lambda k: k[0])
        return Track(self.shape, min(self.start, t), max(self.end, t), tuple(frames))


@dataclass(frozen=True)
class Region:
    shape: str
    box: Box
    page: int | None  # 1-based page of a PDF; None for an image

    @classmethod
    def parse(cls, geometry: dict[str, Any]) -> Region:
        shape = geometry.get("shape", "box")
        if shape not in SHAPES:
            raise InvalidInput(f"shape must be one of {', '.join(SHAPES)}")
        page = geometry.get("page")
        if page is not None and (not _is_int(page) or page < 1):
            raise InvalidInput("pages are numbered from 1")
        return cls(shape, Box.parse(geometry.get("box")), page)

    def as_geometry(self) -> dict[str, Any]:
        return {"shape": self.shape, "box": self.box.as_list(), "page": self.page}


@dataclass(frozen=True)
class AudioSpan:
    start: float
    end: float
    effect: str

    @classmethod
    def parse(cls, geometry: dict[str, Any]) -> AudioSpan:
        start, end = _time(geometry.get("start")), _time(geometry.get("end"))
        effect = geometry.get("effect", "bleep")
        if effect not in AUDIO_EFFECTS:
            raise InvalidInput(f"an audio span is either {' or '.join(AUDIO_EFFECTS)}")
        if end <= start:
            raise InvalidInput("an audio span must end after it starts")
        return cls(start, end, effect)

    def as_geometry(self) -> dict[str, Any]:
        return {"start": round(self.start, 6), "end": round(self.end, 6), "effect": self.effect}


@dataclass(frozen=True)
class TextSpan:
    """Document text to remove, with the boxes it occupies on its page."""

    page: int
    text: str
    boxes: tuple[Box, ...]

    @classmethod
    def parse(cls, geometry: dict[str, Any]) -> TextSpan:
        page = geometry.get("page")
        if not _is_int(page) or page < 1:
            raise InvalidInput("pages are numbered from 1")
        text = geometry.get("text") or ""
        if not isinstance(text, str):
            raise InvalidInput("a text span's text must be text")
        raw = geometry.get("boxes") or []
        if not isinstance(raw, list):
            raise InvalidInput("a text span needs the boxes it occupies")
        boxes = tuple(Box.parse(b) for b in raw)
        if not boxes:
            raise InvalidInput("a text span needs the boxes it occupies")
        return cls(page, text, boxes)

    def as_geometry(self) -> dict[str, Any]:
        return {"page": self.page, "text": self.text, "boxes": [b.as_list() for b in self.boxes]}


def validate_geometry(kind: ItemKind, geometry: dict[str, Any]) -> dict[str, Any]:
    """Checked, normalised geometry for an item of ``kind``."""
    if not isinstance(geometry, dict):
        raise InvalidInput("geometry must be an object")
    if kind is ItemKind.TRACK:
        return Track.parse(geometry).as_geometry()
    if kind is ItemKind.REGION:
        return Region.parse(geometry).as_geometry()
    if kind is ItemKind.AUDIO:
        return AudioSpan.parse(geometry).as_geometry()
    if kind is ItemKind.TEXT:
        return TextSpan.parse(geometry).as_geometry()
    return {}


KINDS_FOR_MEDIA: dict[MediaKind, frozenset[ItemKind]] = {
    MediaKind.VIDEO: frozenset({ItemKind.TRACK, ItemKind.AUDIO, ItemKind.DECISION}),
    MediaKind.AUDIO: frozenset({ItemKind.AUDIO, ItemKind.DECISION}),
    MediaKind.IMAGE: frozenset({ItemKind.REGION, ItemKind.DECISION}),
    MediaKind.PDF: frozenset({ItemKind.REGION, ItemKind.TEXT, ItemKind.DECISION}),
}


def media_kind_of(mime_type: str) -> MediaKind:
    if mime_type == "application/pdf":
        return MediaKind.PDF
    major = mime_type.split("/", 1)[0]
    if major in ("video", "image", "audio"):
        return MediaKind(major)
    raise InvalidInput(
        f"redaction of {mime_type} content is not supported (video, audio, images and PDF are)"
    )


def digest(content: dict[str, Any]) -> str:
    """SHA-256 of a set version's content, as sorted compact JSON."""
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _time(value: Any) -> float:
    if isinstance(value, bool):
        raise InvalidInput("times are seconds from the start, e.g. 12.48")
    try:
        t = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("times are seconds from the start, e.g. 12.48") from exc
    if not math.isfinite(t) or t < 0:
        raise InvalidInput("times are seconds from the start, e.g. 12.48")
    return t
