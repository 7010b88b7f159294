"""Automatic plate proposals: text that reads as a UK registration, found on keyframes.

No plate detector with usable weights is packaged for these machines, so this is text
detection: Tesseract looks for sparse text on keyframes (about one a second) and words
that read as a registration mark (current, prefix, suffix or Northern Ireland format)
become proposals, each then followed through the clip by the assisted tracker. OpenCV's
Haar cascade for (Russian) plates adds candidate boxes whose crops Tesseract reads as a
line; it is a weak baseline and is measured as such in bench/redaction. Every plate read
is also returned as a fact, for entity extraction and search.

Recall is limited and depends on plate size, angle and light: assisted tracking (a
person draws the box once) is the reliable path, and the review screen is where misses
are caught.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from exhibits.identifiers import compact, vrm_kind
from exhibits.redaction.domain import Box, ItemKind, MediaKind
from exhibits.redaction.tracking.tracks import iou

if TYPE_CHECKING:
    from exhibits.redaction.service import DetectionOutcome
    from exhibits.redaction.settings import RedactionSettings

SOURCE = "plates:tesseract-1"
KEYFRAME_SECONDS = 1.0
READ_WIDTH = 1280  # keyframes are read at most this wide
PLATE_KINDS = ("vrm_current", "vrm_prefix", "vrm_suffix", "vrm_ni")
WHITELIST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "


@dataclass(frozen=True)
class PlateRead:
    text: str  # normalised, no spaces
    time: float | None
    box: Box  # normalised
    confidence: float
    method: str  # "scene-text" or "haar"


def plate_text(words: list[str]) -> str | None:
    """The registration spelt by one or two adjacent words, if they read as one."""
    value = compact("".join(words)).upper()
    value = (
        value.replace("O", "0")
        if value[:2].isalpha() and value[2:4].isdigit() and "O" in value[2:4]
        else value
    )
    kind = vrm_kind(value)
    return value if kind in PLATE_KINDS else None


def read_plates(image: np.ndarray, *, data: str | None = None, haar: bool = True) -> list[PlateRead]:
    """Plates in one BGR picture (boxes normalised to it)."""
    from exhibits.redaction.detection.ocr import read_line, read_words

    width = image.shape[1]
    factor = min(1.0, READ_WIDTH / width)
    work = image if factor == 1.0 else _resize(image, factor)
    reads: list[PlateRead] = []
    words = [w for w in read_words(work, data=data, psm=11) if w.text]
    for i, word in enumerate(words):
        candidates = [[word]]
        if i + 1 < len(words) and _same_line(word, words[i + 1]):
            candidates.insert(0, [word, words[i + 1]])
        for group in candidates:
            text = plate_text([w.text for w in group])
            if text:
                x1, y1 = min(w.x for w in group), min(w.y for w in group)
                x2, y2 = max(w.x + w.w for w in group), max(w.y + w.h for w in group)
                box = _plate_box(x1, y1, x2, y2, work.shape[1], work.shape[0])
                reads.append(PlateRead(text, None, box, min(w.conf for w in group), "scene-text"))
                break
    shaped = [(box, "plate-shape") for box in _plate_shaped(work)]
    cascade = [(box, "haar") for box in _haar_candidates(work)] if haar else []
    for (x, y, w, h), method in shaped + cascade:
        pad_x, pad_y = w // 20, h // 10
        crop = work[max(0, y - pad_y) : y + h + pad_y, max(0, x - pad_x) : x + w + pad_x]
        text, conf = read_line(_for_ocr(crop), data=data, whitelist=WHITELIST)
        value = plate_text([text]) if text else None
        if value:
            box = Box.parse([x / work.shape[1], y / work.shape[0], w / work.shape[1], h / work.shape[0]])
            reads.append(PlateRead(value, None, box, conf, method))
    return _dedupe(reads)


def _resize(image: np.ndarray, factor: float) -> np.ndarray:
    import cv2

    return cv2.resize(
        image, (round(image.shape[1] * factor), round(image.shape[0] * factor)), interpolation=cv2.INTER_AREA
    )


def _same_line(a, b) -> bool:
    return abs((a.y + a.h / 2) - (b.y + b.h / 2)) < max(a.h, b.h) * 0.5 and 0 <= b.x - (a.x + a.w) < 2 * max(
        a.h, b.h
    )


def _plate_box(x1: int, y1: int, x2: int, y2: int, width: int, height: int) -> Box:
    """The characters' box grown to the plate around them."""
    w, h = x2 - x1, y2 - y1
    return Box.parse([(x1 - 0.15 * w) / width, (y1 - 0.5 * h) / height, 1.3 * w / width, 2.0 * h / height])


