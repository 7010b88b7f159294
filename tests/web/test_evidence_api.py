"""Cases and exhibits over HTTP: upload, pages, content through a justified grant, need-to-know."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tracemalloc

import pytest

from exhibits.evidence.service import IngestRequest


@pytest.fixture
def oic(people, token_of):
    return token_of(people.officer)


@pytest.fixture
def case(vault, people):
    return vault.evidence.create_case(people.officer, "42/19283/26", "Burglary, 14 High Street")


def upload(client, auth, case_id: str, data: bytes, name: str = "still.png", **params):
    return client.post(
        f"/api/v1/cases/{case_id}/exhibits",
        params={"producer": "PC 1234 Jane Smith", "filename": name, **params},
        content=data,
        headers={**auth, "Content-Type": "application/octet-stream"},
    )


def test_plain_upload_streams_into_the_vault(client, vault, oic, case):
    data = os.urandom(3 * 2**20 + 7)
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    response = upload(client, oic, case.id, data, "bwv.mp4", source="bwv", captured_at="2026-11-20T21:40:00Z")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (
        body["ref"] == "JS/1"
        and body["sha256"] == hashlib.sha256(data).hexdigest()
        and body["size"] == len(data)
    )
    assert vault.blobs.rehash(body["sha256"]) == body["sha256"]
    checked = client.post(
        f"/api/v1/cases/{case.id}/exhibits",
        params={"producer": "PC 1234 Jane Smith"},
        content=data,
        headers={**oic, "Content-Digest": f"sha-256=:{digest}:"},
    )
    assert checked.status_code == 201 and checked.json()["duplicate_content"] is True
    wrong = client.post(
        f"/api/v1/cases/{case.id}/exhibits",
        params={"producer": "PC 1234 Jane Smith"},
        content=b"other bytes",
        headers={**oic, "Content-Digest": f"sha-256=:{digest}:"},
    )
    assert wrong.status_code == 422


def test_uploads_over_the_limit_are_refused_before_anything_is_stored(client, vault, oic, case, vault_path):
    from exhibits.config import update_config

    update_config(vault_path, uploads={"max_bytes": 1000})
    vault.settings.model_extra["uploads"] = {"max_bytes": 1000}
    response = upload(client, oic, case.id, b"x" * 1001)
    assert response.status_code == 413
    assert response.json()["type"] == "urn:exhibits:problem:too-large"
    assert list(vault.blobs.iter_hashes()) == []
    assert vault.evidence.list_exhibits(vault.users.principal_for("1234", via="cli"), case.id)[1] == []


def test_upload_memory_stays_constant(vault, people, case, live_server, token_of):
    """A 128 MiB body streamed over real HTTP is never held in memory: the peak (the vault's
    hashing and writing buffers, the body read ahead of them, and the client's own) stays
    far below it."""
    import httpx

    size = 128 * 2**20

    def body():
        chunk = b"\x5a" * (2**20)
        for _ in range(size // len(chunk)):
            yield chunk

    tracemalloc.start()
    try:
        response = httpx.post(
            f"{live_server}/api/v1/cases/{case.id}/exhibits",
            params={"producer": "PC 1234 Jane Smith"},
            content=body(),
            headers={**token_of(people.officer), "Content-Length": str(size)},
            timeout=120,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 201, response.text
    assert response.json()["size"] == size
    assert peak < 48 * 2**20, f"peak {peak / 2**20:.1f} MiB for a {size / 2**20:.0f} MiB upload"


def test_exhibit_pages_are_consistent(client, vault, people, oic, case):
    for n in range(7):
        vault.evidence.ingest_stream(
            people.officer, io.BytesIO(f"item {n}".encode()), f"{n}.txt",
            IngestRequest(case=case.id, producer="PC 1234 Jane Smith"),
        )  # fmt: skip
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/api/v1/cases/{case.id}/exhibits", params=params, headers=oic).json()
        seen += [e["ref"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"JS/{n}" for n in range(1, 8)]
    assert (
        client.get(f"/api/v1/cases/{case.id}/exhibits", params={"cursor": "bogus!"}, headers=oic).status_code
        == 422
    )
    first = client.get(f"/api/v1/cases/{case.id}/exhibits", headers=oic).json()["items"][0]
    assert first["created_at"].endswith("Z")


@pytest.fixture
def exhibit(vault, people, case):
    data = bytes(range(256)) * 40
    outcome = vault.evidence.ingest_stream(
        people.officer,
        io.BytesIO(data),
        '../../etc/\u202epasswd"; x.mp4',
        IngestRequest(case=case.id, producer="PC 1234 Jane Smith", source="bwv"),
    )
    return outcome, data


def test_content_through_a_justified_grant_with_ranges(client, vault, oic, exhibit, event_count):
    outcome, data = exhibit
    needs = client.post(f"/api/v1/exhibits/{outcome.exhibit_id}/access", json={}, headers=oic)
    assert needs.status_code == 428
    assert "Investigation of this case" in needs.json()["reasons"]
    before = event_count(action="exhibit.open")
    grant = client.post(
        f"/api/v1/exhibits/{outcome.exhibit_id}/access",
        json={"reason": "Disclosure review", "justification": "MG6C schedule"},
        headers=oic,
    )
    assert grant.status_code == 201
    assert event_count(action="exhibit.open") == before + 1
    url = grant.json()["url"]

    whole = client.get(url)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["etag"] == f'"{outcome.sha256}"'
    assert whole.headers["cache-control"] == "no-store"
    assert whole.headers["x-content-type-options"] == "nosniff"
    disposition = whole.headers["content-disposition"]
    assert 'filename="_passwd__ x.mp4"' in disposition  # the last part of the name, made inert
    assert "\u202e" not in disposition and ".." not in disposition and "%E2%80%AE" not in disposition
    part = client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == data[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(data)}"
    assert client.get(url, headers={"Range": "bytes=-5"}).content == data[-5:]
    for bogus in ("bytes=99999-", "bytes=5-2", "pages=1-2", "bytes=abc", "bytes=-"):
        refused = client.get(url, headers={"Range": bogus})
        assert refused.status_code == 416, bogus
        assert refused.headers["content-range"] == f"bytes */{len(data)}"
        assert refused.headers["content-type"] == "application/problem+json"
    assert event_count(action="exhibit.open") == before + 1  # one event per grant, not per range


def test_expired_grants_are_gone(client, vault, oic, exhibit):
    from datetime import timedelta

    outcome, _ = exhibit
    url = client.post(
        f"/api/v1/exhibits/{outcome.exhibit_id}/access", json={"reason": "Disclosure review"}, headers=oic
    ).json()["url"]
    real_now = vault.now
    vault.now = lambda: real_now() + timedelta(minutes=16)
    try:
        response = client.get(url)
    finally:
        vault.now = real_now
    assert response.status_code == 410
    assert response.json()["type"] == "urn:exhibits:problem:grant-expired"
    assert client.get("/api/v1/content/g_doesnotexist123").status_code == 404


def test_a_grant_stops_working_when_the_person_leaves_the_case(
    client, vault, people, case, exhibit, token_of
):
    outcome, _ = exhibit
    vault.users.assign(people.officer, case.id, "2345", "viewer")
    viewer = token_of(people.investigator)
    url = client.post(
        f"/api/v1/exhibits/{outcome.exhibit_id}/access", json={"reason": "Disclosure review"}, headers=viewer
    ).json()["url"]
    assert client.get(url).status_code == 200
    vault.access.need_to_know.exclude(people.officer, case.id, "2345", "Conflict of interest")
    assert client.get(url).status_code == 404


def test_restricted_exhibits_are_invisible_to_others_in_the_case(
    client, vault, people, exhibit, token_of, oic
):
    outcome, _ = exhibit
    case_id = vault.evidence.list_cases(people.officer)[0].id
    vault.users.assign(people.officer, case_id, "2345", "investigator")
    vault.users.assign(people.officer, case_id, "3456", "investigator")
    restricted = client.put(
        f"/api/v1/exhibits/{outcome.exhibit_id}/restriction",
        json={"people": ["2345"], "reason": "MG6D: informant material"},
        headers=oic,
    )
    assert restricted.status_code == 200
    assert {p["collar"] for p in restricted.json()["people"]} == {"1234", "2345"}
    named, other = token_of(people.investigator), token_of(people.outsider)
    assert client.get(f"/api/v1/exhibits/{outcome.exhibit_id}", headers=named).status_code == 200
    assert client.get(f"/api/v1/exhibits/{outcome.exhibit_id}", headers=other).status_code == 404
    assert client.get(f"/api/v1/cases/{case_id}/exhibits", headers=other).json()["items"] == []
    trail = client.get(f"/api/v1/cases/{case_id}/custody", headers=other).json()
    assert all(e.get("exhibit") != outcome.exhibit_id for e in trail)
    assert len(client.get(f"/api/v1/cases/{case_id}/exhibits", headers=named).json()["items"]) == 1


def test_an_excluded_person_loses_the_case_whatever_their_assignment(
    client, vault, people, case, oic, token_of
):
    vault.users.assign(people.officer, case.id, "2345", "investigator")
    them = token_of(people.investigator)
    assert client.get(f"/api/v1/cases/{case.id}", headers=them).status_code == 200
    excluded = client.post(
        f"/api/v1/cases/{case.id}/exclusions",
        json={"collar": "2345", "reason": "Under investigation"},
        headers=oic,
    )
    assert excluded.status_code == 201
    assert client.get(f"/api/v1/cases/{case.id}", headers=them).status_code == 404
    assert client.get("/api/v1/cases", headers=them).json()["items"] == []
    lifted = client.delete(f"/api/v1/cases/{case.id}/exclusions/{excluded.json()['id']}", headers=oic)
    assert lifted.status_code == 204
    assert client.get(f"/api/v1/cases/{case.id}", headers=them).status_code == 200


def test_administrators_manage_accounts_but_cannot_open_evidence(client, vault, people, exhibit, token_of):
    outcome, _ = exhibit
    admin = token_of(people.admin)
    assert client.get("/api/v1/users", headers=admin).status_code == 200
    assert client.get(f"/api/v1/exhibits/{outcome.exhibit_id}", headers=admin).status_code == 404
    refused = client.post(
        f"/api/v1/exhibits/{outcome.exhibit_id}/access", json={"reason": "Audit or complaint"}, headers=admin
    )
    assert refused.status_code == 404


def test_case_status_and_custody_over_http(client, vault, oic, case, exhibit):
    outcome, _ = exhibit
    changed = client.patch(f"/api/v1/cases/{case.id}", json={"status": "charged"}, headers=oic)
    assert changed.status_code == 200 and changed.json()["status"] == "charged"
    assert client.patch(f"/api/v1/cases/{case.id}", json={"status": "lost"}, headers=oic).status_code == 422
    trail = client.get(f"/api/v1/cases/{case.id}/custody", headers=oic).json()
    assert [e["action"] for e in trail][-1] == "case.update"
    verified = client.post(f"/api/v1/exhibits/{outcome.exhibit_id}/verify", headers=oic).json()
    assert verified["content_intact"] and verified["events_in_log"] and verified["events"] >= 1
    checkpoint = client.get("/api/v1/custody/checkpoint", headers=oic).json()
    proof = client.get(f"/api/v1/custody/events/{trail[0]['seq']}/proof", headers=oic).json()
    from exhibits.custody import merkle

    merkle.verify_inclusion(
        proof["seq"], proof["tree_size"], base64.b64decode(proof["leaf_hash"]),
        [base64.b64decode(p) for p in proof["proof"]], base64.b64decode(proof["root"]),
    )  # fmt: skip
    assert checkpoint["size"] >= proof["tree_size"] - 1
    consistency = client.get("/api/v1/custody/consistency", params={"old_size": 2}, headers=oic).json()
    merkle.verify_consistency(
        consistency["old_size"], consistency["new_size"], base64.b64decode(consistency["old_root"]),
        base64.b64decode(consistency["new_root"]), [base64.b64decode(p) for p in consistency["proof"]],
    )  # fmt: skip
