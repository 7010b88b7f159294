"""The portal over real HTTP: an officer's request, a member of the public's resumable upload
with tuspy (interrupted and resumed), the receipt, and the officer's decision."""

from __future__ import annotations

import hashlib

import pytest
from tusclient import client as tus_client

from tests.portal.conftest import DASHCAM_ANSWERS, DECLARATION, SUBMITTER


def test_a_member_of_the_public_sends_footage_and_an_officer_accepts_it(
    vault,
    people,
    case,
    dashcam_clip,
    live_server,
    officer_headers,
):
    import httpx

    data = dashcam_clip.read_bytes()
    with httpx.Client(base_url=live_server, timeout=30) as http:
        made = http.post("/api/v1/portal/requests", json={"case": case.id}, headers=officer_headers)
        assert made.status_code == 201, made.text
        token = made.json()["token"]
        assert made.json()["url"].endswith(f"/portal/s/{token}")

        public = f"/api/v1/portal/s/{token}"
        opened = http.get(public)
        assert opened.status_code == 200 and opened.headers["cache-control"] == "no-store"
        assert [q["name"] for q in opened.json()["questions"]][:4] == [
            "offence_date",
            "offence_time",
            "location",
            "vrm",
        ]
        assert http.put(public, json={"submitter": SUBMITTER, "answers": DASHCAM_ANSWERS}).status_code == 200

        # Resumable: the first piece, a pause (the phone lost its signal), then the rest.
        uploader = tus_client.TusClient(f"{live_server}{public}/files").uploader(
            file_stream=dashcam_clip.open("rb"), chunk_size=8192, metadata={"filename": "dashcam.mp4"}
        )
        uploader.upload_chunk()
        location = uploader.url
        resumed = tus_client.TusClient(f"{live_server}{public}/files").uploader(
            file_stream=dashcam_clip.open("rb"), chunk_size=64 * 1024, url=location
        )
        assert resumed.get_offset() == 8192
        resumed.upload()
        head = http.head(location, headers={"Tus-Resumable": "1.0.0"})
        assert head.headers["Exhibits-Sha256"] == hashlib.sha256(data).hexdigest()

        receipt = http.post(f"{public}/submit", json=DECLARATION)
        assert receipt.status_code == 200, receipt.text
        assert receipt.json()["files"][0]["sha256"] == hashlib.sha256(data).hexdigest()
        assert http.get(public).status_code == 404  # nothing to see once submitted

        queue = http.get("/api/v1/portal/submissions", headers=officer_headers).json()["items"]
        assert [item["reference"] for item in queue] == [receipt.json()["reference"]]
        assert 0 < queue[0]["nip_seconds_left"] < 14 * 86400
        accepted = http.post(
            f"/api/v1/portal/submissions/{queue[0]['id']}/accept", json={}, headers=officer_headers
        )
        assert accepted.status_code == 200, accepted.text
        exhibits = http.get(f"/api/v1/cases/{case.id}/exhibits", headers=officer_headers).json()["items"]
        assert [(e["ref"], e["sha256"]) for e in exhibits] == [("SD/1", hashlib.sha256(data).hexdigest())]


def test_a_file_that_is_not_footage_is_refused_at_its_first_bytes(client, vault, people, case):
    from exhibits.portal.plugin import portal

    _, token, _ = portal(vault).create_request(people.officer, case=case.id)
    base = f"/api/v1/portal/s/{token}/files"
    created = client.post(base, headers={"Tus-Resumable": "1.0.0", "Upload-Length": "100000"})
    assert created.status_code == 201
    location = created.headers["location"].removeprefix("http://testserver")
    sent = client.patch(
        location,
        content=b"MZ\x90\x00" + b"\x00" * 8000,  # a Windows executable's start
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
        },
    )
    assert sent.status_code == 415
    assert sent.json()["type"] == "urn:exhibits:problem:unsupported-media-type"


def test_starting_reports_is_rate_limited_per_address(client, vault, people):
    from exhibits.portal.plugin import portal

    portal(vault).set_page(people.admin, "dashcam", form="dashcam", title=None, enabled=True)
    answers = [client.post("/api/v1/portal/pages/dashcam/submissions").status_code for _ in range(12)]
    assert answers[:10] == [201] * 10 and answers[10:] == [429, 429]
    refused = client.post("/api/v1/portal/pages/dashcam/submissions")
    assert int(refused.headers["retry-after"]) > 0


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(client, vault, people, monkeypatch):
    from exhibits.portal.plugin import portal

    portal(vault).set_page(people.admin, "dashcam", form="dashcam", title=None, enabled=True)
    start = "/api/v1/portal/pages/dashcam/submissions"
    spoofed = [client.post(start, headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code for n in range(11)]
    assert spoofed[-1] == 429  # an untrusted peer cannot dodge the limit with the header
    monkeypatch.setenv("EXHIBITS_PORTAL__TRUSTED_PROXIES", "10.0.0.2, testclient")
    assert client.post(start, headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 201


@pytest.mark.parametrize("token", ["pub_notarealtoken000000000000000000000", "exh_officer_token"])
def test_unknown_or_foreign_tokens_open_nothing(client, token):
    assert client.get(f"/api/v1/portal/s/{token}").status_code in (404, 422)


def test_a_triager_watches_a_file_before_deciding(client, vault, people, case, dashcam_clip, officer_headers):
    import io

    from exhibits.portal.plugin import portal

    service = portal(vault)
    view, token, _ = service.create_request(people.officer, case=case.id)
    service.save(token, SUBMITTER, DASHCAM_ANSWERS)
    data = dashcam_clip.read_bytes()
    sent = service.create_file(token, len(data), "dashcam.mp4")
    service.append(token, sent.id, 0, io.BytesIO(data))
    service.submit(token, DECLARATION)
    url = f"/api/v1/portal/submissions/{view.id}/files/{sent.id}"
    whole = client.get(url, headers=officer_headers)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["content-type"] == "video/mp4" and whole.headers["cache-control"] == "no-store"
    part = client.get(url, headers={**officer_headers, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]
    assert client.get(url).status_code == 401
