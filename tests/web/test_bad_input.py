"""Bad input gets the right 4xx as problem+json, and changes nothing but, where relevant, an audit
record of the refused attempt."""

from __future__ import annotations

import io
import json
import logging

import pytest

from exhibits.evidence.service import IngestRequest

PROBLEM = "application/problem+json"


@pytest.fixture
def auth(people, token_of):
    return token_of(people.officer)


@pytest.fixture
def case(vault, people):
    case = vault.evidence.create_case(people.officer, "42/31337/26", "Fraud by false representation")
    vault.evidence.ingest_stream(
        people.officer, io.BytesIO(b"bank statement"), "s.pdf",
        IngestRequest(case=case.id, producer="PC 1234 Jane Smith"),
    )  # fmt: skip
    return case


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["type"].startswith("urn:exhibits:problem:")
    text = response.text
    for leak in ("Traceback", "/work/", "site-packages", "SELECT ", "sqlalchemy", '.py"'):
        assert leak not in text
    return body


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"crime_ref": 42, "title": ["a"]}',
        b'{"crime_ref": "42/1/26", "title": "t", "admin": true}',
        b"[]",
        b'{"crime_ref": "' + b"x" * 100 + b'", "title": "t"}',
    ],
)
def test_malformed_or_mistyped_bodies_are_refused(client, auth, body, event_count, vault, people):
    before = event_count()
    response = client.post(
        "/api/v1/cases", content=body, headers={**auth, "Content-Type": "application/json"}
    )
    problem = assert_problem(response, 422)
    assert problem["errors"] and '"input"' not in json.dumps(problem["errors"])  # never echoed back
    assert event_count() == before
    assert vault.evidence.list_cases(people.officer) == []


def test_oversized_headers_are_refused(client, auth):
    response = client.get("/api/v1/cases", headers={**auth, "X-Padding": "p" * 20_000})
    assert_problem(response, 431)


@pytest.mark.parametrize("path", [
    "/api/v1/cases/..%2F..%2Fetc%2Fpasswd",
    "/api/v1/cases/../../etc/passwd",
    "/api/v1/exhibits/%2e%2e%2f%2e%2e%2fexhibits.db",
    "/api/v1/uploads/..%2F..%2Fexhibits.toml",
    "/api/docs/assets/..%2F..%2F..%2Fexhibits.toml",
])  # fmt: skip
def test_path_traversal_finds_nothing(client, auth, path):
    response = client.get(path, headers={**auth, "Tus-Resumable": "1.0.0"})
    assert response.status_code in (404, 422)
    assert response.headers["content-type"] == PROBLEM
    assert b"force_code" not in response.content and b"SQLite" not in response.content


@pytest.mark.parametrize("q", ["'; DROP TABLE cases; --", "%", "_", "\\", '" OR 1=1 --', "\x00"])
def test_sql_metacharacters_in_filters_are_just_text(client, auth, case, q, vault, people):
    response = client.get("/api/v1/cases", params={"q": q}, headers=auth)
    if response.status_code == 200:
        assert response.json()["items"] == [], q
    else:
        assert_problem(response, 400 if "\x00" in q else 422)
    assert [c.crime_ref for c in vault.evidence.list_cases(people.officer)] == ["42/31337/26"]
    listed = client.get(
        f"/api/v1/cases/{case.id}/exhibits", params={"mime_type": "%", "source": "bwv"}, headers=auth
    )
    assert listed.status_code == 200 and listed.json()["items"] == []


def test_unknown_routes_and_methods(client, auth):
    assert_problem(client.get("/api/v1/nothing-here", headers=auth), 404)
    assert_problem(client.put("/api/v1/cases", headers=auth), 405)


def test_bugs_are_reported_without_internals(vault, people, token_of, monkeypatch, caplog):
    from fastapi.testclient import TestClient

    from exhibits.web.app import create_app

    def broken(*args, **kwargs):
        raise RuntimeError("/secret/path SELECT * FROM users")

    monkeypatch.setattr("exhibits.evidence.queries.page_cases", broken)
    with TestClient(create_app(vault), raise_server_exceptions=False) as client:
        caplog.set_level(logging.ERROR, logger="exhibits.web")
        response = client.get(
            "/api/v1/cases", headers={**token_of(people.officer), "X-Request-ID": "req-12345678"}
        )
    body = assert_problem(response, 500)
    assert "secret" not in response.text and body["request_id"] == "req-12345678"
    assert any("unhandled" in r.getMessage() for r in caplog.records)


def test_every_answer_carries_a_request_id(client, auth):
    ok = client.get("/api/v1/cases", headers=auth)
    assert len(ok.headers["x-request-id"]) >= 8
    echoed = client.get("/api/v1/cases", headers={**auth, "X-Request-ID": "abc-1234-xyz"})
    assert echoed.headers["x-request-id"] == "abc-1234-xyz"
    hostile = client.get("/api/v1/cases", headers={**auth, "X-Request-ID": "<script>alert(1)</script>"})
    assert hostile.headers["x-request-id"] != "<script>alert(1)</script>"
