"""Speech: spans to bleep or mute from transcript word timings, entities and chosen words."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from exhibits.errors import InvalidInput
from exhibits.redaction.detection.speech import PAD_SECONDS, speech_spans
from exhibits.redaction.domain import ItemKind, ItemState
from exhibits.redaction.service import ProposalInputs
from tests.redaction.media import make_wav

TRANSCRIPT = {
    "segments": [
        {
            "start": 0.0,
            "end": 1.0,
            "text": "My name is Jane Doe.",
            "confidence": 0.9,
            "words": [
                {"start": 0.0, "end": 0.2, "word": " My", "probability": 0.9},
                {"start": 0.2, "end": 0.4, "word": " name", "probability": 0.9},
                {"start": 0.4, "end": 0.5, "word": " is", "probability": 0.9},
                {"start": 0.5, "end": 0.7, "word": " Jane", "probability": 0.9},
                {"start": 0.7, "end": 0.9, "word": " Doe.", "probability": 0.9},
            ],
        },
        {
            "start": 1.0,
            "end": 2.0,
            "text": "Call me on 07700 900123.",
            "confidence": 0.9,
            "words": [
                {"start": 1.0, "end": 1.1, "word": " Call", "probability": 0.9},
                {"start": 1.1, "end": 1.2, "word": " me", "probability": 0.9},
                {"start": 1.2, "end": 1.3, "word": " on", "probability": 0.9},
                {"start": 1.3, "end": 1.6, "word": " 07700", "probability": 0.9},
                {"start": 1.6, "end": 1.9, "word": " 900123.", "probability": 0.9},
            ],
        },
    ]
}
ENTITIES = {
    "entities": [
        {
            "type": "person",
            "text": "Jane Doe",
            "value": "Jane Doe",
            "source": {"kind": "transcript", "segment": 0, "start": 0.5, "end": 0.9},
        },
        {
            "type": "phone",
            "text": "07700 900123",
            "value": "+447700900123",
            "source": {"kind": "transcript", "segment": 1, "time": 1.3},
        },
        {
            "type": "date",
            "text": "today",
            "value": "2026-11-22",
            "source": {"kind": "transcript", "segment": 0},
        },
    ]
}


def test_entities_and_chosen_words_become_padded_spans():
    outcome = speech_spans(ProposalInputs(transcript=TRANSCRIPT, entities=ENTITIES, terms=["name"]))
    spans = sorted(
        (round(p.geometry["start"], 3), round(p.geometry["end"], 3), p.reason) for p in outcome.proposals
    )
    assert spans == [
        (round(0.2 - PAD_SECONDS, 3), round(0.4 + PAD_SECONDS, 3), "speech"),
        (round(0.5 - PAD_SECONDS, 3), round(0.9 + PAD_SECONDS, 3), "name"),
        (round(1.3 - PAD_SECONDS, 3), round(1.9 + PAD_SECONDS, 3), "phone"),
    ]
    assert all(p.kind == ItemKind.AUDIO and p.geometry["effect"] == "bleep" for p in outcome.proposals)


def test_speech_needs_word_timings():
    with pytest.raises(InvalidInput, match="transcript"):
        speech_spans(ProposalInputs(entities=ENTITIES))
    with pytest.raises(InvalidInput, match="start and end"):
        speech_spans(ProposalInputs(transcript={"segments": [{"words": [{"word": "x"}]}]}, terms=["x"]))


def test_a_recording_is_bleeped_where_names_are_spoken_and_stays_a_wav(case_files, tmp_path):
    vault, officer = case_files.vault, case_files.officer
    recording = tmp_path / "999-call.wav"
    make_wav(recording, seconds=2.5)
    ref = case_files.add(recording)
    created = vault.redaction.create_set(officer, case_files.case, ref, "CPS charging file")
    inputs = ProposalInputs(transcript=TRANSCRIPT, entities=ENTITIES, audio_effect="mute")
    view, _ = vault.redaction.propose(officer, created.id, ["speech"], inputs)
    assert len(view.items) == 2
    vault.redaction.review(officer, created.id, None, ItemState.ACCEPTED)
    render = vault.redaction.render(officer, created.id)
    assert render.mime_type == "audio/wav"
    out = tmp_path / "out.wav"
    with vault.blobs.open(render.sha256) as source:
        out.write_bytes(source.read())
    with wave.open(str(out)) as handle:
        assert handle.getframerate() == 16000 and handle.getnchannels() == 1
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16) / 32768
    assert abs(len(samples) / 16000 - 2.5) < 0.01  # timing kept
    assert np.abs(samples[int(0.4 * 16000) : int(1.0 * 16000)]).max() < 0.01  # "Jane Doe" muted
    assert np.abs(samples[int(1.2 * 16000) : int(2.0 * 16000)]).max() < 0.01  # the phone number muted
    assert np.abs(samples[int(2.1 * 16000) : int(2.4 * 16000)]).max() > 0.4  # the rest untouched
