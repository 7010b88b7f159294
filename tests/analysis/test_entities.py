"""Entities: UK identifiers (validated), spoken registrations, names; with where they were found."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exhibits import identifiers as ids
from exhibits.analysis.entities.names import find_names
from exhibits.analysis.entities.patterns import find_identifiers
from exhibits.analysis.entities.processor import EntityProcessor
from exhibits.analysis.entities.spoken import NATO, find_spoken_vrms

from .conftest import run

LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"  # current-format memory tag letters (no I, Q, Z)
TAIL = "ABCDEFGHJKLMNOPRSTUVWXYZ"  # random letters (no I, Q)
NAMES_OF_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
SPELLING = {v: k for k, v in NATO.items() if k not in ("alfa", "fox", "juliett", "whisky", "xray")}

current_vrm = st.builds(
    lambda a, d, b: f"{a}{d:02d}{b}",
    st.text(LETTERS, min_size=2, max_size=2),
    st.integers(2, 99),
    st.text(TAIL, min_size=3, max_size=3),
)
filler = st.sampled_from(["I saw", "the car", "outside the shop,", "then", "at the junction with", ""])


def found(text: str, kind: str) -> list[str]:
    return [f.value for f in find_identifiers(text) if f.type == kind]


@settings(max_examples=150, deadline=None)
@given(current_vrm, filler, filler, st.booleans(), st.booleans())
def test_current_registrations_are_found_with_or_without_the_space(vrm, before, after, spaced, lower):
    plate = f"{vrm[:4]} {vrm[4:]}" if spaced else vrm
    plate = plate.lower() if lower else plate
    text = f"{before} {plate} {after}".strip()
    assert vrm in found(text, "vrm")
    assert ids.display_vrm(vrm) == f"{vrm[:4]} {vrm[4:]}"


outward = st.one_of(
    st.builds(lambda a, n: f"{a}{n}", st.sampled_from("BEGLMNSW"), st.integers(1, 99)),
    st.builds(
        lambda a, b, n: f"{a}{b}{n}", st.sampled_from("LMBS"), st.sampled_from("SEHN"), st.integers(1, 99)
    ),
    st.builds(lambda a, n, c: f"{a}{n}{c}", st.sampled_from("WE"), st.integers(1, 9), st.sampled_from("ACH")),
)
inward = st.builds(
    lambda n, x: f"{n}{x}", st.integers(0, 9), st.text("ABDEFGHJLNPQRSTUWXYZ", min_size=2, max_size=2)
)


@settings(max_examples=150, deadline=None)
@given(outward, inward, st.booleans(), st.booleans())
def test_postcodes_are_found_and_written_the_standard_way(out, inn, spaced, lower):
    code = f"{out} {inn}" if spaced else f"{out}{inn}"
    text = f"She lives at 3 Park Road, {code.lower() if lower else code}, near the station."
    assert f"{out} {inn}" in found(text, "postcode")


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 99), st.integers(1, 9_999_999), st.booleans())
def test_pnc_ids_need_their_check_character(year, serial, long_year):
    check = ids.mod23_check(int(f"{year:02d}{serial:07d}"))
    written_year = f"20{year:02d}" if long_year else f"{year:02d}"
    text = f"PNC ID {written_year}/{serial}{check} was checked."
    assert found(text, "pnc_id") == [f"{year:02d}/{serial}{check}"]
    wrong = next(c for c in ids.CHECK_ALPHABET if c != check)
    assert found(f"PNC ID {written_year}/{serial}{wrong} was checked.", "pnc_id") == []


def speak_vrm(vrm: str, draw) -> str:
    words = []
    for char in vrm:
        if char.isdigit():
            words.append(draw(st.sampled_from([NAMES_OF_DIGITS[int(char)], char])))
        else:
            words.append(draw(st.sampled_from([SPELLING[char], char])))
    return " ".join(words)


@settings(max_examples=150, deadline=None)
@given(current_vrm, st.data())
def test_spoken_registrations_are_recovered(vrm, data):
    said = speak_vrm(vrm, data.draw)
    text = f"I stopped the vehicle {said} on the high street at ten past four."
    assert [f.value for f in find_spoken_vrms(text)] == [vrm]


def test_spoken_registration_forms_whisper_produces():
    for said in (
        "alpha bravo one two charlie delta echo",
        "Alpha Bravo 1-2 Charlie Delta Echo",
        "A B twelve C D E",
        "A B 12 C D E",
        "alpha bravo twelve charlie delta echo",
    ):
        (item,) = find_spoken_vrms(f"vehicle {said}, driver out")
        assert item.value == "AB12CDE" and item.text == said
    assert find_spoken_vrms("at 10 past 4 I spoke to one two three people") == []
    assert find_spoken_vrms("double alpha one two charlie delta echo")[0].value == "AA12CDE"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300))
def test_any_text_is_safe_and_everything_found_validates(text):
    for item in find_identifiers(text) + find_spoken_vrms(text):
        assert text[item.start : item.end] == item.text
        if item.type == "vrm":
            assert ids.vrm_kind(item.value)
        elif item.type == "postcode":
            assert ids.normalise_postcode(item.value) == item.value
        elif item.type == "pnc_id":
            assert ids.pnc_id_valid(item.value)
        elif item.type == "phone":
            assert item.value.startswith("+")


@pytest.mark.parametrize(
    ("text", "kind", "values"),
    [
        ("call 07700 900123 or 0113 496 0000", "phone", ["+447700900123", "+441134960000"]),
        ("ring +44 (0)20 7946 0958 now", "phone", ["+442079460958"]),
        ("Email J.Smith@Example.ORG.", "email", ["j.smith@example.org"]),
        ("NINO AB 12 34 56 C", "nino", ["AB123456C"]),
        ("NINO QQ123456C is a specimen", "nino", []),  # Q is never a NINO prefix letter
        ("URN 01ZD0300108/2 for the file", "urn", ["01ZD0300108/2"]),
        ("phone 07700900123", "urn", []),  # eleven digits are a phone number, not a URN
        (
            "on 21/11/2026 and 2026-11-22 and 3rd March 2025",
            "date",
            ["2026-11-21", "2026-11-22", "2025-03-03"],
        ),
        ("on 31/02/2026", "date", []),
        ("at 16:10, 4.30pm, 2215 hours and 7am", "time", ["16:10", "16:30", "22:15", "07:00"]),
        ("reg ABC 123 and Y123 ABC and ABC 123D", "vrm", ["ABC123", "Y123ABC", "ABC123D"]),
        ("NHS 111 and PNC 21 and the A52", "vrm", []),  # dateless shapes only when a plate is read
    ],
)
def test_identifier_examples(text, kind, values):
    assert found(text, kind) == values


def test_names_places_and_organisations():
    (items,) = find_names(
        [
            "Sergeant Emma Clarke and PC 1234 Jane Smith met John Smith on the A52 "
            "near 14 High Street. He drove a Ford Focus."
        ]
    )
    people = {f.value for f in items if f.type == "person"}
    assert {"emma clarke", "jane smith", "john smith"} <= people
    assert "ford focus" not in people
    places = {f.value for f in items if f.type == "place"}
    assert {"A52", "14 high street"} & places or {"A52", "high street"} <= places
    titled = next(f for f in items if f.value == "jane smith" and f.method == "rule")
    assert titled.detail == {"title": "PC", "collar": "1234"}


def test_entities_in_a_real_transcript_carry_their_time(transcribed):
    facts = run(EntityProcessor(), __file__, "audio/x-wav", _tmp(), transcription=transcribed.facts).facts
    assert facts["model"]["name"] == "en_core_web_sm" and facts["layers"] == ["transcript"]
    person = next(e for e in facts["entities"] if e["value"] == "john smith")
    source = person["source"]
    segment = next(s for s in transcribed.facts["segments"] if s["id"] == source["segment"])
    assert source["layer"] == "transcript"
    assert segment["start"] <= source["start"] < source["end"] <= segment["end"]
    assert segment["text"][source["char_start"] : source["char_end"]] == person["text"]
    assert [segment["words"][i]["word"].strip(".") for i in source["words"]] == ["John", "Smith"]


def test_a_spoken_registration_is_timed_by_its_words():
    words = ["I", "stopped", "alpha", "bravo", "1-2", "Charlie", "Delta", "Echo", "there"]
    timed = [{"word": w, "start": 10 + i, "end": 10.5 + i, "probability": 0.9} for i, w in enumerate(words)]
    transcript = {"segments": [{"id": 0, "start": 10, "end": 19, "text": " ".join(words), "words": timed}]}
    facts = run(EntityProcessor(), __file__, "audio/x-wav", _tmp(), transcription=transcript).facts
    (vrm,) = [e for e in facts["entities"] if e["type"] == "vrm"]
    assert vrm["value"] == "AB12CDE" and vrm["method"] == "spoken"
    assert (vrm["source"]["start"], vrm["source"]["end"]) == (12, 17.5)
    assert vrm["source"]["words"] == [2, 3, 4, 5, 6, 7]


def test_entities_in_ocr_carry_their_word_boxes(ocr_result):
    facts = run(EntityProcessor(), __file__, "image/png", _tmp(), ocr=ocr_result.facts).facts
    by_type = {}
    for entity in facts["entities"]:
        by_type.setdefault(entity["type"], []).append(entity)
    vrm = by_type["vrm"][0]
    assert vrm["value"] == "AB12CDE" and vrm["source"]["page"] == 1
    words = {w["text"].strip(",."): w["box"] for w in ocr_result.facts["pages"][0]["words"]}
    assert vrm["source"]["boxes"] == [words["AB12"], words["CDE"]]
    assert [e["value"] for e in by_type["postcode"]] == ["LS1 4AP"]
    assert [e["value"] for e in by_type["phone"]] == ["+447700900123"]
    assert [e["value"] for e in by_type["email"]] == ["jane@example.org"]


def test_document_text_and_metadata_are_read_too():
    document = {
        "page_count": 2,
        "pages": [
            {"page": 1, "text": "Nothing here."},
            {"page": 2, "text": "Contact 07700 900456 about KM19 XYZ."},
        ],
    }
    probe = {"device": {"make": "Axon", "model": "Body 3"}, "comment": "Owner phone 07700 900789"}
    facts = run(
        EntityProcessor(), __file__, "application/pdf", _tmp(), document_text=document, probe=probe
    ).facts
    sources = {
        (e["value"], e["source"]["layer"], e["source"].get("page") or e["source"].get("field"))
        for e in facts["entities"]
        if e["type"] in ("phone", "vrm")
    }
    assert sources == {
        ("+447700900456", "document", 2),
        ("KM19XYZ", "document", 2),
        ("+447700900789", "metadata", "comment"),
    }


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp())
