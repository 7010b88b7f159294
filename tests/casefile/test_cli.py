"""The case file from the command line, as an officer, a supervisor and a lawyer would use it."""

from __future__ import annotations

import json

from exhibits.custody.note import Verifier
from tests.casefile.conftest import STATEMENT


def test_case_file_to_verified_bundle_from_the_command_line(world, vault, cli, tmp_path):
    statement_file = tmp_path / "statement.json"
    statement_file.write_text(json.dumps(STATEMENT))
    made = cli("form", "create", world.case, "MG11", "--data", str(statement_file), "--json", user="1234")
    assert made.exit_code == 0, made.stderr
    record = json.loads(made.stdout)["id"]
    signed = cli("form", "sign", record, "--by", "Alice Witness", user="1234")
    assert signed.exit_code == 0 and "signed, SHA-256" in signed.stdout
    again = cli("form", "update", record, "--data", str(statement_file), user="1234")
    assert again.exit_code == 5 and "amend it" in again.stderr
    unused = cli("unused", "add", world.case, "JS/2", "--json", user="1234")
    assert json.loads(unused.stdout)[0]["item_no"] == 1
    rendered = cli("form", "render", world.case, "MG6C", "--out", str(tmp_path / "forms"), user="1234")
    assert rendered.exit_code == 0 and (tmp_path / "forms" / "MG6C.pdf").read_bytes().startswith(b"%PDF")
    out = tmp_path / "court.zip"
    exported = cli("bundle", world.case, "--for", "court", "--out", str(out), user="1234")
    assert exported.exit_code == 0, exported.stderr
    fingerprint = Verifier.from_vkey(vault.settings.log_key).fingerprint
    checked = cli("verify-bundle", str(out), "--trusted-key", fingerprint)
    assert checked.exit_code == 0 and "Result: VERIFIED" in checked.stdout
    untrusted = cli("verify-bundle", str(out))
    assert untrusted.exit_code == 1 and "NOT VERIFIED" in untrusted.stdout
    due = cli("retention", "due", "--json", user="5678")
    assert due.exit_code == 0 and json.loads(due.stdout) == []
    refused = cli("retention", "due", user="1234")
    assert refused.exit_code == 4


def test_verifier_keys_whose_base64_holds_a_plus_sign_parse():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from exhibits.custody.note import Signer

    for _ in range(200):
        verifier = Signer("exhibits.local/42/x", Ed25519PrivateKey.generate()).verifier
        if "+" in verifier.vkey().split("+", 2)[2]:
            assert Verifier.from_vkey(verifier.vkey()) == verifier
            return
    raise AssertionError("no key with '+' in its base64 in 200 tries")
