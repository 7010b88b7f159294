"""The redaction commands as an officer uses them, end to end through ``exhibits``."""

from __future__ import annotations

import hashlib
import json

from exhibits.config import update_config
from tests.redaction.media import make_photo, make_video

CASE = "42/77001/26"


def _setup(cli, tmp_path, make=make_video, name="bwv.mp4"):
    assert cli("case", "create", CASE, "--title", "Robbery, Station Road").exit_code == 0
    path = tmp_path / name
    make(path)
    added = cli("add", str(path), "--case", CASE, "--producer", "PC 1234 Jane Smith", "--json")
    assert added.exit_code == 0, added.stderr
    return path, json.loads(added.stdout)[0]["ref"]


def test_propose_review_render_and_get_from_the_command_line(cli, tmp_path):
    path, ref = _setup(cli, tmp_path)
    proposed = cli("redact", "propose", ref, "--case", CASE, "--purpose", "defence", "--detect", "faces")
    assert proposed.exit_code == 0, proposed.stderr
    set_id = proposed.stdout.strip()
    assert len(set_id) == 32 and "proposed" in proposed.stderr

    shown = cli("redact", "show", set_id[:8], "--json")
    items = json.loads(shown.stdout)["items"]
    assert [(i["kind"], i["state"], i["reason"]) for i in items] == [("track", "proposed", "face")]

    refused = cli("redact", "render", set_id)
    assert refused.exit_code == 5 and "not reviewed" in refused.stderr

    assert cli("redact", "accept", set_id, "--all").exit_code == 0
    added = cli(
        "redact", "add", set_id, "--from", "0.2", "--to", "0.5", "--effect", "mute", "--reason", "name"
    )
    assert added.exit_code == 0 and "mute 0.20-0.50s" in added.stdout
    plate = cli(
        "redact", "add", set_id, "--box", "0.7,0.7,0.2,0.1", "--from", "0", "--to", "0.5", "--reason", "plate"
    )
    assert plate.exit_code == 0, plate.stderr
    rejected = cli("redact", "reject", set_id, "3", "--note", "not a plate after all")
    assert rejected.exit_code == 0 and "'rejected': 1" in rejected.stdout

    rendered = cli("redact", "render", set_id)
    assert rendered.exit_code == 0, rendered.stderr
    sha256 = rendered.stdout.strip()
    assert len(sha256) == 64

    # Opening content asks for a reason (the default policy) and logs one consultation.
    out = tmp_path / "redacted.mp4"
    refused = cli("get", sha256[:12], "--case", CASE, "--out", str(out))
    assert refused.exit_code == 4 and "justification" in refused.stderr and not out.exists()
    got = cli("get", sha256[:12], "--case", CASE, "--out", str(out), "--reason", "Disclosure review")
    assert got.exit_code == 0, got.stderr
    assert hashlib.sha256(out.read_bytes()).hexdigest() == sha256 and "redacted copy" in got.stdout
    original = tmp_path / "original.mp4"
    assert (
        cli("get", ref, "--case", CASE, "--out", str(original), "--reason", "Disclosure review").exit_code
        == 0
    )
    assert original.read_bytes() == path.read_bytes()
    again = cli("get", ref, "--case", CASE, "--out", str(original), "--reason", "Disclosure review")
    assert again.exit_code == 5 and "already exists" in again.stderr

    trail = cli("log", ref, "--case", CASE, "--json")
    assert trail.exit_code == 0
    events = json.loads(trail.stdout)
    events = events["events"] if isinstance(events, dict) else events
    actions = [e["action"] for e in events]
    assert "redaction.render" in actions and actions.count("redaction.set.version") == 6


def test_policy_can_make_reasons_optional_and_unknown_hashes_are_not_found(cli, tmp_path, vault_path):
    _, ref = _setup(cli, tmp_path, make=lambda p: make_photo(p), name="photo.jpg")
    out = tmp_path / "copy.jpg"
    update_config(vault_path, justification_policy="optional")
    assert cli("get", ref, "--case", CASE, "--out", str(out)).exit_code == 0
    assert cli("get", "00000000", "--case", CASE, "--out", str(tmp_path / "x")).exit_code == 3
