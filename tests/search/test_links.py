"""Cross-case links with evidence, name variants scored, decisions kept; corrections as records."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from exhibits.analysis.models import AnalysisRevision
from exhibits.custody.models import CustodyEventRow
from exhibits.errors import InvalidInput, NotFound, PermissionDenied
from exhibits.search.service import Filters


def test_a_case_lists_the_other_cases_where_its_entities_appear(vault, people, force):
    _, links = vault.search.links.links(people.investigator, force.a)
    (link,) = links
    assert link.case_ref == force.b and link.score > 0.99
    evidence = {(e.type, e.value, e.other_value): e for e in link.evidence}
    vrm = evidence[("vrm", "AB12CDE", "AB12CDE")]
    assert vrm.here["exhibit_ref"] == force.bwv["ref"] and vrm.there["exhibit_ref"] == force.other["ref"]
    assert vrm.there["locator"]["layer"] == "transcript" and vrm.there["text"].startswith("alpha bravo")
    name = evidence[("person", "john smith", "jon smyth")]
    assert 0.85 <= name.score < 1
    assert ("content", force.bwv["sha256"], force.bwv["sha256"]) in evidence  # the same footage
    # The officer cannot see case B, so she is told of no link at all.
    assert vault.search.links.links(people.officer, force.a)[1] == []
    with pytest.raises(NotFound):
        vault.search.links.links(people.outsider, force.a)


def test_link_decisions_are_kept_and_shown(vault, people, force):
    vault.users.assign(people.investigator, force.b, "1234", "viewer")
    links = vault.search.links
    links.decide(
        people.officer,
        force.a,
        force.b,
        type="person",
        value="john smith",
        other_value="jon smyth",
        decision="rejected",
        note="different date of birth",
    )
    links.decide(people.officer, force.a, force.b, type="vrm", value="AB12CDE", decision="confirmed")
    (link,) = links.links(people.officer, force.a)[1]
    decided = {(e.type, e.value): e.decision for e in link.evidence}
    assert decided[("person", "john smith")] == "rejected" and decided[("vrm", "AB12CDE")] == "confirmed"
    assert link.decision == "confirmed"
    # Seen from the other case, the same decisions stand.
    (back,) = links.links(people.investigator, force.b)[1]
    assert {(e.type, e.value): e.decision for e in back.evidence}[("person", "jon smyth")] == "rejected"
    with pytest.raises(InvalidInput):
        links.decide(people.officer, force.a, force.b, type="vrm", value="AB12CDE", decision="maybe")
    with vault.reading() as session:
        actions = list(
            session.scalars(select(CustodyEventRow.action).where(CustodyEventRow.action.like("link.%")))
        )
    assert actions == ["link.reject", "link.confirm"]


def test_a_viewer_cannot_decide_links(vault, people, force):
    with pytest.raises(PermissionDenied):  # the investigator is only a viewer on case A
        vault.search.links.decide(
            people.investigator, force.a, force.b, type="vrm", value="AB12CDE", decision="confirmed"
        )


def test_cli_links(cli, force):
    result = cli("links", force.a, "--json", user="2345")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [link["case_ref"] for link in data["links"]] == [force.b]
    table = cli("links", force.a, user="2345")
    assert "AB12CDE" in table.stdout and force.b in table.stdout
    decided = cli("link", "confirm", force.b, force.a, "--type", "vrm", "--value", "AB12CDE", user="2345")
    assert decided.exit_code == 0, decided.stderr


def test_a_transcript_correction_is_a_new_revision_of_that_exhibit_only(vault, people, force):
    analysis = vault.analysis
    machine = analysis.get(people.officer, force.a, force.bwv["ref"], "transcript")
    assert machine.revision == 0 and machine.created_by is None
    corrected = analysis.correct_transcript(
        people.officer,
        force.a,
        force.bwv["ref"],
        {1: "the driver had a kitchen knife in the glove box"},
        "the officer's notes say glove box",
    )
    assert corrected.revision == 1 and corrected.created_by_name == "Jane Smith"
    segment = corrected.body["segments"][1]
    assert segment["corrected"] and segment["words"] == [] and segment["start"] == 4.5
    assert corrected.body["segments"][0]["words"], "untouched segments keep their word timings"
    again = analysis.get(people.officer, force.a, force.bwv["ref"], "transcript", revision=0)
    assert again.body["segments"][1]["text"] == "the driver had a kitchen knife in the door pocket"
    assert [
        h["revision"] for h in analysis.get(people.officer, force.a, force.bwv["ref"], "transcript").history
    ] == [0, 1]
    # Search follows the correction in case A; case B's copy of the footage keeps the machine text.
    hits = vault.search.search(people.investigator, "glove box", mode="keyword").hits
    assert [(h.case_ref, h.exhibit_ref) for h in hits] == [(force.a, force.bwv["ref"])]
    hits = vault.search.search(people.investigator, "door pocket", mode="keyword").hits
    assert [(h.case_ref, h.exhibit_ref) for h in hits] == [(force.b, force.shared["ref"])]
    vtt = analysis.export_transcript(people.officer, force.a, force.bwv["ref"], "vtt")
    assert "glove box" in vtt
    assert "door pocket" in analysis.export_transcript(
        people.investigator, force.b, force.shared["ref"], "vtt"
    )
    with vault.reading() as session:
        event = session.scalar(select(CustodyEventRow).where(CustodyEventRow.action == "transcript.correct"))
        assert event.exhibit_id == force.bwv["exhibit_id"] and event.sha256 == force.bwv["sha256"]


def test_bad_corrections_change_nothing(vault, people, force):
    analysis = vault.analysis
    ref = force.bwv["ref"]
    with pytest.raises(InvalidInput):
        analysis.correct_transcript(people.officer, force.a, ref, {99: "no such segment"}, "typo")
    with pytest.raises(InvalidInput):
        analysis.correct_transcript(people.officer, force.a, ref, {0: "fine"}, "   ")
    with pytest.raises(PermissionDenied):  # a viewer may read but not correct
        analysis.correct_transcript(people.investigator, force.a, ref, {0: "changed"}, "because")
    with pytest.raises(NotFound):
        analysis.get(people.outsider, force.a, ref, "transcript")
    with vault.reading() as session:
        assert session.scalar(select(AnalysisRevision.id)) is None


def test_entity_corrections_change_links(vault, people, force):
    vault.analysis.correct_entities(
        people.investigator,
        force.b,
        force.other["ref"],
        remove=[
            i
            for i, e in enumerate(
                vault.analysis.get(people.investigator, force.b, force.other["ref"], "entities").body[
                    "entities"
                ]
            )
            if e["type"] == "vrm"
        ],
        add=[{"type": "phone", "value": "+447700900123"}],
        reason="plate misheard; caller's number added",
    )
    (link,) = vault.search.links.links(people.investigator, force.b)[1]
    types = {(e.type, e.value) for e in link.evidence}
    assert ("vrm", "AB12CDE") not in types and ("phone", "+447700900123") in types
    machine = vault.analysis.get(people.investigator, force.b, force.other["ref"], "entities", revision=0)
    assert any(e["type"] == "vrm" for e in machine.body["entities"])


def test_cli_transcript_commands(cli, force, tmp_path):
    ref = force.bwv["ref"]
    shown = cli("transcript", "show", ref, "--case", force.a, user="1234")
    assert shown.exit_code == 0 and "kitchen knife" in shown.stdout, shown.stderr
    out = tmp_path / "t.srt"
    assert (
        cli(
            "transcript", "export", ref, "--case", force.a, "--format", "srt", "--out", str(out), user="1234"
        ).exit_code
        == 0
    )
    assert out.read_text().startswith("1\n00:00:00,000 --> 00:00:04,000\n")
    fixed = cli(
        "transcript",
        "correct",
        ref,
        "--case",
        force.a,
        "--edit",
        "0=I stopped the vehicle",
        "--reason",
        "plate read back wrongly",
        user="1234",
    )
    assert fixed.exit_code == 0 and "revision 1" in fixed.stdout
    assert (
        cli(
            "transcript", "correct", ref, "--case", force.a, "--edit", "zero", "--reason", "x", user="1234"
        ).exit_code
        == 2
    )
    entities = cli("entities", "show", ref, "--case", force.a, "--json", user="1234")
    assert any(e["value"] == "AB12CDE" for e in json.loads(entities.stdout)["entities"])
    assert Filters  # the service filters are importable by adapters
