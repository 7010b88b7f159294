"""The signing key: outside the vault, from a file, the environment or a KMS hook; rotated with history."""

from __future__ import annotations

import base64
import sys
import types

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from exhibits.config import load_settings
from exhibits.custody.note import Checkpoint, Signer, Verifier
from exhibits.errors import ConfigurationError, InvalidInput
from exhibits.vault import Vault
from exhibits.vault.verify import verify_vault

from ..vault.tamper import tamper


def test_rotation_keeps_history_and_verifies(vault, admin, tmp_path, vault_path):
    old = vault.signer.verifier
    new = vault.custody.rotate_key(admin, tmp_path / "keys" / "next.pem")
    assert new != old
    vault.evidence.create_case(admin, "42/9/26", "After rotation")
    with vault.reading() as session:
        head = vault.log.head(session).note
    Checkpoint.open(head, [new])
    with pytest.raises(Exception, match="trusted"):
        Checkpoint.open(head, [old])
    assert [k.vkey() for k in vault.custody.verifier_keys()] == [old.vkey(), new.vkey()]
    assert load_settings(vault_path).signing_key_file == tmp_path / "keys" / "next.pem"
    assert verify_vault(vault, admin).ok
    with Vault.open(vault_path) as reopened:  # the settings now name the new key
        reopened.evidence.create_case(admin, "42/10/26", "Reopened")
        assert verify_vault(reopened, admin).ok


def test_a_rotation_the_old_key_did_not_countersign_is_refused(vault, admin, vault_path, tmp_path):
    """An insider who appends a rotation to their own key cannot make it trusted."""
    from exhibits.custody.events import EventClass

    rogue = Signer(vault.settings.log_origin, Ed25519PrivateKey.generate())
    vault.write(
        lambda ctx: vault.record(
            ctx, admin, "log.key_rotate", EventClass.ADMINISTRATION, details={"vkey": rogue.verifier.vkey()}
        )
    )
    with vault.reading() as session:
        size, root = vault.log.head(session).size, vault.log.head(session).root
    forged = Checkpoint(vault.settings.log_origin, size, root).sign([rogue])
    tamper(vault_path, "UPDATE custody_head SET note = :n", params={"n": forged})
    report = verify_vault(vault, admin)
    assert any("never countersigned" in p for p in report.log.problems)


def test_keys_must_live_outside_the_vault(vault, admin, vault_path):
    with pytest.raises(InvalidInput, match="outside the vault"):
        vault.custody.rotate_key(admin, vault_path / "key.pem")


def test_key_from_the_environment(vault_path, admin, monkeypatch):
    settings = load_settings(vault_path)
    pem = settings.signing_key_file.read_text()
    monkeypatch.setenv("EXHIBITS_SIGNING_KEY_FILE", "/nonexistent/key.pem")
    with Vault.open(vault_path) as vault, pytest.raises(ConfigurationError, match="not found"):
        vault.evidence.create_case(admin, "1/1", "no key")
    monkeypatch.setenv("EXHIBITS_SIGNING_KEY", pem)
    with Vault.open(vault_path) as vault:
        vault.evidence.create_case(admin, "1/1", "key from the environment")
        assert verify_vault(vault, admin).ok


def test_key_from_a_kms_hook(vault_path, admin, monkeypatch):
    """A KMS/HSM adapter only has to sign; the private key never reaches Exhibits."""
    settings = load_settings(vault_path)
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    private = load_pem_private_key(settings.signing_key_file.read_bytes(), None)
    calls = []

    class RemoteSigner:
        def __init__(self, name: str) -> None:
            self.name = name
            self._inner = Signer(name, private)

        @property
        def verifier(self) -> Verifier:
            return self._inner.verifier

        def sign(self, message: bytes) -> bytes:
            calls.append(len(message))
            return self._inner.sign(message)

    module = types.ModuleType("force_kms")
    module.signer = RemoteSigner
    monkeypatch.setitem(sys.modules, "force_kms", module)
    monkeypatch.setenv("EXHIBITS_SIGNING_KEY_PROVIDER", "force_kms:signer")
    with Vault.open(vault_path) as vault:
        vault.evidence.create_case(admin, "1/2", "signed by the KMS")
        assert calls and verify_vault(vault, admin).ok


def test_a_base64_seed_is_accepted(vault_path, admin, monkeypatch):
    settings = load_settings(vault_path)
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(settings.signing_key_file.read_bytes(), None)
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    monkeypatch.setenv("EXHIBITS_SIGNING_KEY", base64.b64encode(seed).decode())
    monkeypatch.setenv("EXHIBITS_SIGNING_KEY_FILE", "/nonexistent")
    with Vault.open(vault_path) as vault:
        vault.evidence.create_case(admin, "1/3", "seed")
    monkeypatch.setenv("EXHIBITS_SIGNING_KEY", "not a key")
    with Vault.open(vault_path) as vault, pytest.raises(ConfigurationError):
        vault.evidence.create_case(admin, "1/4", "bad key")
