"""The S3 backend against a real S3-compatible HTTP server on loopback (moto's server mode)."""

from __future__ import annotations

import hashlib
import io
import os
import socket

import boto3
import pytest

from exhibits.errors import InvalidInput, NotFound
from exhibits.storage import open_blob_store
from exhibits.storage import s3 as s3_module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "exhibits-test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "exhibits-test-secret")
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-2")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, request):
    name = f"evidence-{hashlib.sha256(request.node.name.encode()).hexdigest()[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="eu-west-2").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
    )
    return name


@pytest.fixture
def store(s3_endpoint, bucket, tmp_path):
    return open_blob_store(f"s3://{bucket}/force42?endpoint_url={s3_endpoint}&region=eu-west-2", tmp_path)


def test_multipart_ingest_reads_once_and_stores_by_hash(store, monkeypatch):
    monkeypatch.setattr(s3_module, "PART_SIZE", 5 * 2**20)
    data = os.urandom(11 * 2**20 + 3)
    reads = []

    class Counting(io.BytesIO):
        def readinto(self, buffer):
            n = super().readinto(buffer)
            reads.append(n)
            return n

    result = store.ingest(Counting(data), limit=2**30)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert sum(reads) == len(data)
    assert result.created and store.exists(result.sha256)
    assert store.size(result.sha256) == len(data)
    assert store.rehash(result.sha256) == result.sha256
    assert store.read_range(result.sha256, 5 * 2**20 - 2, 4) == data[5 * 2**20 - 2 : 5 * 2**20 + 2]
    with store.open(result.sha256) as handle:
        handle.seek(-3, io.SEEK_END)
        assert handle.read() == data[-3:]
    assert list(store.iter_hashes()) == [result.sha256]
    again = store.ingest(io.BytesIO(data), limit=2**30)
    assert not again.created
    assert store.cleanup_temporary(0) == 0  # no temporary objects are left behind


def test_refused_content_leaves_nothing(store):
    with pytest.raises(InvalidInput):
        store.ingest(io.BytesIO(b""), limit=100)
    with pytest.raises(InvalidInput):
        store.ingest(io.BytesIO(b"abc"), limit=100, expected_sha256="0" * 64)
    assert list(store.iter_hashes()) == []
    client = store.client
    leftovers = client.list_objects_v2(Bucket=store.bucket).get("KeyCount", 0)
    assert leftovers == 0


def test_disposal_removes_the_object(store):
    result = store.ingest(io.BytesIO(b"to be disposed of"), limit=100)
    store.delete(result.sha256)
    assert not store.exists(result.sha256)
    with pytest.raises(NotFound):
        store.rehash(result.sha256)


def test_a_whole_vault_on_object_storage(s3_endpoint, bucket, tmp_path, key_dir):
    from exhibits.evidence.service import IngestRequest
    from exhibits.vault import Vault
    from exhibits.vault.init import VaultOptions, init_vault
    from exhibits.vault.verify import verify_vault

    settings = init_vault(
        tmp_path / "vault",
        VaultOptions(
            admin_password="correct horse battery staple",
            key_file=key_dir / f"{bucket}.pem",
            blob_url=f"s3://{bucket}/vault?endpoint_url={s3_endpoint}&region=eu-west-2",
        ),
    )
    with Vault(settings) as vault:
        admin = vault.users.principal_for("ADMIN", via="cli")
        vault.evidence.create_case(admin, "42/1/26", "On object storage")
        evidence = tmp_path / "clip.mp4"
        evidence.write_bytes(os.urandom(70_000))
        [outcome] = vault.evidence.ingest_paths(
            admin, [evidence], IngestRequest(case="42/1/26", producer="PC 1 Jo Bloggs")
        )
        assert not (tmp_path / "vault" / "blobs").exists()
        assert verify_vault(vault, admin).ok
        key = vault.blobs.key(outcome.sha256)
        vault.blobs.client.put_object(Bucket=bucket, Key=key, Body=b"replaced")
        report = verify_vault(vault, admin)
        assert report.problems == [
            f"content {outcome.sha256} has been altered (it now hashes to {hashlib.sha256(b'replaced').hexdigest()})"
        ]
