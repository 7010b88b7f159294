"""Content-addressed blob storage behind one small interface.

``open_blob_store(url)`` picks the backend from the URL: ``file:///path`` (the embedded
default) or ``s3://bucket/prefix?endpoint_url=...`` (any S3-compatible object store).
Blobs are named by their SHA-256 and never modified; the only removal is disposal.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from exhibits.errors import ConfigurationError
from exhibits.storage.base import BlobStore, IngestResult, Progress, is_sha256

__all__ = ["BlobStore", "IngestResult", "Progress", "is_sha256", "open_blob_store"]


def open_blob_store(url: str, tmp_dir: Path) -> BlobStore:
    parsed = urlparse(url)
    if parsed.scheme == "file":
        from exhibits.storage.local import LocalBlobStore

        return LocalBlobStore(Path(unquote(parsed.path)), tmp_dir)
    if parsed.scheme == "s3":
        from exhibits.storage.s3 import S3BlobStore

        options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        return S3BlobStore(parsed.netloc, parsed.path.strip("/"), tmp_dir, **options)
    raise ConfigurationError(f"unsupported blob storage URL {url!r} (use file:// or s3://)")
