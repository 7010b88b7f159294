"""Checkpoints in the C2SP tlog-checkpoint format, signed as C2SP signed notes (Ed25519).

A checkpoint body is ``origin\\nsize\\nbase64(root)\\n`` plus optional extension lines; the
signed note appends a blank line and one ``— <key name> base64(key id || signature)`` line
per signature. Key ids and verifier keys follow C2SP so that outside tools (Go's
``golang.org/x/mod/sumdb/note``, tlog witnesses) can check our checkpoints.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "
MAX_SIGNATURES = 100
MAX_NOTE_BYTES = 1 << 16
_NAME = re.compile(r"^[^\s+]+$")


class NoteError(ValueError):
    """A note or checkpoint is malformed, or its signatures do not verify."""


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise NoteError(f"invalid key name {name!r}: no spaces or '+'")


@dataclass(frozen=True)
class Verifier:
    """A public key that can check signatures, known by name and 4-byte key id."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.public_key) != 32:
            raise NoteError("Ed25519 public keys are 32 bytes")

    @functools.cached_property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the verifier key string: what a force publishes for partners to pin."""
        return hashlib.sha256(self.vkey().encode()).hexdigest()

    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def from_vkey(cls, text: str) -> Verifier:
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key is name+keyid+base64(key)")
        name, hex_id, encoded = parts
        try:
            raw = base64.b64decode(encoded, validate=True)
            wanted = bytes.fromhex(hex_id)
        except (binascii.Error, ValueError) as exc:
            raise NoteError("verifier key is not valid hex/base64") from exc
        if not raw or raw[0] != ED25519:
            raise NoteError("only Ed25519 verifier keys are supported")
        verifier = cls(name, raw[1:])
        if verifier.key_id != wanted:
            raise NoteError("verifier key id does not match its key")
        return verifier

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    name: str
    private_key: Ed25519PrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        _check_name(self.name)

    @functools.cached_property
    def verifier(self) -> Verifier:
        """Worked out once: every signed checkpoint carries its key id."""
        raw = self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return Verifier(self.name, raw)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def sign_note(text: str, signers: list[Signer]) -> str:
    if not text.endswith("\n") or "\n\n" in text:
        raise NoteError("note text must end in one newline and contain no blank line")
    lines = []
    for signer in signers:
        sig = signer.sign(text.encode())
        payload = base64.b64encode(signer.verifier.key_id + sig).decode()
        lines.append(f"{SIGNATURE_PREFIX}{signer.name} {payload}\n")
    return text + "\n" + "".join(lines)


@dataclass(frozen=True)
class OpenedNote:
    text: str
    verified_by: tuple[Verifier, ...]
    unverified_names: tuple[str, ...]


def open_note(note: str, known: list[Verifier]) -> OpenedNote:
    """Split a signed note, checking every signature by a known key.

    Raises NoteError when the note is malformed, when a known key's signature is bad, or
    when no known key signed it.
    """
    if len(note.encode()) > MAX_NOTE_BYTES:
        raise NoteError("note is too large")
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise NoteError("note contains control characters")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise NoteError("note has no signature block")
    text = note[: split + 1]
    signature_lines = note[split + 2 :].splitlines()
    if not signature_lines or len(signature_lines) > MAX_SIGNATURES:
        raise NoteError("note has no signatures or too many")
    by_id = {(v.name, v.key_id): v for v in known}
    verified: list[Verifier] = []
    unknown: list[str] = []
    for line in signature_lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError("malformed signature line")
        name, _, payload = line[len(SIGNATURE_PREFIX) :].partition(" ")
        try:
            raw = base64.b64decode(payload, validate=True)
        except binascii.Error as exc:
            raise NoteError("signature is not base64") from exc
        if len(raw) < 5 or not name:
            raise NoteError("signature line too short")
        verifier = by_id.get((name, raw[:4]))
        if verifier is None:
            unknown.append(name)
            continue
        if not verifier.verify(text.encode(), raw[4:]):
            raise NoteError(f"signature by {name} does not verify")
        verified.append(verifier)
    if not verified:
        raise NoteError("note is not signed by any trusted key")
    return OpenedNote(text, tuple(verified), tuple(unknown))


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root).decode(),
            *self.extensions,
        ]
        return "\n".join(lines) + "\n"

    def sign(self, signers: list[Signer]) -> str:
        return sign_note(self.body(), signers)

    @classmethod
    def parse_body(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise NoteError("checkpoint body must have origin, size and root lines")
        origin, size_text, root_text, *rest = lines[:-1]
        if not origin:
            raise NoteError("checkpoint origin is empty")
        if not re.fullmatch(r"0|[1-9][0-9]{0,19}", size_text):
            raise NoteError("checkpoint size is not a decimal number")
        try:
            root = base64.b64decode(root_text, validate=True)
        except binascii.Error as exc:
            raise NoteError("checkpoint root is not base64") from exc
        if len(root) != 32:
            raise NoteError("checkpoint root is not a SHA-256 hash")
        if any(not line for line in rest):
            raise NoteError("empty extension line")
        return cls(origin, int(size_text), root, tuple(rest))

    @classmethod
    def open(cls, note: str, known: list[Verifier]) -> tuple[Checkpoint, OpenedNote]:
        opened = open_note(note, known)
        return cls.parse_body(opened.text), opened

    @classmethod
    def unverified(cls, note: str) -> Checkpoint:
        """Read a checkpoint without checking signatures (to show what it claims)."""
        split = note.rfind("\n\n")
        return cls.parse_body(note[: split + 1] if split >= 0 else note)
