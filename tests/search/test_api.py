"""The search routes over real HTTP (ASGI), with the request's principal supplied as the
API capability will supply it (here: by collar number, for the test only)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from exhibits.errors import ExhibitsError
from exhibits.search.api import build_router


@pytest.fixture
def client(vault, force):
    app = FastAPI()

    def principal(x_collar: str = Header()):
        return vault.users.principal_for(x_collar, via="api")

    app.include_router(build_router(vault=lambda: vault, principal=principal))

    @app.exception_handler(ExhibitsError)
    def problem(_: Request, exc: ExhibitsError) -> JSONResponse:
        return JSONResponse({"type": exc.kind, "title": exc.message}, status_code=exc.status)

    return TestClient(app)


def test_search_and_links_over_http(client, force, vault, people):
    answer = client.get(
        "/api/v1/search", params={"q": "AB12 CDE", "mode": "keyword"}, headers={"x-collar": "1234"}
    )
    assert answer.status_code == 200
    (hit,) = answer.json()["hits"]
    assert hit["link"].endswith("#t=0.00") and hit["exhibit_ref"] == force.bwv["ref"]
    outsider = client.get("/api/v1/search", params={"q": "AB12 CDE"}, headers={"x-collar": "3456"})
    assert outsider.json()["total"] == 0 and outsider.json()["hits"] == []
    assert (
        client.get(
            "/api/v1/search", params={"q": "x", "type": "hologram"}, headers={"x-collar": "1234"}
        ).status_code
        == 422
    )
    case_a = vault.evidence.get_case(people.investigator, force.a).id  # URLs name cases by id
    links = client.get(f"/api/v1/cases/{case_a}/links", headers={"x-collar": "2345"})
    assert [link["case_ref"] for link in links.json()["links"]] == [force.b]


def test_transcripts_over_http(client, force, vault, people):
    case_a = vault.evidence.get_case(people.officer, force.a).id
    base = f"/api/v1/cases/{case_a}/exhibits/{force.bwv['exhibit_id']}"
    vtt = client.get(f"{base}/transcript.vtt", headers={"x-collar": "1234"})
    assert (
        vtt.status_code == 200
        and vtt.text.startswith("WEBVTT")
        and vtt.headers["content-type"].startswith("text/vtt")
    )
    fixed = client.post(
        f"{base}/transcript/corrections",
        json={"edits": {"1": "the driver had a knife"}, "reason": "notes"},
        headers={"x-collar": "1234"},
    )
    assert fixed.status_code == 201 and fixed.json()["revision"] == 1
    denied = client.post(
        f"{base}/transcript/corrections",
        json={"edits": {"1": "x"}, "reason": "y"},
        headers={"x-collar": "2345"},
    )
    assert denied.status_code == 403
    assert client.get(f"{base}/transcript", headers={"x-collar": "3456"}).status_code == 404
    entities = client.get(f"{base}/entities", headers={"x-collar": "1234"})
    assert any(e["value"] == "AB12CDE" for e in entities.json()["entities"])
