"""The search routes over real HTTP semantics (ASGI), in the API application itself: each
person signed in with an API token of their own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from exhibits.web.app import create_app


@pytest.fixture
def client(vault, force):
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


def test_search_and_links_over_http(client, force, vault, people, as_):
    answer = client.get("/api/v1/search", params={"q": "AB12 CDE", "mode": "keyword"}, headers=as_("1234"))
    assert answer.status_code == 200
    (hit,) = answer.json()["hits"]
    assert hit["link"].endswith("#t=0.00") and hit["exhibit_ref"] == force.bwv["ref"]
    outsider = client.get("/api/v1/search", params={"q": "AB12 CDE"}, headers=as_("3456"))
    assert outsider.json()["total"] == 0 and outsider.json()["hits"] == []
    assert (
        client.get("/api/v1/search", params={"q": "x", "type": "hologram"}, headers=as_("1234")).status_code
        == 422
    )
    case_a = vault.evidence.get_case(people.investigator, force.a).id  # URLs name cases by id
    links = client.get(f"/api/v1/cases/{case_a}/links", headers=as_("2345"))
    assert [link["case_ref"] for link in links.json()["links"]] == [force.b]


def test_transcripts_over_http(client, force, vault, people, as_):
    case_a = vault.evidence.get_case(people.officer, force.a).id
    base = f"/api/v1/cases/{case_a}/exhibits/{force.bwv['exhibit_id']}"
    vtt = client.get(f"{base}/transcript.vtt", headers=as_("1234"))
    assert (
        vtt.status_code == 200
        and vtt.text.startswith("WEBVTT")
        and vtt.headers["content-type"].startswith("text/vtt")
    )
    fixed = client.post(
        f"{base}/transcript/corrections",
        json={"edits": {"1": "the driver had a knife"}, "reason": "notes"},
        headers=as_("1234"),
    )
    assert fixed.status_code == 201 and fixed.json()["revision"] == 1
    denied = client.post(
        f"{base}/transcript/corrections",
        json={"edits": {"1": "x"}, "reason": "y"},
        headers=as_("2345"),
    )
    assert denied.status_code == 403
    assert client.get(f"{base}/transcript", headers=as_("3456")).status_code == 404
    entities = client.get(f"{base}/entities", headers=as_("1234"))
    assert any(e["value"] == "AB12CDE" for e in entities.json()["entities"])