def _plate_shaped(image: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Bright rectangles of a plate's proportions with dark strokes inside: plate candidates."""
    import cv2

    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    otsu, _ = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    found: list[tuple[int, int, int, int]] = []
    # Plates are among the brightest things in a scene: try a few levels, not just one.
    for level in sorted({int(otsu), 150, 180, 210}):
        _, bright = cv2.threshold(grey, level, 255, cv2.THRESH_BINARY)
        closed = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 3)))
        contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            if h < 10 or w < 30 or not 2.0 <= w / h <= 7.0:
                continue
            if cv2.contourArea(contour) < 0.6 * w * h:  # not a filled rectangle
                continue
            inside = grey[y : y + h, x : x + w]
            dark = float((inside < level * 0.6).mean())
            if 0.05 < dark < 0.6 and not any(_overlap(found_box, (x, y, w, h)) > 0.5 for found_box in found):
                found.append((x, y, w, h))  # characters: some dark strokes, not a dark hole
    return found


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    return iou(Box(*a), Box(*b))


def _for_ocr(crop: np.ndarray) -> np.ndarray:
    """Scale a candidate so characters are about 40 pixels tall, as Tesseract likes them."""
    import cv2

    factor = max(1.0, 60 / max(1, crop.shape[0]))
    return cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC) if factor > 1 else crop


def _haar_candidates(image: np.ndarray) -> list[tuple[int, int, int, int]]:
    import cv2

    cascade = _cascade()
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    found = cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=3, minSize=(40, 12))
    return [tuple(int(v) for v in row) for row in found] if len(found) else []


def _cascade():
    import cv2

    from exhibits.errors import ConfigurationError

    if not hasattr(cv2, "CascadeClassifier") or not hasattr(cv2, "data"):
        raise ConfigurationError("OpenCV without Haar cascades: install opencv-python-headless<5")
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_russian_plate_number.xml")
    if cascade.empty():
        raise ConfigurationError("OpenCV's plate cascade could not be loaded")
    return cascade


def _dedupe(reads: list[PlateRead]) -> list[PlateRead]:
    kept: list[PlateRead] = []
    for read in sorted(reads, key=lambda r: -r.confidence):
        if not any(iou(read.box, other.box) > 0.3 for other in kept):
            kept.append(read)
    return kept


def detect_plates(path: Path, kind: MediaKind, settings: RedactionSettings) -> DetectionOutcome:
    from exhibits.redaction.service import DetectionOutcome, Proposal

    if kind is MediaKind.IMAGE:
        from exhibits.redaction.images import open_image, to_bgr

        reads = read_plates(to_bgr(open_image(path, settings.max_image_pixels)), data=settings.tesseract_data)
        proposals = [
            Proposal(
                ItemKind.REGION,
                "plate",
                {"shape": "box", "box": r.box.as_list(), "page": None},
                SOURCE,
                score=round(r.confidence / 100, 3),
                note=f"reads {r.text}",
            )
            for r in reads
        ]
        return DetectionOutcome(proposals, {"plates": [_fact(r) for r in reads]})
    return _detect_plates_video(path, settings)


def _detect_plates_video(path: Path, settings: RedactionSettings) -> DetectionOutcome:
    from exhibits.redaction.media import iter_frames, probe_video
    from exhibits.redaction.service import DetectionOutcome, Proposal
    from exhibits.redaction.tracking.follow import follow_region

    info = probe_video(path)
    step = max(1, round(info.fps * KEYFRAME_SECONDS))
    warnings: list[str] = []
    reads: list[PlateRead] = []
    for frame in iter_frames(path, info, warnings, want=lambda i: i % step == 0):
        if frame.image is None:
            continue
        for read in read_plates(frame.image, data=settings.tesseract_data):
            reads.append(PlateRead(read.text, frame.time, read.box, read.confidence, read.method))
    proposals = []
    covered: list[tuple[str, float, float]] = []  # plate text and the time its track covers
    for read in sorted(reads, key=lambda r: -r.confidence):
        assert read.time is not None
        if any(text == read.text and start <= read.time <= end for text, start, end in covered):
            continue
        track = follow_region(path, read.time, read.box)
        covered.append((read.text, track.start, track.end))
        proposals.append(
            Proposal(
                ItemKind.TRACK,
                "plate",
                track.as_geometry(),
                SOURCE,
                score=round(read.confidence / 100, 3),
                note=f"reads {read.text}",
            )
        )
    return DetectionOutcome(proposals, {"plates": [_fact(r) for r in reads]}, warnings)


def _fact(read: PlateRead) -> dict:
    """A plate read in the entity facts' shape, so entity extraction and search can use it."""
    return {
        "type": "vrm",
        "text": read.text,
        "value": read.text,
        "confidence": round(read.confidence / 100, 3),
        "source": {"kind": "plate-read", "time": read.time, "box": read.box.as_list(), "method": read.method},
    }
