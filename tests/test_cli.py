"""The command line, as the README's tour uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

CASE = "42/19283/26"


def test_the_tour(cli, tmp_path):
    bwv = tmp_path / "bwv_0413.mp4"
    bwv.write_bytes(os.urandom(50_000))
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("1.jpg", "2.jpg"):
        (photos / name).write_bytes(os.urandom(100))
    dock = tmp_path / "dock_export"
    dock.mkdir()
    (dock / "0001.mp4").write_bytes(b"dock footage")

    assert (
        cli("case", "create", CASE, "--title", "Burglary, 14 High Street", "--urn", "01ZD0300108").exit_code
        == 0
    )
    added = cli("add", str(bwv), str(photos / "1.jpg"), str(photos / "2.jpg"), "--case", CASE,
                "--producer", "PC 1234 Jane Smith", "--source", "bwv", "--json")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    assert [o["ref"] for o in json.loads(added.stdout)] == ["JS/1", "JS/2", "JS/3"]
    unassigned = cli(
        "add", str(dock), "--unassigned", "--device", "BWV-00731", "--incident", "0413-21112026", "--json"
    )
    media_id = json.loads(unassigned.stdout)[0]["media_id"]
    assert media_id[:12] in cli("media").stdout
    attached = cli("attach", media_id[:8], "--case", CASE, "--producer", "PC 1234 Jane Smith")
    assert attached.exit_code == 0 and "JS/4" in attached.stdout
    listing = json.loads(cli("ls", "--case", CASE, "--json").stdout)
    assert [e["ref"] for e in listing["exhibits"]] == ["JS/1", "JS/2", "JS/3", "JS/4"]
    assert listing["case"]["urn"] == "01ZD0300108"
    trail = json.loads(cli("log", "JS/4", "--case", CASE, "--json").stdout)
    assert [e["action"] for e in trail] == ["media.ingest", "exhibit.attach"]
    assert "exhibit.ingest" in cli("log", "JS/1", "--case", "01ZD0300108").stdout
    checkpoint = tmp_path / "checkpoint.txt"
    assert cli("checkpoint", "--out", str(checkpoint)).exit_code == 0
    verified = cli("verify", "--checkpoint", str(checkpoint))
    assert verified.exit_code == 0 and "OK" in verified.stdout
    report = json.loads(cli("verify", "--json").stdout)
    assert report["ok"] and report["blobs_checked"] == 4


@pytest.mark.parametrize(
    "args, message",
    [
        (["case", "create", "1/1", "--title", "x", "--urn", "BAD"], "a URN is 11 characters"),
        (["ls", "--case", "no/such/case"], "no such case"),
        (["add", "/nonexistent", "--case", CASE, "--producer", "PC 1 A B"], "nothing was ingested"),
        (["add", "/etc/hostname"], "give either --case or --unassigned"),
        (["attach", "zz", "--case", CASE, "--producer", "PC 1 A B"], "at least 6 hex digits"),
    ],
)
def test_errors_are_one_clear_line(cli, args, message):
    cli("case", "create", CASE, "--title", "Errors")
    result = cli(*args)
    assert result.exit_code != 0
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_users_and_acting_for_another(cli, tmp_path):
    assert cli("user", "add", "--name", "Jane Smith", "--collar", "1234", "--role", "officer",
               "--password", "a long enough password").exit_code == 0  # fmt: skip
    assert cli("case", "create", CASE, "--title", "Acting as", user="1234").exit_code == 0
    denied = cli("user", "list", user="1234")
    assert denied.exit_code == 4 and "permission" in denied.stderr
    assert cli("--as", "ADMIN", "ls", "--case", CASE, user="1234").exit_code == 4
    evidence = tmp_path / "f.bin"
    evidence.write_bytes(b"by jane, asserted by the admin")
    cli("case", "assign", CASE, "ADMIN", "--role", "viewer", user="1234")
    result = cli("--as", "1234", "add", str(evidence), "--case", CASE, "--producer", "PC 1234 Jane Smith")
    assert result.exit_code == 0, result.stderr
    [ingest] = [
        e
        for e in json.loads(cli("log", "JS/1", "--case", CASE, "--json").stdout)
        if e["action"] == "exhibit.ingest"
    ]
    assert ingest["actor"]["collar"] == "1234"
    assert ingest["asserted_by"]["collar"] == "ADMIN"
    assert ingest["os_user"]
    assert [u["collar"] for u in json.loads(cli("user", "list", "--json").stdout)] == ["1234", "ADMIN"]


def test_unknown_user_is_refused(cli):
    result = cli("case", "list", user="7777")
    assert result.exit_code == 4 and "not a user of this vault" in result.stderr


def test_the_installed_command_runs(vault_path, tmp_path):
    env = {**os.environ, "EXHIBITS_VAULT": str(vault_path)}
    result = subprocess.run(
        [sys.executable, "-m", "exhibits", "verify"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    help_text = subprocess.run(
        [sys.executable, "-m", "exhibits", "--help"], capture_output=True, text=True
    ).stdout
    for command in ("init", "add", "attach", "ls", "log", "verify", "checkpoint", "backup", "restore"):
        assert command in help_text


def test_demo_case_and_key_listing(cli):
    assert cli("demo").exit_code == 0
    listing = json.loads(cli("ls", "--case", "DEMO/0001/26", "--json").stdout)
    assert [e["ref"] for e in listing["exhibits"]] == ["JS/1", "JS/2", "JS/3"]
    assert {e["mime_type"] for e in listing["exhibits"]} == {"text/plain", "image/png", "audio/x-wav"}
    assert cli("demo").exit_code == 0  # running it again changes nothing
    keys = json.loads(cli("key", "show", "--json").stdout)
    assert len(keys) == 1 and len(keys[0]["fingerprint"]) == 64


def test_a_mistyped_command_is_a_usage_error_not_a_crash(tmp_path):
    for args, message in ((["nosuch"], "No such command"), (["ls", "--bogus"], "No such option")):
        done = subprocess.run(
            [sys.executable, "-m", "exhibits", *args], capture_output=True, text=True, cwd=tmp_path
        )
        assert done.returncode == 2, done.stderr
        assert message in done.stderr and "internal error" not in done.stderr
