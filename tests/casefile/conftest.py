"""A case with real exhibits, a statement and partners, shared by the case-file tests."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from exhibits.evidence.service import IngestRequest
from tests.conftest import ADMIN_PASSWORD

CASE = "42/555/26"
URN = "42AB0055526"


@dataclass
class CaseWorld:
    vault: object
    oic: object  # officer in charge (1234)
    investigator: object
    outsider: object
    supervisor: object
    prosecutor: object
    defence: object
    case: str
    refs: list[str]
    contents: dict[str, bytes]


def ingest(vault, principal, data: bytes, name: str, **fields):
    request = IngestRequest(case=CASE, producer="PC 1234 Jane Smith", **fields)
    return vault.evidence.ingest_stream(principal, io.BytesIO(data), name, request)


@pytest.fixture
def world(vault, people) -> CaseWorld:
    admin = people.admin
    for collar, name, role, org in [
        ("5678", "Sam Sergeant", "supervisor", None),
        ("CPS1", "Priya Prosecutor", "prosecutor", "CPS Thames and Chiltern"),
        ("DEF1", "Dan Defence", "defence", "Smith & Co Solicitors"),
    ]:
        vault.users.create_user(
            admin, collar=collar, name=name, roles=[role], password=ADMIN_PASSWORD, organisation=org
        )
    oic = people.officer
    vault.evidence.create_case(oic, CASE, "Burglary, 14 High Street", urn=URN)
    vault.users.assign(oic, CASE, "2345", "investigator")
    contents = {
        "bwv.mp4": b"\x00\x00\x00\x18ftypmp42" + b"body-worn video frames " * 400,
        "photo.jpg": b"\xff\xd8\xff\xe0" + b"door frame photo " * 300,
        "cctv.mp4": b"\x00\x00\x00\x18ftypisom" + b"cctv frames from the shop " * 300,
    }
    refs = []
    for name, data in contents.items():
        outcome = ingest(
            vault,
            oic,
            data,
            name,
            source="bwv" if name == "bwv.mp4" else "phone",
            description=f"{name} from the scene",
            captured_at=datetime(2026, 11, 20, 23, 5, tzinfo=UTC),
            captured_by="PC 1234 Jane Smith",
        )
        refs.append(outcome.ref)
    principal = lambda collar: vault.users.principal_for(collar, via="cli")  # noqa: E731
    return CaseWorld(
        vault,
        oic,
        people.investigator,
        people.outsider,
        principal("5678"),
        principal("CPS1"),
        principal("DEF1"),
        CASE,
        refs,
        contents,
    )


STATEMENT = {
    "statement_of": "Alice Witness",
    "age": "over 18",
    "occupation": "Shop manager",
    "statement_date": "2026-11-21",
    "body": "At about 23:05 on 20 November 2026 I saw a man force the door of 14 High Street.\n\n"
    "I later gave the police the shop's CCTV.",
    "exhibits_produced": ["JS/3"],
}
REVERSE = {
    "home_address": "1 Acacia Avenue, Reading",
    "postcode": "rg1 1aa",
    "phones": ["07911 123456"],
    "email": "alice@example.org",
    "preferred_contact": "mobile",
    "dates_to_avoid": [{"start": "2027-01-02", "end": "2027-01-09"}],
    "consent_medical_records": False,
    "special_measures": "None requested",
    "willing_to_attend_court": True,
}
