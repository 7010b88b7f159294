"""The log's signing key: kept outside the vault, loaded from a file, an environment
variable or a KMS/HSM hook, and rotated with its history kept in the log itself."""

from __future__ import annotations

import base64
import binascii
import importlib
import os
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from exhibits.custody.note import Signer, Verifier
from exhibits.errors import ConfigurationError


class CheckpointSigner(Protocol):
    """What the log needs from a key: a KMS or HSM adapter implements the same three."""

    name: str

    @property
    def verifier(self) -> Verifier: ...

    def sign(self, message: bytes) -> bytes: ...


def generate_key_file(path: Path) -> Ed25519PrivateKey:
    """Create a new Ed25519 key as PKCS#8 PEM, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    return key


def _parse_key_text(text: str) -> Ed25519PrivateKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = load_pem_private_key(text.encode(), password=None)
    else:
        try:
            seed = base64.b64decode(text, validate=True)
        except binascii.Error as exc:
            raise ConfigurationError("EXHIBITS_SIGNING_KEY is neither PEM nor base64") from exc
        if len(seed) != 32:
            raise ConfigurationError("EXHIBITS_SIGNING_KEY must hold a 32-byte Ed25519 seed")
        key = Ed25519PrivateKey.from_private_bytes(seed)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError("the signing key is not an Ed25519 key")
    return key


def load_signer(
    name: str,
    *,
    key_file: Path | None,
    key_text: str | None = None,
    provider: str | None = None,
) -> CheckpointSigner:
    """Find the signing key: a provider hook, else key text (env), else the key file."""
    if provider:
        module_name, _, attribute = provider.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as exc:
            raise ConfigurationError(f"signing key provider {provider!r} not found") from exc
        return factory(name)
    if key_text:
        return Signer(name, _parse_key_text(key_text))
    if key_file is None:
        raise ConfigurationError("no signing key configured")
    try:
        text = key_file.read_text()
    except FileNotFoundError as exc:
        raise ConfigurationError(f"signing key not found at {key_file}") from exc
    except PermissionError as exc:
        raise ConfigurationError(f"cannot read the signing key at {key_file}") from exc
    return Signer(name, _parse_key_text(text))
