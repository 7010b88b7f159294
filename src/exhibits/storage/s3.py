"""Blobs in S3-compatible object storage (AWS S3, MinIO, Ceph RGW, Azure via an S3 gateway).

The content's hash is only known at the end of the stream, so bytes go first to a
temporary key with a multipart upload (parts hashed as they are sent, source read once),
then are copied server-side to ``<prefix>/sha256/ab/cd/<sha256>`` unless that key already
exists, and the temporary object is removed. Credentials come from boto3's usual chain
(environment, shared config, instance role).
"""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from exhibits.errors import ConfigurationError, NotFound
from exhibits.faults import fault_point
from exhibits.storage.base import IngestResult, Progress, Pump, check_content, hash_stream, is_sha256

PART_SIZE = 16 * 2**20  # S3's minimum is 5 MiB; 10,000 parts of 16 MiB cover 156 GiB


class S3BlobStore:
    def __init__(
        self,
        bucket: str,
        prefix: str,
        tmp_dir: Path,
        endpoint_url: str | None = None,
        region: str | None = None,
        addressing_style: str | None = None,
        **unknown: str,
    ) -> None:
        if unknown:
            raise ConfigurationError(f"unknown s3:// options: {', '.join(sorted(unknown))}")
        if not bucket:
            raise ConfigurationError("s3:// URL needs a bucket name")
        import boto3
        from botocore.config import Config

        config = Config(
            s3={"addressing_style": addressing_style or "auto"},
            retries={"max_attempts": 5, "mode": "standard"},
        )
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)
        self.bucket = bucket
        self.prefix = f"{prefix}/" if prefix else ""
        self.tmp_dir = tmp_dir

    def key(self, sha256: str) -> str:
        if not is_sha256(sha256):
            raise NotFound("not a SHA-256 content hash")
        return f"{self.prefix}sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def _tmp_key(self) -> str:
        return f"{self.prefix}tmp/{uuid.uuid4().hex}"

    def ingest(
        self,
        source: BinaryIO,
        *,
        limit: int,
        progress: Progress | None = None,
        expected_sha256: str | None = None,
    ) -> IngestResult:
        tmp_key = self._tmp_key()
        upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=tmp_key)
        upload_id = upload["UploadId"]
        parts: list[dict] = []
        pending = bytearray()

        def send(chunk: bytes | memoryview) -> None:
            number = len(parts) + 1
            answer = self.client.upload_part(
                Bucket=self.bucket,
                Key=tmp_key,
                UploadId=upload_id,
                PartNumber=number,
                Body=bytes(chunk),
            )
            parts.append({"ETag": answer["ETag"], "PartNumber": number})

        def sink(chunk: memoryview) -> None:
            pending.extend(chunk)
            while len(pending) >= PART_SIZE:
                send(pending[:PART_SIZE])
                del pending[:PART_SIZE]

        try:
            pump = Pump(limit, progress)
            pump.run(source, sink)
            pump.check(expected_sha256)
            if pending or not parts:
                send(pending)
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=tmp_key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            with contextlib.suppress(Exception):
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=tmp_key, UploadId=upload_id)
            raise
        fault_point("ingest.temp_written")
        try:
            created = not self.exists(pump.sha256)
            if created:
                self.client.copy({"Bucket": self.bucket, "Key": tmp_key}, self.bucket, self.key(pump.sha256))
            fault_point("ingest.renamed")
        finally:
            with contextlib.suppress(Exception):
                self.client.delete_object(Bucket=self.bucket, Key=tmp_key)
        return IngestResult(pump.sha256, pump.size, pump.head, created)

    def adopt(
        self,
        path: Path,
        *,
        limit: int,
        known_sha256: str | None = None,
        expected_sha256: str | None = None,
    ) -> IngestResult:
        """Object storage cannot take a local file by rename: send it like any other source,
        holding it to the hash computed as it arrived."""
        if known_sha256:
            check_content(path.stat().st_size, known_sha256, expected_sha256)
        with path.open("rb") as source:
            return self.ingest(source, limit=limit, expected_sha256=known_sha256 or expected_sha256)

    def exists(self, sha256: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except self.client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def size(self, sha256: str) -> int:
        try:
            answer = self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except self.client.exceptions.ClientError as exc:
            raise NotFound(f"content {sha256} is not in the store") from exc
        return int(answer["ContentLength"])

    def open(self, sha256: str) -> BinaryIO:
        return io.BufferedReader(_S3Reader(self, sha256, self.size(sha256)), 8 * 2**20)  # type: ignore[return-value]

    def read_range(self, sha256: str, start: int, length: int) -> bytes:
        if length <= 0:
            return b""
        try:
            answer = self.client.get_object(
                Bucket=self.bucket,
                Key=self.key(sha256),
                Range=f"bytes={start}-{start + length - 1}",
            )
        except self.client.exceptions.ClientError as exc:
            raise NotFound(f"content {sha256} is not in the store") from exc
        return answer["Body"].read()

    def rehash(self, sha256: str, progress: Progress | None = None) -> str:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))
        except self.client.exceptions.ClientError as exc:
            raise NotFound(f"content {sha256} is not in the store") from exc
        return hash_stream(_Readinto(answer["Body"]), progress)

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))

    def iter_hashes(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self.prefix}sha256/"):
            for item in page.get("Contents", []):
                name = item["Key"].rsplit("/", 1)[-1]
                if is_sha256(name):
                    yield name

    def local_path(self, sha256: str) -> str | None:
        return None

    def cleanup_temporary(self, older_than_seconds: float) -> int:
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
        removed = 0
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self.prefix}tmp/"):
            for item in page.get("Contents", []):
                if item["LastModified"] < cutoff:
                    self.client.delete_object(Bucket=self.bucket, Key=item["Key"])
                    removed += 1
        uploads = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=f"{self.prefix}tmp/")
        for upload in uploads.get("Uploads", []):
            if upload["Initiated"] < cutoff:
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                )
                removed += 1
        return removed


class _Readinto(io.RawIOBase):
    """Adapts a botocore streaming body to ``readinto``."""

    def __init__(self, body) -> None:
        self.body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _S3Reader(io.RawIOBase):
    """A seekable read-only view of one object, fetched with ranged GETs."""

    def __init__(self, store: S3BlobStore, sha256: str, size: int) -> None:
        self.store, self.sha256, self.length, self.position = store, sha256, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.length}[whence]
        self.position = max(0, base + offset)
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        want = min(len(buffer), self.length - self.position)
        if want <= 0:
            return 0
        data = self.store.read_range(self.sha256, self.position, want)
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)
