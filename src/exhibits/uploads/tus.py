"""The tus 1.0.0 protocol's header formats, free of any web framework (https://tus.io/protocols/resumable-upload)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from exhibits.errors import ExhibitsError, InvalidInput

TUS_VERSION = "1.0.0"
EXTENSIONS = ("creation", "creation-with-upload", "checksum", "termination", "expiration")
CHECKSUM_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}
METADATA_KEYS = frozenset(
    {"filename", "case", "producer", "source", "description", "captured_at", "device", "sha256",
     "classification", "filetype"}
)  # fmt: skip
MAX_METADATA_BYTES = 16 * 1024
_KEY = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_INTEGER = re.compile(r"^[0-9]{1,19}$")


class BadTusRequest(InvalidInput):
    """A malformed tus header: the protocol answers 400 Bad Request."""

    status = 400


class ChecksumMismatch(ExhibitsError):
    """tus checksum extension: the chunk is discarded and the offset stays where it was."""

    kind = "checksum-mismatch"
    status = 460
    exit_code = 2


class OffsetMismatch(ExhibitsError):
    kind = "offset-mismatch"
    status = 409
    exit_code = 5


class UnsupportedVersion(ExhibitsError):
    kind = "unsupported-tus-version"
    status = 412
    exit_code = 2


def parse_metadata(header: str | None) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs (the value may be absent)."""
    if header is None or not header.strip():
        return {}
    if len(header) > MAX_METADATA_BYTES:
        raise BadTusRequest("Upload-Metadata is too long")
    values: dict[str, str] = {}
    for pair in header.split(","):
        parts = pair.strip().split(" ")
        if not parts[0] or len(parts) > 2 or not _KEY.match(parts[0]):
            raise BadTusRequest("Upload-Metadata must be 'key base64value' pairs separated by commas")
        key = parts[0]
        if key in values:
            raise BadTusRequest(f"Upload-Metadata key {key!r} is given twice")
        raw = parts[1] if len(parts) == 2 else ""
        try:
            decoded = base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise BadTusRequest(f"Upload-Metadata value of {key!r} is not base64-encoded UTF-8") from None
        if "\x00" in decoded:
            raise BadTusRequest(f"Upload-Metadata value of {key!r} contains a NUL character")
        values[key] = decoded
    unknown = sorted(set(values) - METADATA_KEYS)
    if unknown:
        raise BadTusRequest(
            f"unknown Upload-Metadata key(s) {', '.join(unknown)}: use {', '.join(sorted(METADATA_KEYS))}"
        )
    return values


def encode_metadata(values: dict[str, str]) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def parse_length(header: str | None, name: str) -> int:
    if header is None or not _INTEGER.match(header.strip()):
        raise BadTusRequest(f"{name} must be a non-negative integer")
    return int(header.strip())


def parse_checksum(header: str | None) -> tuple[str, bytes] | None:
    """``Upload-Checksum: <algorithm> <base64 digest>``."""
    if header is None:
        return None
    parts = header.strip().split(" ")
    if len(parts) != 2:
        raise BadTusRequest("Upload-Checksum must be '<algorithm> <base64 digest>'")
    algorithm, encoded = parts[0].lower(), parts[1]
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise BadTusRequest(f"checksum algorithm {algorithm!r} is not supported: use sha1 or sha256")
    try:
        digest = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise BadTusRequest("the Upload-Checksum digest is not base64") from None
    if len(digest) != CHECKSUM_ALGORITHMS[algorithm]().digest_size:
        raise BadTusRequest(f"a {algorithm} digest is {CHECKSUM_ALGORITHMS[algorithm]().digest_size} bytes")
    return algorithm, digest
