"""Resumable uploads with the real tuspy client over real HTTP, and the tus 1.0 rules one by one."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import socket
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from tusclient import client as tus_client

from exhibits.evidence.models import Blob, Exhibit
from exhibits.uploads.tus import encode_metadata


@pytest.fixture
def case(vault, people):
    return vault.evidence.create_case(people.officer, "42/7777/26", "Assault outside the Red Lion")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def exhibit_count(vault) -> int:
    with vault.reading() as session:
        return session.scalar(select(func.count()).select_from(Exhibit)) or 0


def part_files(vault) -> list[str]:
    folder = vault.settings.tmp_dir / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


class CuttingProxy:
    """A loopback TCP proxy that cuts each of the first connections after a given number of
    request bytes: a phone losing signal in the middle of a chunk."""

    def __init__(self, target_port: int, cuts: list[int]) -> None:
        self.target_port = target_port
        self.cuts = list(cuts)
        self.cut_count = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pump, args=(downstream, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, downstream, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, cut: bool) -> None:
        sent = 0
        budget = None
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if cut and sent == 0 and data.startswith(b"PATCH") and self.cuts:
                    budget = self.cuts.pop(0)  # only requests carrying bytes are cut
                if budget is not None and sent + len(data) >= budget:
                    sink.sendall(data[: budget - sent])
                    self.cut_count += 1
                    break
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self._stop = True
        self.listener.close()


def test_tuspy_upload_becomes_an_exhibit(vault, people, case, live_server, token_of):
    data = os.urandom(300_000)
    client = tus_client.TusClient(f"{live_server}/api/v1/uploads", headers=token_of(people.officer))
    uploader = client.uploader(
        file_stream=io.BytesIO(data),
        chunk_size=64 * 1024,
        upload_checksum=True,  # sha1 per chunk, as tuspy sends it
        metadata={
            "filename": "IMG_0413.jpg",
            "case": case.crime_ref,
            "producer": "PC 1234 Jane Smith",
            "source": "phone",
            "captured_at": "2026-11-20T21:40:00Z",
            "device": "Pixel 8",
            "sha256": sha256(data),
        },
    )
    uploader.upload()
    upload_id = uploader.url.rsplit("/", 1)[1]
    status = vault.uploads.status(people.officer, upload_id)
    assert status.status == "complete" and status.ref == "JS/1" and status.sha256 == sha256(data)
    _, exhibits = vault.evidence.list_exhibits(people.officer, case.crime_ref)
    assert [(e.ref, e.sha256, e.original_name, e.source) for e in exhibits] == [
        ("JS/1", sha256(data), "IMG_0413.jpg", "phone")
    ]
    assert vault.blobs.rehash(sha256(data)) == sha256(data)
    assert part_files(vault) == []  # nothing of the upload is left aside
    trail = vault.custody.exhibit_trail(people.officer, case.crime_ref, "JS/1")[1]
    assert trail[0].action == "exhibit.ingest"


def test_an_upload_cut_several_times_mid_stream_resumes_from_the_servers_offset(
    vault, people, case, app, live_server, token_of
):
    data = os.urandom(1_000_000)
    port = int(live_server.rsplit(":", 1)[1])
    # Each of the first four connections dies after a few hundred KB of request bytes.
    proxy = CuttingProxy(port, cuts=[500_000, 150_000, 90_000, 200_000])
    try:
        client = tus_client.TusClient(
            f"http://127.0.0.1:{proxy.port}/api/v1/uploads", headers=token_of(people.officer)
        )
        uploader = client.uploader(
            file_stream=io.BytesIO(data),
            chunk_size=400_000,
            retries=10,
            retry_delay=0,
            metadata={
                "filename": "bwv.mp4",
                "case": case.id,
                "producer": "PC 1234 Jane Smith",
                "sha256": sha256(data),
            },
        )
        uploader.set_url(uploader.create_url())
        upload_id = uploader.url.rsplit("/", 1)[1]
        offsets = []
        while uploader.offset < len(data):
            uploader.upload_chunk()
            offsets.append(uploader.offset)
            if uploader.offset < len(data):
                # Mid-way, the partial bytes are not evidence: no exhibit, no blob.
                assert exhibit_count(vault) == 0
                with vault.reading() as session:
                    assert session.scalar(select(func.count()).select_from(Blob)) == 0
    finally:
        proxy.close()
    assert proxy.cut_count >= 3
    assert vault.uploads.status(people.officer, upload_id).status == "complete"
    _, exhibits = vault.evidence.list_exhibits(people.officer, case.id)
    assert [e.sha256 for e in exhibits] == [sha256(data)]
    assert part_files(vault) == []


def test_large_pieces_cut_at_odd_bytes_resume_and_hash_right(vault, people, case, live_server, token_of):
    """Pieces of several blocks (written with direct I/O where the file system takes it): a cut
    keeps what arrived, and the next piece starts from that odd offset."""
    data = os.urandom(7 * 2**20 + 3)
    port = int(live_server.rsplit(":", 1)[1])
    proxy = CuttingProxy(port, cuts=[2_500_001, 1_048_999, 333_333])
    try:
        client = tus_client.TusClient(
            f"http://127.0.0.1:{proxy.port}/api/v1/uploads", headers=token_of(people.officer)
        )
        uploader = client.uploader(
            file_stream=io.BytesIO(data),
            chunk_size=3 * 2**20,
            retries=10,
            retry_delay=0,
            metadata={"filename": "cctv.mp4", "case": case.id, "producer": "PC 1234 Jane Smith"},
        )
        resumed_at: list[int] = []
        ask = uploader.get_offset
        uploader.get_offset = lambda: resumed_at.append(ask()) or resumed_at[-1]  # type: ignore[method-assign]
        uploader.upload()
    finally:
        proxy.close()
    # (A HEAD answered while the cut piece is still being written may see part of it, and
    # the PATCH from there is refused with 409 until the client asks again.)
    assert proxy.cut_count == 3 and len(resumed_at) >= 3
    assert any(offset % 4096 for offset in resumed_at), resumed_at  # inside a disk block
    upload_id = uploader.url.rsplit("/", 1)[1]
    status = vault.uploads.status(people.officer, upload_id)
    assert status.status == "complete" and status.sha256 == sha256(data)
    assert vault.blobs.rehash(sha256(data)) == sha256(data)
    assert part_files(vault) == []


# --- the protocol, rule by rule (in-process) ---------------------------------------------------


def tus(**headers: str) -> dict[str, str]:
    return {"Tus-Resumable": "1.0.0", **headers}


def create(client, auth, case, length: int, **extra: str) -> str:
    metadata = {"filename": "a.bin", "case": case.id, "producer": "PC 1234 Jane Smith", **extra}
    response = client.post(
        "/api/v1/uploads",
        headers={
            **auth,
            **tus(**{"Upload-Length": str(length), "Upload-Metadata": encode_metadata(metadata)}),
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["tus-resumable"] == "1.0.0"
    assert "upload-expires" in response.headers
    return response.headers["location"].rsplit("/", 1)[1]


def patch(client, auth, upload_id: str, offset: int, data: bytes, **extra: str):
    headers = tus(
        **{"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream", **extra}
    )
    return client.patch(f"/api/v1/uploads/{upload_id}", headers={**auth, **headers}, content=data)


@pytest.fixture
def officer(people, token_of):
    return token_of(people.officer)


def test_discovery(client):
    response = client.options("/api/v1/uploads")
    assert response.status_code == 204
    assert response.headers["tus-version"] == "1.0.0"
    assert set(response.headers["tus-extension"].split(",")) == {
        "creation", "creation-with-upload", "checksum", "termination", "expiration"
    }  # fmt: skip
    assert response.headers["tus-checksum-algorithm"] == "sha1,sha256"
    assert int(response.headers["tus-max-size"]) > 0


def test_requests_without_tus_resumable_are_refused(client, officer, case):
    response = client.post("/api/v1/uploads", headers={**officer, "Upload-Length": "5"})
    assert response.status_code == 412
    assert response.headers["tus-version"] == "1.0.0"
    assert response.headers["content-type"] == "application/problem+json"


def test_offsets_that_do_not_match_are_refused(client, officer, case):
    upload_id = create(client, officer, case, 10)
    assert patch(client, officer, upload_id, 0, b"12345").status_code == 204
    response = patch(client, officer, upload_id, 2, b"xxxxx")
    assert response.status_code == 409
    assert response.json()["type"] == "urn:exhibits:problem:offset-mismatch"
    head = client.head(f"/api/v1/uploads/{upload_id}", headers={**officer, **tus()})
    assert head.headers["upload-offset"] == "5" and head.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_a_chunk_with_a_wrong_checksum_is_discarded(client, officer, case, algorithm):
    upload_id = create(client, officer, case, 8)
    good = base64.b64encode(hashlib.new(algorithm, b"abcd").digest()).decode()
    assert (
        patch(
            client, officer, upload_id, 0, b"abcd", **{"Upload-Checksum": f"{algorithm} {good}"}
        ).status_code
        == 204
    )
    response = patch(client, officer, upload_id, 4, b"efgh", **{"Upload-Checksum": f"{algorithm} {good}"})
    assert response.status_code == 460
    head = client.head(f"/api/v1/uploads/{upload_id}", headers={**officer, **tus()})
    assert head.headers["upload-offset"] == "4"


def test_an_unknown_checksum_algorithm_is_a_bad_request(client, officer, case):
    upload_id = create(client, officer, case, 4)
    response = patch(client, officer, upload_id, 0, b"abcd", **{"Upload-Checksum": "md5 AAAA"})
    assert response.status_code == 400


def test_a_whole_file_sha256_mismatch_is_refused_at_completion(vault, client, officer, case):
    upload_id = create(client, officer, case, 4, sha256="0" * 64)
    response = patch(client, officer, upload_id, 0, b"abcd")
    assert response.status_code == 422
    assert "SHA-256" in response.json()["detail"]
    assert exhibit_count(vault) == 0
    assert part_files(vault) == []


def test_creation_with_upload(vault, client, officer, case):
    metadata = encode_metadata({"filename": "s.txt", "case": case.id, "producer": "PC 1234 Jane Smith"})
    response = client.post(
        "/api/v1/uploads",
        headers={
            **officer,
            **tus(
                **{
                    "Upload-Length": "5",
                    "Upload-Metadata": metadata,
                    "Content-Type": "application/offset+octet-stream",
                }
            ),
        },
        content=b"hello",
    )
    assert response.status_code == 201
    assert response.headers["upload-offset"] == "5"
    assert response.headers["exhibits-ref"] == "JS/1"


def test_too_large_is_refused_at_creation(client, officer, case, vault):
    response = client.post(
        "/api/v1/uploads", headers={**officer, **tus(**{"Upload-Length": str(vault.uploads.max_size + 1)})}
    )
    assert response.status_code == 413
    assert part_files(vault) == []


def test_patch_must_be_offset_octet_stream(client, officer, case):
    upload_id = create(client, officer, case, 4)
    response = client.patch(
        f"/api/v1/uploads/{upload_id}",
        headers={**officer, **tus(**{"Upload-Offset": "0", "Content-Type": "application/json"})},
        content=b"abcd",
    )
    assert response.status_code == 415


def test_more_bytes_than_declared_are_refused(client, officer, case):
    upload_id = create(client, officer, case, 3)
    assert patch(client, officer, upload_id, 0, b"abcdef").status_code == 413
    head = client.head(f"/api/v1/uploads/{upload_id}", headers={**officer, **tus()})
    assert head.headers["upload-offset"] == "0"


def test_metadata_is_checked_before_any_byte(client, officer, case, vault):
    for bad in ("case bm90IGJhc2U2NA===", "unknown dGV4dA==", "case a b", "filename YQ==,filename YQ=="):
        response = client.post(
            "/api/v1/uploads", headers={**officer, **tus(**{"Upload-Length": "4", "Upload-Metadata": bad})}
        )
        assert response.status_code in (400, 422), bad
    metadata = encode_metadata(
        {"case": case.id, "producer": "PC 1234 Jane Smith", "classification": "SECRET"}
    )
    response = client.post(
        "/api/v1/uploads", headers={**officer, **tus(**{"Upload-Length": "4", "Upload-Metadata": metadata})}
    )
    assert response.status_code == 422 and "SECRET" in response.json()["detail"]
    assert part_files(vault) == []


def test_termination(client, officer, case, vault):
    upload_id = create(client, officer, case, 10)
    patch(client, officer, upload_id, 0, b"12345")
    response = client.delete(f"/api/v1/uploads/{upload_id}", headers={**officer, **tus()})
    assert response.status_code == 204
    assert client.head(f"/api/v1/uploads/{upload_id}", headers={**officer, **tus()}).status_code == 410
    assert patch(client, officer, upload_id, 5, b"67890").status_code == 410
    assert part_files(vault) == []


def test_another_person_cannot_see_or_touch_an_upload(client, officer, case, people, token_of):
    upload_id = create(client, officer, case, 10)
    other = token_of(people.investigator)
    assert client.head(f"/api/v1/uploads/{upload_id}", headers={**other, **tus()}).status_code == 404
    assert patch(client, other, upload_id, 0, b"12345").status_code == 404
    assert client.delete(f"/api/v1/uploads/{upload_id}", headers={**other, **tus()}).status_code == 404


def test_incomplete_uploads_expire_and_are_cleaned_up(client, case, vault, people, token_of):
    officer = token_of(people.officer, days=7)
    upload_id = create(client, officer, case, 10)
    patch(client, officer, upload_id, 0, b"12345")
    assert part_files(vault) == [f"{upload_id}.part"]
    real_now = vault.now
    vault.now = lambda: real_now() + timedelta(hours=25)
    try:
        assert patch(client, officer, upload_id, 5, b"67890").status_code == 410
        assert vault.uploads.expire() == 1
    finally:
        vault.now = real_now
    assert part_files(vault) == []
    assert client.head(f"/api/v1/uploads/{upload_id}", headers={**officer, **tus()}).status_code == 410
    assert exhibit_count(vault) == 0


def test_unassigned_media_by_tus(client, people, token_of, vault):
    auth = token_of(people.officer)
    metadata = encode_metadata({"filename": "dock.mp4", "device": "BWV-00731", "source": "bwv"})
    response = client.post(
        "/api/v1/uploads", headers={**auth, **tus(**{"Upload-Length": "4", "Upload-Metadata": metadata})}
    )
    upload_id = response.headers["location"].rsplit("/", 1)[1]
    done = patch(client, auth, upload_id, 0, b"\x00\x00\x00\x18")
    assert done.status_code == 204 and "exhibits-ref" not in done.headers
    media = vault.evidence.list_media(people.officer)
    assert [m.device_id for m in media] == ["BWV-00731"]


# --- the caller's check, done in the thread that appends ------------------------------------


def test_a_revoked_token_is_refused_on_the_next_piece_and_nothing_is_stored(client, officer, case, vault):
    phone = client.post(
        "/api/v1/tokens", json={"name": "phone", "expires_in_days": 7}, headers=officer
    ).json()
    headers = {"Authorization": f"Bearer {phone['token']}"}
    upload_id = create(client, headers, case, 10)
    assert patch(client, headers, upload_id, 0, b"12345").status_code == 204
    assert client.delete(f"/api/v1/tokens/{phone['id']}", headers=officer).status_code == 204
    refused = patch(client, headers, upload_id, 5, b"67890")
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert refused.headers["content-type"] == "application/problem+json"
    head = client.head(f"/api/v1/uploads/{upload_id}", headers={**officer, **tus()})  # the same officer
    assert head.status_code == 200 and head.headers["upload-offset"] == "5"
    assert (vault.settings.tmp_dir / "uploads" / f"{upload_id}.part").stat().st_size == 5


def test_a_caller_not_allowed_in_is_refused_before_their_headers_are_judged(client, officer, case):
    upload_id = create(client, officer, case, 10)
    json_body = tus(**{"Upload-Offset": "0", "Content-Type": "application/json"})
    bad_offset = tus(**{"Upload-Offset": "-1", "Content-Type": "application/offset+octet-stream"})
    for headers in (json_body, bad_offset):
        url = f"/api/v1/uploads/{upload_id}"
        nobody = client.patch(url, headers={"Authorization": "Bearer exh_nope", **headers}, content=b"ab")
        assert nobody.status_code == 401
        assert client.patch(url, headers=headers, content=b"ab").status_code == 401
        assert client.patch(url, headers={**officer, **headers}, content=b"ab").status_code in (400, 415)
    assert (
        patch(client, officer, upload_id, 0, b"ab", **{"Upload-Checksum": "sha256 nope"}).status_code == 400
    )
    nobody = patch(
        client, {"Authorization": "Bearer exh_nope"}, upload_id, 0, b"ab", **{"Upload-Checksum": "x"}
    )
    assert nobody.status_code == 401


def test_upload_settings_are_validated_once_and_again_when_replaced(vault):
    settings = vault.uploads.settings
    assert vault.uploads.settings is settings
    vault.settings.model_extra["uploads"] = {"expiry_hours": 2}
    assert vault.uploads.settings.expiry_hours == 2
