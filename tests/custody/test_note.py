"""Checkpoints as C2SP signed notes: byte-exact round trips and refusal of every alteration."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from exhibits.custody.note import Checkpoint, NoteError, Signer, Verifier, key_id, open_note


@pytest.fixture
def signer() -> Signer:
    return Signer("exhibits.example/42/test", Ed25519PrivateKey.generate())


def test_key_id_follows_c2sp(signer):
    public = signer.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    expected = hashlib.sha256(signer.name.encode() + b"\n\x01" + public).digest()[:4]
    assert key_id(signer.name, public) == expected == signer.verifier.key_id
    vkey = signer.verifier.vkey()
    assert vkey.startswith(f"{signer.name}+{expected.hex()}+")
    assert Verifier.from_vkey(vkey) == signer.verifier


def test_checkpoint_encodes_and_parses_byte_exact(signer):
    checkpoint = Checkpoint(signer.name, 1234, hashlib.sha256(b"root").digest(), ("extra line",))
    note = checkpoint.sign([signer])
    body = f"{signer.name}\n1234\n{base64.b64encode(checkpoint.root).decode()}\nextra line\n"
    assert note.startswith(body + "\n\u2014 " + signer.name + " ")
    parsed, opened = Checkpoint.open(note, [signer.verifier])
    assert parsed == checkpoint
    assert parsed.sign([signer]).split("\n\n")[0] == note.split("\n\n")[0]
    assert opened.verified_by == (signer.verifier,)


def test_every_altered_byte_of_the_body_is_refused(signer):
    note = Checkpoint(signer.name, 7, hashlib.sha256(b"r").digest()).sign([signer])
    body_length = note.index("\n\n") + 1
    for i in range(body_length):
        if note[i] == "\n":
            continue
        altered = note[:i] + ("A" if note[i] != "A" else "B") + note[i + 1 :]
        with pytest.raises(NoteError):
            Checkpoint.open(altered, [signer.verifier])


def test_unknown_signers_alone_do_not_verify(signer):
    stranger = Signer(signer.name, Ed25519PrivateKey.generate())
    note = Checkpoint(signer.name, 1, hashlib.sha256(b"x").digest()).sign([stranger])
    with pytest.raises(NoteError, match="not signed by any trusted key"):
        open_note(note, [signer.verifier])
    cosigned = Checkpoint(signer.name, 1, hashlib.sha256(b"x").digest()).sign([stranger, signer])
    opened = open_note(cosigned, [signer.verifier])
    assert opened.verified_by == (signer.verifier,)
    assert opened.unverified_names == (signer.name,)


@pytest.mark.parametrize(
    "note",
    ["", "no signature\n", "origin\n1\nAAAA\n\n\u2014 name AAAA\n", "origin\n01\n" + "A" * 44 + "\n"],
)
def test_malformed_notes_are_refused(signer, note):
    with pytest.raises(NoteError):
        Checkpoint.open(note, [signer.verifier])
