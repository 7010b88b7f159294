"""The administration commands: tokens, audit, sign out everywhere."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ADMIN_PASSWORD


@pytest.fixture
def officer(cli):
    result = cli("user", "add", "--name", "Jane Smith", "--collar", "1234", "--role", "officer",
                 "--password", ADMIN_PASSWORD)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return "1234"


def test_token_create_prints_only_the_token_and_it_works(cli, officer, vault):
    result = cli("token", "create", officer, "--expires", "30d", "--name", "BWV dock 3")
    assert result.exit_code == 0, result.stderr
    token = result.stdout.strip()
    assert result.stdout == token + "\n" and token.startswith("exh_") and len(token) > 40
    principal = vault.access.signin.authenticate_token(token)
    assert principal.collar == "1234"
    listed = json.loads(cli("token", "list", officer, "--json").stdout)
    assert [t["name"] for t in listed] == ["BWV dock 3"] and token not in json.dumps(listed)
    assert listed[0]["expires_at"] > listed[0]["created_at"]

    revoked = cli("token", "revoke", listed[0]["id"])
    assert revoked.exit_code == 0
    from exhibits.errors import NotAuthenticated

    with pytest.raises(NotAuthenticated, match="revoked"):
        vault.access.signin.authenticate_token(token)


def test_only_administrators_make_tokens_for_others(cli, officer):
    cli(
        "user",
        "add",
        "--name",
        "Amir Khan",
        "--collar",
        "2345",
        "--role",
        "officer",
        "--password",
        ADMIN_PASSWORD,
    )
    refused = cli("token", "create", "2345", user=officer)
    assert refused.exit_code == 4 and "permission" in refused.stderr
    assert refused.stdout == ""
    assert cli("token", "create", officer, user=officer).exit_code == 0
    assert cli("token", "create", officer, "--expires", "forever").exit_code == 2


def test_audit_who_saw_an_exhibit_and_what_a_person_did(cli, officer, tmp_path):
    cli(
        "user",
        "add",
        "--name",
        "Ruth Auditor",
        "--collar",
        "9001",
        "--role",
        "auditor",
        "--password",
        ADMIN_PASSWORD,
    )
    assert cli("case", "create", "42/1/26", "--title", "Theft", user=officer).exit_code == 0
    (tmp_path / "a.txt").write_text("statement")
    assert cli("add", str(tmp_path / "a.txt"), "--case", "42/1/26", "--producer", "PC 1234 Jane Smith",
               user=officer).exit_code == 0  # fmt: skip
    assert cli("log", "JS/1", "--case", "42/1/26", user=officer).exit_code == 0

    refused = cli("audit", "--user", officer, user=officer)
    assert refused.exit_code == 4
    seen = json.loads(
        cli("audit", "--user", officer, "--class", "consultation", "--json", user="9001").stdout
    )
    assert [e["action"] for e in seen] == ["custody.view"]
    everything = json.loads(cli("audit", "--user", officer, "--json", user="9001").stdout)
    assert {"case.create", "exhibit.ingest", "custody.view"} <= {e["action"] for e in everything}

    out = tmp_path / "period.jsonl"
    exported = cli("audit", "--from", "2000-01-01T00:00:00Z", "--export", str(out), user="9001")
    assert exported.exit_code == 0, exported.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert "checkpoint" in lines[-1] and lines[-1]["checkpoint"].count("\n") >= 3
    from exhibits.custody import merkle

    assert all(merkle.leaf_hash(e["leaf"].encode()).hex() == e["leaf_hash"] for e in lines[:-1])
    assert cli("audit", "--from", "yesterday", user="9001").exit_code == 2


def test_sign_out_everywhere_from_the_command_line(cli, officer, vault):
    token = cli("token", "create", officer).stdout.strip()
    result = cli("user", "signout-everywhere", officer)
    assert result.exit_code == 0 and "1 tokens" in result.stdout
    from exhibits.errors import NotAuthenticated

    with pytest.raises(NotAuthenticated):
        vault.access.signin.authenticate_token(token)
