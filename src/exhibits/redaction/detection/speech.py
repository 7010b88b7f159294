"""Speech to bleep or mute: spans from transcript word timings.

Three sources, all in the analysis processors' fact shapes: entities found in the
transcript (names, addresses, phone numbers, registrations...; each keeps its segment and
time), terms a person asks for, and words a person selects by time. Word timings from
speech recognition are approximate, so each span is padded; overlapping spans merge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from exhibits.errors import InvalidInput
from exhibits.redaction.domain import ItemKind
from exhibits.redaction.matching import find_runs

if TYPE_CHECKING:
    from exhibits.redaction.service import DetectionOutcome, ProposalInputs

PAD_SECONDS = 0.15
# Entity types redacted from speech unless the person chooses otherwise.
DEFAULT_ENTITY_TYPES = frozenset(
    {
        "person",
        "per",
        "name",
        "address",
        "postcode",
        "phone",
        "email",
        "vrm",
        "plate",
        "nino",
        "dob",
        "date_of_birth",
        "gpe",
        "loc",
        "fac",
        "place",
    }
)
_REASON_OF = {
    "person": "name",
    "per": "name",
    "name": "name",
    "address": "address",
    "postcode": "address",
    "gpe": "address",
    "loc": "address",
    "fac": "address",
    "place": "address",
    "phone": "phone",
    "email": "email",
    "vrm": "plate",
    "plate": "plate",
    "dob": "dob",
    "date_of_birth": "dob",
}


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    segment: int


def words_of(transcript: dict[str, Any]) -> list[Word]:
    segments = transcript.get("segments")
    if not isinstance(segments, list):
        raise InvalidInput("transcription facts need a list of segments")
    words = []
    for index, segment in enumerate(segments):
        for word in segment.get("words") or []:
            try:
                start, end = float(word["start"]), float(word["end"])
            except (KeyError, TypeError, ValueError) as exc:
                raise InvalidInput(f"segment {index}: every word needs start and end times") from exc
            words.append(Word(start, max(start, end), str(word.get("word", "")), index))
    return words


def find_phrase(
    words: list[Word], phrase: str, within: tuple[float, float] | None = None
) -> list[tuple[float, float]]:
    """Times of every occurrence of ``phrase`` as consecutive words (punctuation and case ignored)."""
    found = []
    for i, j in find_runs([w.text for w in words], phrase):
        span = (words[i].start, words[j].end)
        if within is None or (span[1] > within[0] - 0.5 and span[0] < within[1] + 0.5):
            found.append(span)
    return found


def speech_spans(inputs: ProposalInputs) -> DetectionOutcome:
    from exhibits.redaction.service import DetectionOutcome, Proposal

    if inputs.transcript is None:
        raise InvalidInput(
            "speech redaction needs the transcript with word timings (--transcript FILE, from transcription)"
        )
    words = words_of(inputs.transcript)
    segments = inputs.transcript.get("segments") or []
    wanted = {t.lower() for t in inputs.entity_types} if inputs.entity_types else DEFAULT_ENTITY_TYPES
    spans: list[tuple[float, float, str, str]] = []  # start, end, reason, note
    warnings: list[str] = []
    for entity in (inputs.entities or {}).get("entities", []):
        kind = str(entity.get("type", "")).lower()
        if kind not in wanted:
            continue
        source = entity.get("source") or {}
        if source.get("kind") not in (None, "transcript", "transcription", "speech"):
            continue
        text = str(entity.get("text") or "")
        within = None
        if isinstance(source.get("segment"), int) and 0 <= source["segment"] < len(segments):
            seg = segments[source["segment"]]
            within = (float(seg.get("start", 0)), float(seg.get("end", 0)))
        elif source.get("start") is not None and source.get("end") is not None:
            within = (float(source["start"]), float(source["end"]))
        elif source.get("time") is not None:
            within = (float(source["time"]) - 0.5, float(source["time"]) + 3.0)
        hits = find_phrase(words, text, within)
        if not hits and within is not None:
            hits = [within]  # the words were garbled (spelled-out plates): bleep the whole stretch
            warnings.append(f"{kind} {text!r} not matched to words: its whole segment is proposed")
        spans += [(a, b, _REASON_OF.get(kind, kind), f"{kind}: {text}") for a, b in hits]
    for term in inputs.terms:
        hits = find_phrase(words, term)
        if not hits:
            warnings.append(f"{term!r} was not found in the transcript")
        spans += [(a, b, "speech", f"term: {term}") for a, b in hits]
    proposals = [
        Proposal(
            ItemKind.AUDIO,
            reason,
            {"start": max(0.0, a - PAD_SECONDS), "end": b + PAD_SECONDS, "effect": inputs.audio_effect},
            "transcript-words",
            note=note,
        )
        for a, b, reason, note in _merge(spans)
    ]
    return DetectionOutcome(proposals, {}, warnings)


def _merge(spans: list[tuple[float, float, str, str]]) -> list[tuple[float, float, str, str]]:
    merged: list[tuple[float, float, str, str]] = []
    for span in sorted(spans):
        if merged and span[0] <= merged[-1][1] + 2 * PAD_SECONDS and span[2] == merged[-1][2]:
            a, b, reason, note = merged[-1]
            merged[-1] = (a, max(b, span[1]), reason, note if span[3] in note else f"{note}; {span[3]}")
        else:
            merged.append(span)
    return merged
