"""The case file's HTTP routes, over real HTTP semantics (Starlette's test client), in the API
application itself: signed in with each person's own API token."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from exhibits.casefile import api
from exhibits.web.app import create_app
from tests.casefile.conftest import REVERSE, STATEMENT, URN


@pytest.fixture
def client(vault, world):
    with TestClient(create_app(vault)) as test_client:
        yield test_client


@pytest.fixture
def as_(vault):
    """Authorization headers of a person (by collar number), with a token of their own."""
    tokens: dict[str, dict[str, str]] = {}

    def headers(collar: str) -> dict[str, str]:
        if collar not in tokens:
            principal = vault.users.principal_for(collar, via="api")
            _, secret = vault.access.tokens.create(principal, name="test", expires_in=timedelta(days=1))
            tokens[collar] = {"Authorization": f"Bearer {secret}"}
        return tokens[collar]

    return headers


def test_case_file_over_http_and_what_each_partner_sees(client, world, vault, as_):
    oic = as_("1234")
    made = client.post(
        f"/api/v1/cases/{URN}/casefile/records", json={"form": "MG11", "data": STATEMENT}, headers=oic
    )
    assert made.status_code == 201, made.text
    statement = made.json()["id"]
    reverse = client.post(
        f"/api/v1/cases/{URN}/casefile/records",
        json={"form": "MG11R", "data": REVERSE, "linked_id": statement},
        headers=oic,
    ).json()["id"]
    signed = client.post(
        f"/api/v1/casefile/records/{statement}/signature", json={"signed_by": "Alice Witness"}, headers=oic
    )
    assert signed.json()["state"] == "signed"
    assert (
        client.put(f"/api/v1/casefile/records/{statement}", json={"data": STATEMENT}, headers=oic).status_code
        == 409
    )
    assert client.post(f"/api/v1/cases/{URN}/unused", json={"refs": ["JS/2"]}, headers=oic).status_code == 201
    pdf = client.get(f"/api/v1/cases/{URN}/casefile/forms/MG6C.pdf", headers=oic)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    share = client.post(
        f"/api/v1/cases/{URN}/shares",
        headers=oic,
        json={
            "partner": "DEF1",
            "exhibits": ["JS/1"],
            "records": [statement],
            "forms": ["MG6C"],
            "expires_in_days": 7,
        },
    )
    assert share.status_code == 201, share.text
    refused = client.post(
        f"/api/v1/cases/{URN}/shares", headers=oic, json={"partner": "DEF1", "records": [reverse]}
    )
    assert refused.status_code == 422
    defence = as_("DEF1")
    # the defence: shared items yes; a non-disclosable form by id is 404; nothing else of the case
    assert client.get(f"/api/v1/casefile/records/{statement}", headers=defence).status_code == 200
    assert client.get(f"/api/v1/casefile/records/{reverse}", headers=defence).status_code == 404
    assert (
        client.get(f"/api/v1/cases/{URN}/casefile/forms/{reverse}.json", headers=defence).status_code == 404
    )
    assert client.get(f"/api/v1/cases/{URN}/casefile/forms/MG6D.pdf", headers=defence).status_code == 404
    assert client.get(f"/api/v1/cases/{URN}/people", headers=defence).status_code == 404
    assert client.get(f"/api/v1/cases/{URN}/shares", headers=defence).status_code == 404
    listed = client.get(f"/api/v1/cases/{URN}/casefile/records", headers=defence).json()
    assert [r["id"] for r in listed] == [statement]
    schedule = client.get(f"/api/v1/cases/{URN}/unused", headers=defence)
    assert (
        schedule.status_code == 200
        and "history" in schedule.json()[0]
        and schedule.json()[0]["history"] == []
    )
    assert [c["urn"] for c in client.get("/api/v1/shared/cases", headers=defence).json()] == [URN]
    items = client.get(f"/api/v1/shared/cases/{URN}/items", headers=defence).json()
    sha = next(
        i["sha256"] for i in items if i["exhibit"] == "JS/1"
    )  # references hold '/': content goes by hash
    assert client.get(f"/api/v1/shared/cases/{URN}/content/{'0' * 64}", headers=defence).status_code == 404
    content = client.get(f"/api/v1/shared/cases/{URN}/content/{sha}", headers=defence)
    assert content.status_code == 200 and content.content == world.contents["bwv.mp4"]
    assert content.headers["etag"] == f'"{sha}"'
    assert (
        client.get(f"/api/v1/shared/cases/{URN}/content/{sha}?download=true", headers=defence).status_code
        == 403
    )
    # an outsider and an unshared partner see nothing
    for who in ("3456", "CPS1"):
        assert client.get(f"/api/v1/casefile/records/{statement}", headers=as_(who)).status_code == 404
        assert client.get(f"/api/v1/cases/{URN}/casefile/records", headers=as_(who)).status_code == 404
    # revocation is immediate
    share_id = share.json()["id"]
    assert (
        client.post(f"/api/v1/shares/{share_id}/revocation", json={"reason": "done"}, headers=oic).status_code
        == 200
    )
    assert client.get(f"/api/v1/casefile/records/{statement}", headers=defence).status_code == 404


def test_retention_and_bundle_routes(client, world, vault, as_):
    supervisor, oic = as_("5678"), as_("1234")
    assert client.get("/api/v1/retention/due", headers=oic).status_code == 403
    assert client.get("/api/v1/retention/due", headers=supervisor).json() == []
    outcome = {"outcome": "convicted", "outcome_date": "2025-01-01"}
    assert client.put(f"/api/v1/cases/{URN}/outcome", json=outcome, headers=oic).status_code == 204
    due = client.get("/api/v1/retention/due?as_of=2026-01-01", headers=supervisor).json()
    assert {d["subject"] for d in due} == {"exhibit"}
    bundle = client.post(f"/api/v1/cases/{URN}/bundles", json={"recipient": "court"}, headers=oic)
    assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
    assert any(n.endswith("bagit.txt") for n in names) and any(
        n.endswith("custody/proofs.json") for n in names
    )
    assert (
        client.post(
            f"/api/v1/cases/{URN}/bundles", json={"recipient": "court"}, headers=as_("DEF1")
        ).status_code
        == 404
    )
    assert (
        client.post(f"/api/v1/cases/{URN}/bundles", json={"recipient": "press"}, headers=oic).status_code
        == 422
    )


# Every route, for someone with no part in the case and no share: never a 2xx, never a leak.
ROUTES = [
    ("GET", f"/api/v1/cases/{URN}/casefile/records", None),
    (
        "POST",
        f"/api/v1/cases/{URN}/casefile/records",
        {"form": "MG5", "data": {"anticipated_plea": "GAP", "headline": "x"}},
    ),
    ("GET", "/api/v1/casefile/records/{record}", None),
    ("GET", "/api/v1/casefile/records/{record}/versions", None),
    ("PUT", "/api/v1/casefile/records/{record}", {"data": STATEMENT}),
    ("POST", "/api/v1/casefile/records/{record}/signature", {"signed_by": "X"}),
    ("POST", "/api/v1/casefile/records/{record}/amendment", {"data": STATEMENT}),
    ("POST", "/api/v1/casefile/records/{record}/sign-off", {}),
    ("GET", f"/api/v1/cases/{URN}/casefile/forms/MG12.pdf", None),
    ("GET", f"/api/v1/cases/{URN}/casefile/forms/MG6C.json", None),
    ("GET", f"/api/v1/cases/{URN}/people", None),
    ("POST", f"/api/v1/cases/{URN}/people", {"role": "witness", "given_names": "A", "surname": "B"}),
    ("GET", f"/api/v1/cases/{URN}/unused", None),
    ("POST", f"/api/v1/cases/{URN}/unused", {"refs": ["JS/1"]}),
    ("POST", f"/api/v1/cases/{URN}/unused/1/decisions", {"decision": "D"}),
    ("GET", f"/api/v1/cases/{URN}/shares", None),
    ("POST", f"/api/v1/cases/{URN}/shares", {"partner": "DEF1", "exhibits": ["JS/1"]}),
    ("POST", "/api/v1/shares/{share}/revocation", {}),
    ("GET", f"/api/v1/shared/cases/{URN}/items", None),
    ("GET", f"/api/v1/shared/cases/{URN}/content/{{sha}}", None),
    ("GET", "/api/v1/retention/due", None),
    ("PUT", f"/api/v1/cases/{URN}/outcome", {"outcome": "nfa", "outcome_date": "2026-01-01"}),
    ("POST", "/api/v1/retention/holds", {"kind": "appeal", "reason": "x", "case": URN}),
    ("POST", "/api/v1/retention/holds/{hold}/lift", {"reason": "x"}),
    ("GET", "/api/v1/shared/cases", None),  # answers, but with nothing in it
    (
        "POST",
        "/api/v1/retention/decisions",
        {"subject": "exhibit", "subject_id": "{exhibit}", "decision": "dispose", "reason": "x"},
    ),
    (
        "POST",
        "/api/v1/retention/disposals",
        {"subject": "exhibit", "subject_id": "{exhibit}", "reason": "x", "authority": "y"},
    ),
    ("POST", f"/api/v1/cases/{URN}/bundles", {"recipient": "cps"}),
]


def test_every_route_refuses_someone_with_no_part_in_the_case(client, world, vault, as_):
    records = vault.casefile.records
    record = records.create(world.oic, world.case, "MG11", STATEMENT).id
    vault.casefile.disclosure.add_exhibits(world.oic, world.case, ["JS/2"])
    share = vault.casefile.sharing.create(world.oic, world.case, "CPS1", exhibits=["JS/1"]).id
    _, exhibits = vault.evidence.list_exhibits(world.oic, world.case)
    hold = vault.casefile.retention.place_hold(world.oic, "civil", "claim", case_key=world.case)
    names = {
        "record": record,
        "share": share,
        "sha": exhibits[0].sha256,
        "exhibit": exhibits[0].id,
        "hold": hold,
    }
    covered = {(m, r.path) for r in api.router.routes for m in r.methods}  # type: ignore[attr-defined]
    tested = set()
    for method, path, body in ROUTES:
        url = path.format(**names)
        if body is not None:
            body = {k: (v.format(**names) if isinstance(v, str) else v) for k, v in body.items()}
        answer = client.request(method, url, json=body, headers=as_("3456"))
        if url.endswith("/shared/cases"):
            assert answer.status_code == 200 and answer.json() == []
        else:
            assert answer.status_code in (403, 404), (method, url, answer.status_code, answer.text)
        template = path.replace(URN, "{case}").replace("/1/", "/{item_no}/")
        template = template.replace("MG12.pdf", "{form}.pdf").replace("MG6C.json", "{form}.json")
        template = template.replace("{{sha}}", "{item}").replace("{sha}", "{item}")
        tested.add((method, template))
    assert {(m, p) for m, p in covered} - tested == set(), "a route without an access test"
